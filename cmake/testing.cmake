# The one way to register a test program: powertrain_test(NAME SOURCES file... LIBS lib...
# [TIMEOUT seconds] [TORCH_PCH] [NO_PCH file...]). Every test program gets the shared test
# support (tests/support), the include paths of src/ and tests/, the same definitions
# (POWERTRAIN_SOURCE_DIR, POWERTRAIN_TEST_DATA_DIR, POWERTRAIN_ZEUS_TRACE_DIR, FAKE_NVML_PATH,
# POWERTRAIN_BIN: the paths a test may need) and is built after the powertrain binary and the
# fake NVML library; ctest lists each of its GoogleTest TESTs as one test. TORCH_PCH
# precompiles <torch/torch.h> for programs that train (NO_PCH: its files that need none).
find_package(GTest REQUIRED)
include(GoogleTest)

# Where the Zeus NSDI'23 traces are; the trace tests skip when they are missing, and the
# environment variable POWERTRAIN_ZEUS_TRACE_DIR overrides it at run time. The project's
# shared/ folder sits beside the checkout (in CI too).
set(POWERTRAIN_ZEUS_TRACE_DIR "${CMAKE_SOURCE_DIR}/../shared/data/zeus-nsdi23" CACHE PATH "Zeus NSDI'23 trace directory")

function(powertrain_test name)
  cmake_parse_arguments(T "TORCH_PCH" "TIMEOUT" "SOURCES;LIBS;NO_PCH" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES} ${CMAKE_SOURCE_DIR}/tests/support/test_support.cpp)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    POWERTRAIN_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    POWERTRAIN_TEST_DATA_DIR="${CMAKE_SOURCE_DIR}/tests/data"
    POWERTRAIN_ZEUS_TRACE_DIR="${POWERTRAIN_ZEUS_TRACE_DIR}"
    FAKE_NVML_PATH="$<TARGET_FILE:fake_nvml>"
    POWERTRAIN_BIN="$<TARGET_FILE:powertrain>")
  if(T_TORCH_PCH)
    target_precompile_headers(${name} PRIVATE <torch/torch.h>)
    set_source_files_properties(${T_NO_PCH} ${CMAKE_SOURCE_DIR}/tests/support/test_support.cpp
      TARGET_DIRECTORY ${name} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  endif()
  add_dependencies(${name} fake_nvml powertrain powertrain-train)
  if(TARGET powertrain_postgres)  # postgresql:// URLs load it
    add_dependencies(${name} powertrain_postgres)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 120 PROPERTIES TIMEOUT ${T_TIMEOUT})
endfunction()
