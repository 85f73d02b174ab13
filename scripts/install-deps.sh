#!/usr/bin/env bash
# Installs every build, run and test dependency of powertrain from Debian 12's packages.
# Idempotent: installs only what is missing, so a second run costs a few seconds.
# Usage: scripts/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config   # toolchain
  clang libclang-rt-14-dev                        # fuzzing: libFuzzer and the sanitizers for clang (scripts/fuzz.sh)
  libtorch-dev                                    # training engine (LibTorch 1.13, CPU)
  libopenblas0-pthread                            # fast BLAS for libtorch (reference BLAS is ~10x slower)
  libsqlite3-dev sqlite3                          # run store (embedded default); sqlite3 shell for tests and users
  nlohmann-json3-dev                              # JSON output and config files
  libcli11-dev                                    # command-line parsing
  libfmt-dev                                      # formatting of tables and reports
  zlib1g-dev                                      # gzip-compressed datasets (IDX .gz)
  googletest                                      # unit tests (GoogleTest sources + CMake config)
  libgtest-dev libgmock-dev
  libbenchmark-dev                                # bench/
  dataset-fashion-mnist                           # default dataset of the main job
  libpqxx-dev                                     # PostgreSQL storage for studies shared by many workers
  postgresql                                      # a real server the tests start on loopback
  python3-optuna                                  # tests: studies exported to Optuna's storage open in Optuna
  pybind11-dev python3-pybind11 python3-dev       # the Python module `powertrain` (src/python)
  python3-torch python3-numpy                     # examples/pytorch_fashion_mnist.py, run by the tests
  libcpp-httplib-dev                              # powertrain serve: the dashboard's HTTP server (cpp-httplib)
  chromium                                        # tests: the dashboard's browser test (driven by playwright-core)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser test's driver: playwright-core from the npm registry, pinned by tests/web/package-lock.json.
# It drives Debian's chromium; no browser is downloaded.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing nodejs npm"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
if [ ! -d "$repo/tests/web/node_modules/playwright-core" ]; then
  echo "install-deps: npm ci in tests/web (playwright-core)"
  npm ci --prefix "$repo/tests/web" --no-audit --no-fund
else
  echo "install-deps: tests/web/node_modules/playwright-core already installed"
fi
