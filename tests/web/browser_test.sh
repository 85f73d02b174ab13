#!/usr/bin/env bash
# Browser test of `powertrain serve` (CTest: web.browser, label "browser").
# Trains a small real model into a fresh store, serves the store while it trains, and drives
# Debian's chromium through tests/web/dashboard_test.mjs (playwright-core): the run's charts must
# fill and then update live over Server-Sent Events (power, then an epoch, then the end of the
# run, which the browser test causes with SIGINT), the pages must load without console errors.
# With the Zeus traces in ../shared/data/zeus-nsdi23 it also stores a simulated study and checks its page.
# Usage: tests/web/browser_test.sh POWERTRAIN_BINARY
# Env:   SCREENSHOT_DIR=DIR  keep full-page screenshots of the pages there
#        ZEUS_TRACE_DIR=DIR  the Zeus NSDI'23 traces (default: ../shared/data/zeus-nsdi23 beside the repo)
# Needs: /usr/bin/chromium, node, tests/web/node_modules/playwright-core (scripts/install-deps.sh installs all three).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 POWERTRAIN_BINARY" >&2
  exit 2
fi
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
zeus="${ZEUS_TRACE_DIR:-$repo/../shared/data/zeus-nsdi23}"

missing=()
[ -x /usr/bin/chromium ] || missing+=("/usr/bin/chromium")
command -v node >/dev/null 2>&1 || missing+=("node")
[ -d "$here/node_modules/playwright-core" ] || missing+=("tests/web/node_modules/playwright-core")
command -v sqlite3 >/dev/null 2>&1 || missing+=("sqlite3")
if [ ${#missing[@]} -gt 0 ]; then
  echo "browser_test: missing ${missing[*]}; run scripts/install-deps.sh (as root) to install them" >&2
  exit 1
fi
[ -x "$bin" ] || { echo "browser_test: $bin is not an executable" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/powertrain-browser-test.XXXXXX")"
train_pid=""
serve_pid=""
cleanup() {
  local rc=$?
  for pid in $serve_pid $train_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ "$rc" -ne 0 ]; then
    for log in train serve; do
      if [ -s "$tmp/$log.log" ]; then
        echo "--- last lines of $log.log ---" >&2
        tail -n 20 "$tmp/$log.log" >&2
      fi
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

store="$tmp/store.db"

# 1. A simulated study (about a second): Zeus traces, successive halving.
study_flag=""
if [ -d "$zeus" ]; then
  "$bin" tune --simulate "zeus:$zeus" --gpu v100 --workload cifar100 --strategy sh --db "$store" -q \
    >"$tmp/tune.log" 2>&1 || { cat "$tmp/tune.log" >&2; echo "browser_test: the simulated study failed" >&2; exit 1; }
  study_flag="--study"
else
  echo "browser_test: no Zeus traces in $zeus: skipping the study pages (the rest still runs)"
fi

# 2. A real training run that goes on until the browser test stops it with SIGINT (Ctrl-C:
#    the run ends `interrupted` after the current step and keeps its epochs), so the test
#    waits for what it checks, not for a run length guessed for this machine's speed (CI
#    trains alongside other tests: epochs took 2 s on an idle machine and 18 s under load).
#    An MLP on 10000 Fashion-MNIST images, one LibTorch and one BLAS thread (the other core
#    is chromium's), no early stopping; 1000 epochs is only a ceiling.
cat >"$tmp/train.json" <<'EOF'
{
  "name": "browser-test",
  "data": {"format": "idx", "path": "/usr/share/datasets/fashion-mnist", "subset": 10000},
  "model": {"type": "mlp", "hidden": [512, 256]},
  "optimizer": {"type": "adam", "lr": 0.001},
  "training": {"epochs": 1000, "batch_size": 32, "threads": 1, "blas_threads": 1},
  "early_stopping": {"patience": 0}
}
EOF
"$bin" train "$tmp/train.json" --db "$store" >"$tmp/train.log" 2>&1 &
train_pid=$!

run_id=""
for _ in $(seq 1 60); do
  [ -f "$store" ] && run_id="$(sqlite3 -readonly -cmd ".timeout 2000" "$store" "select max(id) from runs where name = 'browser-test'" 2>/dev/null || true)"
  [ -n "$run_id" ] && break
  if ! kill -0 "$train_pid" 2>/dev/null; then
    echo "browser_test: training ended before its run appeared in the store" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$run_id" ]; then
  echo "browser_test: no run 'browser-test' in $store after 30 s of training" >&2
  exit 1
fi
echo "browser_test: training run $run_id"

# 3. The server, on a free port; its first line names the URL.
"$bin" serve --db "$store" --port 0 >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve_pid=$!
line=""
for _ in $(seq 1 100); do
  if [ "$(wc -l <"$tmp/serve.out")" -ge 1 ]; then  # a whole first line
    line="$(head -n 1 "$tmp/serve.out")"
    break
  fi
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "browser_test: powertrain serve exited at start" >&2
    exit 1
  fi
  sleep 0.2
done
url="$(printf '%s\n' "$line" | sed -nE 's#^powertrain serve: (http://[^ ]+) .*#\1#p')"
if [ -z "$url" ]; then
  echo "browser_test: powertrain serve printed no URL line in 20 s (got: '$line'; is stdout flushed?)" >&2
  exit 1
fi
echo "browser_test: serving $url"

# 4. The browser; it sends the training SIGINT once it has seen the run live.
TRAIN_PID="$train_pid" node "$here/dashboard_test.mjs" "$url" "$run_id" $study_flag

# The training must have ended as Ctrl-C ends it: exit 130, the run kept as interrupted.
rc=0
wait "$train_pid" || rc=$?
train_pid=""
if [ "$rc" -ne 130 ]; then
  echo "browser_test: powertrain train exited $rc after SIGINT, not 130" >&2
  exit 1
fi
status="$(sqlite3 -readonly -cmd ".timeout 2000" "$store" "select status from runs where id = $run_id")"
if [ "$status" != "interrupted" ]; then
  echo "browser_test: run $run_id is '$status' after SIGINT, not 'interrupted'" >&2
  exit 1
fi
echo "browser_test: passed"
