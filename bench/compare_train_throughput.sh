#!/usr/bin/env bash
# Training throughput, powertrain (C++) vs PyTorch (Python) on the same libtorch 1.13,
# same model, data, optimizer and thread count: samples/s and their ratio, measured in
# one run. Each cell is the median of REPEATS runs, C++ and Python interleaved.
# Goal: ratio >= 1.2 for small models, never below 1.0.
#   bench/compare_train_throughput.sh        env: THREADS (default nproc), REPEATS (3)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed" || \
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-torch python3-numpy; }
bin=${BUILD_DIR:-build}/bench/train_throughput
[ -x "$bin" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
threads=${THREADS:-$(nproc)}
repeats=${REPEATS:-3}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-5s %6s %14s %14s %7s\n" model batch "powertrain/s" "pytorch/s" ratio
for model in mlp cnn; do
  for batch in 32 128 512; do
    samples=$([ $model = mlp ] && echo 40000 || echo 6000)
    cpp=(); py=()
    for r in $(seq "$repeats"); do
      cpp+=("$("$bin" $model $batch "$threads" $samples)")
      # The same BLAS threads as the engine sets (1 when LibTorch has more than one thread).
      py+=("$(OPENBLAS_NUM_THREADS=$([ "$threads" -gt 1 ] && echo 1 || nproc) /usr/bin/python3 bench/train_throughput.py $model $batch "$threads" $samples)")
    done
    c=$(printf "%s\n" "${cpp[@]}" | median); p=$(printf "%s\n" "${py[@]}" | median)
    printf "%-5s %6s %14.0f %14.0f %7.2f\n" $model $batch "$c" "$p" "$(awk -v c="$c" -v p="$p" 'BEGIN {print c / p}')"
  done
done
echo "(threads: $threads; median of $repeats interleaved runs; libtorch $(/usr/bin/python3 -c 'import torch;print(torch.__version__)'))"
