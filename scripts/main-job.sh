#!/usr/bin/env bash
# Installs what is missing, builds, and runs powertrain's main job on the embedded defaults
# (SQLite store ./powertrain.db, Fashion-MNIST from Debian's dataset-fashion-mnist):
#   1. the energy sensors of this machine (powertrain devices);
#   2. the standard recipe against powertrain's, judged on one test accuracy (powertrain study
#      recipe): the tutorial CNN trained as every tutorial does (Adam 1e-3, batch 64, 10 epochs),
#      then an energy-aware search (SM2) over batch size, one-cycle peak LR and precision, then
#      its choice trained until it reaches the target; energy and time of each, the saving,
#      the search's energy and its payback; an HTML report side by side;
#   3. what to change, lever by lever, from what was measured (powertrain advise).
# Usage: scripts/main-job.sh         env: DB (default powertrain.db), OUT (default main-job/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh powertrain   # only what the job runs; scripts/test.sh builds the rest
build_dir="${BUILD_DIR:-build}"
pt="$build_dir/src/cli/powertrain"
db="${DB:-powertrain.db}"
out="${OUT:-main-job}"
mkdir -p "$out"
study="recipe-$(date +%Y%m%d-%H%M%S)"
start_s=$(date +%s)

echo
echo "== 1. sensors on this machine: powertrain devices"
"$pt" devices
echo
echo "== 2. the standard recipe against powertrain's, to one test accuracy: powertrain study recipe"
"$pt" study recipe --db "$db" --name "$study" --report "$out/recipe-report.html" --json "$out/recipe.json"
echo
echo "== 3. what to change, lever by lever: powertrain advise $study"
"$pt" advise "$study" --db "$db"
echo
echo "main job done in $(( $(date +%s) - start_s )) s after the build: study '$study' in $db; report $out/recipe-report.html"
echo "to browse it (runs, epochs, the search's trials, devices): $pt serve --db $db   (then open http://127.0.0.1:8050/)"
