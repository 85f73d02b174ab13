#!/usr/bin/env bash
# Builds powertrain with AddressSanitizer and UndefinedBehaviorSanitizer (gcc,
# -DPOWERTRAIN_SANITIZE=ON) in build-asan/ and runs the whole ctest suite under them: any
# memory error, leak or undefined behaviour fails its test. Suppressions, each for
# LibTorch or OpenBLAS internals that are not powertrain's (none needed so far), go in scripts/sanitizers/.
# See docs/fuzzing.md ("Sanitizers").
# Usage: scripts/sanitize.sh [ctest args...]      env: BUILD_DIR (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build_dir="${BUILD_DIR:-build-asan}"
# -O1 -g1: the sanitizers need line numbers, not full debug info, and the build is half as long.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DPOWERTRAIN_SANITIZE=ON \
  -DPOWERTRAIN_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
supp="$PWD/scripts/sanitizers"
# Every program the tests start (the powertrain binary, its children) inherits these.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1:suppressions=$supp/asan.supp"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" "$@"
