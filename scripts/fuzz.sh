#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ in build-fuzz/ (clang; AddressSanitizer and
# UndefinedBehaviorSanitizer; no LibTorch) and runs each for SECONDS (default 60) on its
# seed corpus (fuzz/corpus/<target>/, read only). New inputs the fuzzer finds go to
# build-fuzz/work/<target>/corpus/, a crash, leak or hang to build-fuzz/work/<target>/
# (crash-*, leak-*, timeout-*) and the script fails naming it. Prints, per target, the
# executions, the time and the corpus size. See docs/fuzzing.md.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (targets: config study idx cifar10 pamap2 csv
#        replay carbon zeus_trace store dashboard; default all)
#        env: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_SKIP_DEPS=1 (do not run scripts/install-deps.sh),
#             FUZZ_OPT (compiler optimisation, default "-O1 -gline-tables-only"; CI's short runs use -O0,
#             which builds in half the time)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
all=(config study idx cifar10 pamap2 csv replay carbon zeus_trace store dashboard)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"

[ "${FUZZ_SKIP_DEPS:-0}" = 1 ] || bash scripts/install-deps.sh >/dev/null
opt="${FUZZ_OPT:--O1 -gline-tables-only}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPOWERTRAIN_FUZZ=ON >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "${t}_fuzz"); done
cmake --build "$build_dir" -j "$(nproc)" "${build_targets[@]}"

summary=()
status=0
for t in "${targets[@]}"; do
  work="$build_dir/work/$t"
  mkdir -p "$work/corpus"
  log="$work/fuzz.log"
  echo "fuzz: $t for ${seconds} s"
  start=$(date +%s.%N)
  # -timeout: an input that takes over 10 s is a hang; -rss_limit_mb: memory that grows
  # with what a header claims is a bug too. Leaks are reported (ASan's leak checker).
  rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
  set +e
  "$build_dir/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
  execs=$(awk '/stat::number_of_executed_units:/ { n += $2 } END { print n + 0 }' "$log")
  corpus=$(find "$work/corpus" "fuzz/corpus/$t" -type f | wc -l)
  summary+=("$(printf '%-11s %12s executions %6s s  corpus %5s files' "$t" "$execs" "$elapsed" "$corpus")")
  if [ $rc -ne 0 ] || ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
    echo "fuzz: $t FAILED (exit $rc); the input and the report:" >&2
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null >&2 || true
    grep -E "ERROR|SUMMARY|==[0-9]+==" "$log" | head -20 >&2 || true
    echo "fuzz: full log $log" >&2
    status=1
  fi
done
echo "fuzz: summary ($(nproc) CPUs, one fuzzing process per target)"
for line in "${summary[@]}"; do echo "  $line"; done
exit $status
