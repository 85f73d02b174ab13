#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest (the command CI runs).
# Usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir="${BUILD_DIR:-build}"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" "$@"
