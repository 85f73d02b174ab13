#!/usr/bin/env bash
# What a command costs before it does anything: start-up time and peak memory of powertrain's
# commands against a bare `true` (the baseline), measured in the same run. The commands that
# do not train must stay lean (docs/architecture.md, "One command, three executables"):
# goal `measure --no-store -q -- true` <= 30 ms over `true` and <= 20 MB peak.
#   bench/startup_bench.sh            env: BUILD_DIR (default build), REPEATS (default 30),
#                                          TRACES (default ../shared/data/zeus-nsdi23)
# Each time is the median of REPEATS runs (train: of 3), wall clock from fork to exit; peak
# memory is the largest resident set of the process tree's biggest process (/usr/bin/time
# %M, the maximum over the runs). Run it on a quiet machine: a build beside it makes the
# figures meaningless.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$root/${BUILD_DIR:-build}/src/cli/powertrain"
[ -x "$bin" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install time" >&2; exit 2; }
repeats=${REPEATS:-30}
traces=${TRACES:-$root/../shared/data/zeus-nsdi23}
work=$(mktemp -d "${TMPDIR:-/tmp}/powertrain-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run_case NAME REPEATS CMD...: prints "NAME median_ms peak_kb"; fails if CMD fails.
run_case() {
  local name=$1 n=$2 times=() peak=0 t0 t1 kb i
  shift 2
  for i in $(seq "$n"); do
    # bash 5's clock, read without starting a process: only the command's fork and exec count.
    t0=${EPOCHREALTIME/./}
    "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; echo "FAIL: $name: $*" >&2; exit 1; }
    t1=${EPOCHREALTIME/./}
    times+=("$(( t1 - t0 ))")
  done
  for i in 1 2 3; do
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1 || true
    kb=$(tail -n1 "$work/rss")
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  echo "$name $(printf "%s\n" "${times[@]}" | median) $peak"
}

"$bin" measure -q --db "$work/runs.db" -- true >/dev/null 2>&1 || { echo "measure failed" >&2; exit 1; }
cat >"$work/tiny.json" <<'JSON'
{"name": "startup-tiny", "data": {"format": "idx", "path": "/usr/share/datasets/fashion-mnist", "subset": 500},
 "model": {"type": "mlp", "hidden": [32]}, "training": {"epochs": 1, "batch_size": 128}}
JSON

results=()
results+=("$(run_case "true (/usr/bin/true)" "$repeats" /usr/bin/true)")
results+=("$(run_case "powertrain --version" "$repeats" "$bin" --version)")
results+=("$(run_case "measure --no-store -q -- true" "$repeats" "$bin" measure --no-store -q -- true)")
results+=("$(run_case "grids" "$repeats" "$bin" grids)")
results+=("$(run_case "devices" "$repeats" "$bin" devices)")
results+=("$(run_case "report 1 --format json" "$repeats" "$bin" report 1 --db "$work/runs.db" --format json --out -)")
results+=("$(run_case "serve --help" "$repeats" "$bin" serve --help)")
if [ -d "$traces" ]; then
  results+=("$(run_case "tune --simulate (cifar100, v100, sm2)" "$repeats" "$bin" tune --simulate "zeus:$traces" \
    --gpu v100 --workload cifar100 --strategy sm2 --seed 1 --no-store -q)")
else
  echo "(no traces at $traces: tune --simulate skipped; set TRACES)" >&2
fi
results+=("$(run_case "train --help (loads LibTorch)" "$repeats" "$bin" train --help)")
if [ -d /usr/share/datasets/fashion-mnist ]; then
  results+=("$(run_case "train tiny (500 images, 1 epoch)" 3 "$bin" train "$work/tiny.json" --no-store -q)")
fi

base_us=$(awk '{print $(NF-1)}' <<<"${results[0]}")
printf "%-40s %10s %10s %9s %9s\n" command "median ms" "+ms/true" "x true" "peak MB"
for r in "${results[@]}"; do
  awk -v base="$base_us" '{
    kb = $NF; us = $(NF-1); name = $1; for (i = 2; i <= NF - 2; i++) name = name " " $i
    printf "%-40s %10.2f %10.2f %9.1f %9.1f\n", name, us / 1000, (us - base) / 1000, us / base, kb / 1024
  }' <<<"$r"
done
echo "(median of $repeats runs, train tiny of 3; $(nproc) cores; $(date -u +%F))"
