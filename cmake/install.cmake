# Packaging: `cmake --install`, the CMake package for find_package(powertrain) and the
# Debian package (cpack -G DEB). Included once from the top-level CMakeLists, after the
# modules (src/*) are defined. docs/packaging.md explains how to use what it installs.
#
# Two install components, one Debian package each (docs/packaging.md):
#   core  -> powertrain        no LibTorch: the command, the dashboard, PostgreSQL storage,
#                              the torch-free libraries, headers, CMake package, docs
#   train -> powertrain-train  the training engine (LibTorch) and its libraries
# Installed layout (prefix /usr/local by default, /usr in the .deb):
#   bin/powertrain                               the command                        core
#   libexec/powertrain/powertrain-serve          `powertrain serve`                 core
#   lib/powertrain/libpowertrain_postgres.so     postgresql:// storage (a module)   core
#   lib/libpowertrain_<module>.a                 the torch-free modules (static)    core
#   lib/cmake/powertrain/                        powertrainConfig.cmake, ...Targets core
#   include/powertrain/**                        the public headers                 core
#   share/doc/powertrain/                        README, docs/*.md, examples        core
#   libexec/powertrain/powertrain-train          train, lr-find, study, real tune   train
#   lib/libpowertrain_{train,train_parse,study}.a, lib/cmake/powertrain/powertrainTrainTargets.cmake  train
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME core)

set(POWERTRAIN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/powertrain)

# The libraries a user links: the torch-free modules whose public headers need only other
# public headers (core). The training engine's (train, train_parse, study) are exported
# apart (powertrainTrainTargets, component train): only they need find_package(Torch).
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

install(TARGETS powertrain RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT core)
install(TARGETS powertrain-serve RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/powertrain COMPONENT core)
if(TARGET powertrain_postgres)
  install(TARGETS powertrain_postgres LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/powertrain COMPONENT core)
endif()
install(TARGETS powertrain-train RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/powertrain COMPONENT train)
install(TARGETS ${powertrain_exported_targets} EXPORT powertrainTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT core
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT core
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The training engine's libraries: powertrain::train (train_model, lr_find), powertrain::study.
set(powertrain_train_targets powertrain_train_parse powertrain_train powertrain_study)
foreach(pkg_target IN LISTS powertrain_train_targets)
  string(REGEX REPLACE "^powertrain_" "" pkg_module ${pkg_target})
  set_target_properties(${pkg_target} PROPERTIES EXPORT_NAME ${pkg_module})
  add_library(powertrain::${pkg_module} ALIAS ${pkg_target})
endforeach()
install(TARGETS ${powertrain_train_targets} EXPORT powertrainTrainTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT train
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT powertrainTrainTargets NAMESPACE powertrain:: DESTINATION ${POWERTRAIN_CMAKE_DIR} COMPONENT train)
# `cmake --install --strip` and cpack (CPACK_STRIP_FILES) strip the binary; strip the debug
# info of the static libraries too (RelWithDebInfo makes them ~10x larger). Their symbol
# tables stay, so they still link.
# strip_archives_on_install(COMPONENT TARGET...): in that component's install step.
function(strip_archives_on_install component)
  set(archives "")
  foreach(target IN LISTS ARGN)
    list(APPEND archives "${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:${target}>")
  endforeach()
  install(CODE "
    if(CMAKE_INSTALL_DO_STRIP)
      foreach(archive IN ITEMS ${archives})
        execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${archive}\")
      endforeach()
    endif()" COMPONENT ${component})
endfunction()
if(CMAKE_STRIP)
  strip_archives_on_install(core ${powertrain_exported_targets})
  strip_archives_on_install(train ${powertrain_train_targets})
endif()
# The dashboard (serve) is the command's, not a library the package exports: no header.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/powertrain DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "serve" EXCLUDE)
install(EXPORT powertrainTargets NAMESPACE powertrain:: DESTINATION ${POWERTRAIN_CMAKE_DIR})

# The config file recreates what the exported link lines name: Threads, SQLite, fmt,
# nlohmann_json; for the training targets, Torch and ZLIB.
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

# Debian packages: cpack -G DEB in the build directory writes powertrain_<version>_amd64.deb
# (component core: no LibTorch) and powertrain-train_<version>_amd64.deb (the training
# engine, which depends on it). Runtime dependencies come from dpkg-shlibdeps, per package
# (libsqlite3-0, libfmt9, libpqxx-6.4, ...; libtorch1.13 for powertrain-train only); the
# -dev packages a C++ user's find_package needs are recommended.
set(CPACK_PACKAGE_NAME powertrain)
set(CPACK_PACKAGE_VENDOR "powertrain")
set(CPACK_PACKAGE_CONTACT "powertrain maintainers <powertrain@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "measure and reduce the energy of deep-learning training")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)  # `cpack` and `cmake --build . --target package` make the .debs
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL core train)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)

set(CPACK_DEBIAN_CORE_PACKAGE_NAME powertrain)
set(CPACK_COMPONENT_CORE_DESCRIPTION "measure and reduce the energy of deep-learning training (no LibTorch)
powertrain measures the energy of any command or training run (NVML, RAPL or an estimate,
with provenance), stores runs in SQLite, runs energy-aware hyperparameter searches on
recorded GPU traces, reports, advises and serves a dashboard. Includes the static
libraries, headers and CMake package for C++ users (find_package(powertrain)). Training
(powertrain train, lr-find, study, real-training tune) is in powertrain-train.")
set(CPACK_DEBIAN_CORE_PACKAGE_SUGGESTS "powertrain-train")
set(CPACK_DEBIAN_CORE_PACKAGE_RECOMMENDS "libsqlite3-dev, libfmt-dev, nlohmann-json3-dev, cmake, g++")

set(CPACK_DEBIAN_TRAIN_PACKAGE_NAME powertrain-train)
set(CPACK_COMPONENT_TRAIN_DESCRIPTION "powertrain's training engine (LibTorch)
The commands of powertrain that train: powertrain train, lr-find, study, and tune or
worker on real-training studies, with mixed precision, one-cycle schedules, early stopping
and energy per epoch; and the libraries powertrain::train and powertrain::study.")
# The exact version: the engine and the command share private interfaces.
set(CPACK_DEBIAN_TRAIN_PACKAGE_DEPENDS "powertrain (= ${PROJECT_VERSION}), libopenblas0-pthread | libopenblas0")
set(CPACK_DEBIAN_TRAIN_PACKAGE_RECOMMENDS "libtorch-dev")
include(CPack)
