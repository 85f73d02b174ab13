#!/usr/bin/env bash
# Installs what is missing, builds, and runs powertrain's main job on the embedded defaults:
# `powertrain measure` around a real LibTorch training run (an MLP on Fashion-MNIST from
# Debian's dataset-fashion-mnist, energy per epoch from the meter inside it), stored in
# ./powertrain.db (SQLite) and printed as an energy report.
# Usage: scripts/main-job.sh         env: EPOCHS (default 3), DB (default powertrain.db)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir="${BUILD_DIR:-build}"
echo
echo "== sensors on this machine"
"$build_dir/src/cli/powertrain" devices
echo
echo "== powertrain measure -- train_with_meter (energy per epoch inside, per run outside)"
"$build_dir/src/cli/powertrain" measure --db "${DB:-powertrain.db}" --name "fashion-mnist mlp" \
  --json "$build_dir/main-job.json" -- "$build_dir/examples/train_with_meter" --epochs "${EPOCHS:-3}"
echo "(JSON report: $build_dir/main-job.json; run store: ${DB:-powertrain.db})"
