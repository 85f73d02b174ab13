#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest (the command CI runs),
# then builds the fuzz targets (clang, no LibTorch, in build-fuzz/) and runs each for a few
# seconds on its seed corpus (docs/fuzzing.md).
# Usage: scripts/test.sh [ctest args...]
#        env: FUZZ_SECONDS (per fuzz target, default 5), POWERTRAIN_SKIP_FUZZ=1 (tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir="${BUILD_DIR:-build}"
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" "$@")
if [ "${POWERTRAIN_SKIP_FUZZ:-0}" != 1 ]; then
  # -O0: the short runs need coverage, not speed, and it builds in half the time.
  FUZZ_SKIP_DEPS=1 FUZZ_OPT="${FUZZ_OPT:--O0}" bash scripts/fuzz.sh "${FUZZ_SECONDS:-5}"
fi
