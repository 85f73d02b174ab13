#!/usr/bin/env bash
# forecast_bench.sh: trains 12 varied runs (an MLP on 5,000 Fashion-MNIST images; learning
# rate x batch size; early stopping at 84 % validation accuracy or after 3 epochs without
# improvement; at most 20 epochs) into a fresh store, then compares the per-epoch energy
# forecast with Carbontracker's rule on them (build/bench/forecast_bench). Takes ~3 min on
# the 2-core machine. Run it on a quiet machine.
#   bash bench/forecast_bench.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
pt="$build/src/cli/powertrain"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/mlp.json" <<'JSON'
{"name": "forecast-mlp", "data": {"format": "idx", "path": "/usr/share/datasets/fashion-mnist", "subset": 5000},
 "model": {"type": "mlp", "hidden": [128]}, "optimizer": {"type": "adam"},
 "training": {"epochs": 20, "threads": 2},
 "early_stopping": {"monitor": "val_metric", "target": 0.84, "patience": 3}}
JSON
for lr in 0.0003 0.001 0.003 0.01; do
  for bs in 32 128 512; do
    "$pt" train "$tmp/mlp.json" --db "$tmp/runs.db" -q --set optimizer.lr=$lr --set training.batch_size=$bs \
      --set name="\"mlp-lr$lr-b$bs\"" >/dev/null
  done
done
"$build/bench/forecast_bench" "$tmp/runs.db"
