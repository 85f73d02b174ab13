#!/usr/bin/env bash
# Installs what is missing, builds, and runs powertrain's main job on the embedded defaults
# (SQLite store ./powertrain.db, Fashion-MNIST from Debian's dataset-fashion-mnist):
#   1. the energy sensors of this machine (powertrain devices);
#   2. an energy-aware search (SM2) over batch size x learning rate (powertrain tune);
#   3. the chosen configuration trained to its stopping point (powertrain train);
#   4. reports of the search and of the training run (powertrain report -> HTML);
#   5. what to change, from what was measured (powertrain advise).
# Usage: scripts/main-job.sh         env: DB (default powertrain.db), OUT (default main-job/)
set -euo pipefail
cd "$(dirname "$0")/.."
start_s=$(date +%s)
bash scripts/build.sh powertrain   # only what the job runs; scripts/test.sh builds the rest
build_dir="${BUILD_DIR:-build}"
pt="$build_dir/src/cli/powertrain"
db="${DB:-powertrain.db}"
out="${OUT:-main-job}"
mkdir -p "$out"
study="fashion-sm2-$(date +%Y%m%d-%H%M%S)"

echo
echo "== 1. sensors on this machine: powertrain devices"
"$pt" devices
echo
echo "== 2. energy-aware search (SM2) over batch size x learning rate: powertrain tune examples/study_fashion_sm2.json"
"$pt" tune examples/study_fashion_sm2.json --db "$db" --study "$study" --save-best "$out/chosen.json" --json "$out/search.json"
echo
echo "== 3. the chosen configuration, trained to its stopping point: powertrain train $out/chosen.json"
"$pt" train "$out/chosen.json" --set training.epochs=30 --db "$db" --json "$out/train.json"
run_id=$(grep -o '"run_id": *[0-9]*' "$out/train.json" | head -1 | grep -o '[0-9]*$')
echo
echo "== 4. reports: powertrain report $study; powertrain report $run_id"
"$pt" report "$study" --db "$db" --out "$out/search-report.html"
"$pt" report "$run_id" --db "$db" --out "$out/train-report.html"
echo
echo "== 5. what to change: powertrain advise"
"$pt" advise --db "$db"
echo
echo "main job done in $(( $(date +%s) - start_s )) s: study '$study' and run $run_id in $db; reports in $out/"
echo "to browse them (runs, the search's Pareto front, devices): $pt serve --db $db   (then open http://127.0.0.1:8050/)"
