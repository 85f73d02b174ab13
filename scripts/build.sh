#!/usr/bin/env bash
# Installs what is missing (Debian packages), then configures and builds powertrain in build/.
# Usage: scripts/build.sh [TARGET...]   (no target: everything, tests and benchmarks included)
#        env: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build_dir="${BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
echo "build: done ($build_dir/src/cli/powertrain)"
