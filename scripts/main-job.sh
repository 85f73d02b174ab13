#!/usr/bin/env bash
# Installs what is missing, builds, and runs powertrain's main job on the embedded defaults
# (SQLite store ./powertrain.db, Fashion-MNIST from Debian's dataset-fashion-mnist):
#   1. the energy sensors of this machine (powertrain devices);
#   2. a training run of the engine with energy per epoch (powertrain train examples/fashion_mlp.json);
#   3. any command measured from outside: a user's own LibTorch loop (powertrain measure -- ...).
# Usage: scripts/main-job.sh         env: DB (default powertrain.db)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir="${BUILD_DIR:-build}"
pt="$build_dir/src/cli/powertrain"
db="${DB:-powertrain.db}"
echo
echo "== 1. sensors on this machine: powertrain devices"
"$pt" devices
echo
echo "== 2. train with energy per epoch: powertrain train examples/fashion_mlp.json"
"$pt" train examples/fashion_mlp.json --db "$db" --json "$build_dir/main-job-train.json"
echo
echo "== 3. measure any command: powertrain measure -- $build_dir/examples/train_with_meter --epochs 2"
"$pt" measure --db "$db" --name "own libtorch loop" --json "$build_dir/main-job-measure.json" -- \
  "$build_dir/examples/train_with_meter" --epochs 2
echo
echo "runs stored in $db; JSON reports in $build_dir/main-job-*.json"
