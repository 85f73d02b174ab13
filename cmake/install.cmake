# Packaging: `cmake --install`, the CMake package for find_package(powertrain) and the
# Debian package (cpack -G DEB). Included once from the top-level CMakeLists, after the
# modules (src/*) are defined. docs/packaging.md explains how to use what it installs.
#
# Installed layout (prefix /usr/local by default, /usr in the .deb):
#   bin/powertrain                          the command
#   lib/libpowertrain_<module>.a            the modules a C++ user links (static)
#   lib/cmake/powertrain/                   powertrainConfig.cmake, ...Version, ...Targets
#   include/powertrain/**                   the public headers
#   share/doc/powertrain/                   README, docs/*.md, examples/standalone
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(POWERTRAIN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/powertrain)

# The libraries a user links: the torch-free modules whose public headers need only other
# public headers. train and study are left out: they link LibTorch privately and would make
# every user's find_package(powertrain) depend on find_package(Torch); the studies' typed
# results and codecs (study_results, which report and advise read) are torch-free and in.
# A module is exported only if every powertrain_* library it links is exported before it
# (the list is in dependency order), so a new private link in a module's CMakeLists drops
# that module from the package with a message instead of breaking the configure step.
set(powertrain_export_candidates energy tune store measure train_config study_results search interop report advise)
set(powertrain_exported_targets "")
foreach(pkg_module IN LISTS powertrain_export_candidates)
  set(pkg_target powertrain_${pkg_module})
  if(NOT TARGET ${pkg_target})
    continue()
  endif()
  get_target_property(pkg_deps ${pkg_target} LINK_LIBRARIES)
  set(pkg_ok TRUE)
  foreach(pkg_dep IN LISTS pkg_deps)
    if(pkg_dep MATCHES "^powertrain_" AND NOT pkg_dep IN_LIST powertrain_exported_targets)
      message(STATUS "powertrain: ${pkg_target} not packaged (links ${pkg_dep}, which is not exported)")
      set(pkg_ok FALSE)
    endif()
  endforeach()
  if(NOT pkg_ok)
    continue()
  endif()
  list(APPEND powertrain_exported_targets ${pkg_target})
  # powertrain::<module>, in the build tree as in the installed package.
  set_target_properties(${pkg_target} PROPERTIES EXPORT_NAME ${pkg_module})
  add_library(powertrain::${pkg_module} ALIAS ${pkg_target})
endforeach()
unset(pkg_target)
unset(pkg_deps)
unset(pkg_ok)

install(TARGETS powertrain RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${powertrain_exported_targets} EXPORT powertrainTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# `cmake --install --strip` and cpack (CPACK_STRIP_FILES) strip the binary; strip the debug
# info of the static libraries too (RelWithDebInfo makes them ~10x larger). Their symbol
# tables stay, so they still link.
set(pkg_archives "")
foreach(pkg_target IN LISTS powertrain_exported_targets)
  list(APPEND pkg_archives "${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:${pkg_target}>")
endforeach()
if(CMAKE_STRIP)
  install(CODE "
    if(CMAKE_INSTALL_DO_STRIP)
      foreach(archive IN ITEMS ${pkg_archives})
        execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${archive}\")
      endforeach()
    endif()")
endif()
unset(pkg_archives)
# The dashboard (serve) is the command's, not a library the package exports: no header.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/powertrain DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "serve" EXCLUDE)
install(EXPORT powertrainTargets NAMESPACE powertrain:: DESTINATION ${POWERTRAIN_CMAKE_DIR})

# The config file recreates what the exported link lines name: Threads, SQLite, fmt,
# nlohmann_json and, when the store was built with PostgreSQL, libpqxx.
get_target_property(pkg_store_links powertrain_store LINK_LIBRARIES)
set(POWERTRAIN_WITH_PQXX OFF)
if("PkgConfig::PQXX" IN_LIST pkg_store_links)
  set(POWERTRAIN_WITH_PQXX ON)
endif()
set(POWERTRAIN_PQXX_VERSION "${PQXX_VERSION}")
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/powertrainConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/powertrainConfig.cmake
  INSTALL_DESTINATION ${POWERTRAIN_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/powertrainConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/powertrainConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/powertrainConfigVersion.cmake
  DESTINATION ${POWERTRAIN_CMAKE_DIR})

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
  FILES_MATCHING PATTERN "*.md")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/standalone DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Debian package: cpack -G DEB in the build directory writes powertrain_<version>_amd64.deb.
# Runtime dependencies come from dpkg-shlibdeps (libtorch1.13, libsqlite3-0, libfmt9,
# libpqxx-6.4, ...); the -dev packages a C++ user's find_package needs are recommended.
set(CPACK_PACKAGE_NAME powertrain)
set(CPACK_PACKAGE_VENDOR "powertrain")
set(CPACK_PACKAGE_CONTACT "powertrain maintainers <powertrain@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "measure and reduce the energy of deep-learning training")
set(CPACK_PACKAGE_DESCRIPTION "powertrain measures the energy of training runs (NVML, RAPL or an estimate, \
with provenance), stores runs in SQLite, trains with LibTorch, tunes hyperparameters for \
energy and reports. Includes the static libraries, headers and CMake package for C++ users \
(find_package(powertrain)).")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_GENERATOR DEB)  # `cpack` and `cmake --build . --target package` make the .deb
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread | libopenblas0")  # fast BLAS for LibTorch
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
  "libtorch-dev, libsqlite3-dev, libfmt-dev, nlohmann-json3-dev, cmake, g++")
include(CPack)
