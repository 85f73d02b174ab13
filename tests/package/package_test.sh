#!/usr/bin/env bash
# package_test.sh: checks the package as a user gets it, without touching the system.
#   1. cmake --install BUILD --prefix TMP/prefix
#   2. configure, build and run examples/standalone against TMP/prefix (find_package)
#   3. build tests/package/train_consumer (find_package(powertrain COMPONENTS train)) against
#      TMP/prefix and train one small epoch with it
#   4. cpack -G DEB into TMP/deb: two packages, powertrain (no LibTorch) and powertrain-train
#      (the engine, which depends on it); check their control data and contents
#   5. unpack the lean package alone: its commands run (measure, grids, devices, tune
#      --simulate), a training command exits 127 naming powertrain-train, examples/standalone
#      builds and runs against it, and find_package(... COMPONENTS train) fails with a message
#   6. unpack powertrain-train beside it: `powertrain train` trains, train_consumer builds
# Usage: package_test.sh BUILD_DIR [SOURCE_DIR]
# Environment (set by ctest): CMAKE, CPACK, TORCH_DIR, POWERTRAIN_GENERATOR.
set -euo pipefail

build=$(cd "${1:?usage: package_test.sh BUILD_DIR [SOURCE_DIR]}" && pwd)
source_dir=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
cmake=${CMAKE:-cmake}
cpack=${CPACK:-cpack}
generator=${POWERTRAIN_GENERATOR:-}
if [ -z "$generator" ] && command -v ninja >/dev/null; then generator=Ninja; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/powertrain-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
step() { echo "== $(date +%T) $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "install $build -> $tmp/prefix"
"$cmake" --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
for f in bin/powertrain libexec/powertrain/powertrain-train libexec/powertrain/powertrain-serve \
         lib/powertrain/libpowertrain_postgres.so lib/libpowertrain_train.a \
         lib/cmake/powertrain/powertrainTrainTargets.cmake include/powertrain/energy/meter.h include/powertrain/store/store.h \
         lib/libpowertrain_energy.a lib/libpowertrain_store.a \
         lib/cmake/powertrain/powertrainConfig.cmake lib/cmake/powertrain/powertrainConfigVersion.cmake \
         lib/cmake/powertrain/powertrainTargets.cmake share/doc/powertrain/packaging.md \
         share/doc/powertrain/examples/standalone/CMakeLists.txt; do
  [ -e "$tmp/prefix/$f" ] || fail "installed tree lacks $f"
done
# No header the package installs may include a header it does not install.
for h in $(cd "$tmp/prefix/include" && find powertrain -name '*.h'); do
  for inc in $(sed -n 's/^#include "\(powertrain\/[^"]*\)".*/\1/p' "$tmp/prefix/include/$h"); do
    [ -e "$tmp/prefix/include/$inc" ] || fail "$h includes $inc, which is not installed"
  done
done

# build_and_run_standalone PREFIX NAME: configures and builds examples/standalone with
# find_package(powertrain) from PREFIX only, runs it and checks its energies and provenance.
build_and_run_standalone() {
  local prefix=$1 name=$2 prefix_path=$1 gen_args=() rc=0 out
  if [ -n "${TORCH_DIR:-}" ]; then prefix_path="$prefix_path;$TORCH_DIR"; fi
  if [ -n "$generator" ]; then gen_args=(-G "$generator"); fi
  "$cmake" -S "$tmp/standalone" -B "$tmp/$name" "${gen_args[@]}" -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_PREFIX_PATH=$prefix_path" >"$tmp/$name.configure.log" 2>&1 ||
    { cat "$tmp/$name.configure.log"; fail "configure standalone against $prefix"; }
  grep -q "^powertrain_DIR:PATH=$prefix/lib/cmake/powertrain\$" "$tmp/$name/CMakeCache.txt" ||
    fail "standalone did not use the package in $prefix"
  "$cmake" --build "$tmp/$name" -j2 >"$tmp/$name.build.log" 2>&1 || { cat "$tmp/$name.build.log"; fail "build standalone"; }
  out=$(cd "$tmp" && "$tmp/$name/train_standalone" --epochs 2 --steps 20 --batch 128 --db "$tmp/$name.db") || rc=$?
  [ "$rc" -eq 0 ] || { echo "$out"; fail "train_standalone exited with $rc"; }
  echo "$out"
  for epoch in 1 2; do
    grep -Eq "^ +$epoch +[0-9.]+ +[0-9.]+s +[0-9.]+ J .*(measured_counter|integrated_power|estimated)$" <<<"$out" ||
      fail "no energy with provenance for epoch $epoch"
  done
  grep -Eq "^  epoch 2: [0-9.]+ J \((measured_counter|integrated_power|estimated)\)$" <<<"$out" ||
    fail "epochs not read back from the store"
}

# The source is copied so that nothing of powertrain's tree is on the include path.
cp -r "$source_dir/examples/standalone" "$tmp/standalone"
step "build and run examples/standalone against the installed package"
build_and_run_standalone "$tmp/prefix" standalone-prefix

# build_train_consumer PREFIX NAME: configures tests/package/train_consumer against PREFIX
# (and LibTorch); the caller checks the result. Leaves the log in $tmp/NAME.configure.log.
configure_train_consumer() {
  local prefix=$1 name=$2 prefix_path=$1 gen_args=()
  if [ -n "${TORCH_DIR:-}" ]; then prefix_path="$prefix_path;$TORCH_DIR"; fi
  if [ -n "$generator" ]; then gen_args=(-G "$generator"); fi
  "$cmake" -S "$tmp/train_consumer" -B "$tmp/$name" "${gen_args[@]}" -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_PREFIX_PATH=$prefix_path" >"$tmp/$name.configure.log" 2>&1
}
# A small config: one epoch of an MLP on 2,000 Fashion-MNIST images, no checkpoint.
cat >"$tmp/tiny.json" <<'JSON'
{"name": "package-tiny", "data": {"format": "idx", "path": "/usr/share/datasets/fashion-mnist", "subset": 2000},
 "model": {"type": "mlp", "hidden": [32]}, "optimizer": {"type": "adam", "lr": 0.003},
 "training": {"epochs": 1, "batch_size": 128}}
JSON
# build_and_run_train_consumer PREFIX NAME
build_and_run_train_consumer() {
  local out
  configure_train_consumer "$1" "$2" || { cat "$tmp/$2.configure.log"; fail "configure train_consumer against $1"; }
  "$cmake" --build "$tmp/$2" -j2 >"$tmp/$2.build.log" 2>&1 || { cat "$tmp/$2.build.log"; fail "build train_consumer"; }
  out=$(cd "$tmp" && "$tmp/$2/train_consumer" "$tmp/tiny.json") || { echo "$out"; fail "train_consumer against $1"; }
  echo "$out"
  grep -Eq "^epochs 1, validation accuracy 0\.[0-9]+, energy [0-9.]+ J \((measured_counter|integrated_power|estimated)\)$" <<<"$out" ||
    fail "train_consumer's result"
}
cp -r "$source_dir/tests/package/train_consumer" "$tmp/train_consumer"
step "build and run tests/package/train_consumer (COMPONENTS train) against the installed package"
build_and_run_train_consumer "$tmp/prefix" train-prefix

step "cpack -G DEB"
(cd "$build" && "$cpack" -G DEB -B "$tmp/deb" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/deb/powertrain_*_amd64.deb 2>/dev/null | head -n1)
deb_train=$(ls "$tmp"/deb/powertrain-train_*_amd64.deb 2>/dev/null | head -n1)
[ -n "$deb" ] && [ -n "$deb_train" ] || { ls -la "$tmp/deb"; fail "expected powertrain_<version>_amd64.deb and powertrain-train_<version>_amd64.deb"; }
for d in "$deb" "$deb_train"; do
  echo "$(basename "$d"): $(du -h "$d" | cut -f1)"
  dpkg-deb --info "$d" | grep -E "^ (Package|Version|Section|Depends|Recommends|Suggests|Installed-Size):"
done
info=$(dpkg-deb --info "$deb")
grep -q "^ Package: powertrain$" <<<"$info" || fail "lean package name"
grep -Eq "^ Depends:.*libsqlite3-0" <<<"$info" || fail "powertrain's Depends lacks libsqlite3-0"
! grep -Eq "^ Depends:.*(libtorch|libopenblas)" <<<"$info" || fail "powertrain (the lean package) depends on LibTorch"
info=$(dpkg-deb --info "$deb_train")
grep -q "^ Package: powertrain-train$" <<<"$info" || fail "engine package name"
grep -Eq "^ Depends:.*libtorch" <<<"$info" || fail "powertrain-train's Depends lacks libtorch"
grep -Eq "^ Depends:.*powertrain \(= [0-9.]+\)" <<<"$info" || fail "powertrain-train does not depend on powertrain (= version)"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/powertrain ./usr/libexec/powertrain/powertrain-serve ./usr/lib/powertrain/libpowertrain_postgres.so \
         ./usr/include/powertrain/energy/meter.h ./usr/include/powertrain/store/store.h \
         ./usr/lib/libpowertrain_energy.a ./usr/lib/libpowertrain_store.a \
         ./usr/lib/cmake/powertrain/powertrainConfig.cmake ./usr/lib/cmake/powertrain/powertrainConfigVersion.cmake \
         ./usr/lib/cmake/powertrain/powertrainTargets.cmake ./usr/share/doc/powertrain/packaging.md; do
  grep -q " $f\$" <<<"$contents" || fail "powertrain .deb lacks $f"
done
for f in powertrain-train libpowertrain_train.a powertrainTrainTargets; do
  ! grep -q "$f" <<<"$contents" || fail "powertrain .deb (lean) holds $f"
done
contents=$(dpkg-deb --contents "$deb_train")
for f in ./usr/libexec/powertrain/powertrain-train ./usr/lib/libpowertrain_train.a ./usr/lib/libpowertrain_study.a \
         ./usr/lib/cmake/powertrain/powertrainTrainTargets.cmake; do
  grep -q " $f\$" <<<"$contents" || fail "powertrain-train .deb lacks $f"
done
! grep -q " ./usr/bin/powertrain\$" <<<"$contents" || fail "powertrain-train .deb holds the command (a file conflict)"

step "unpack the lean .deb alone and run its powertrain"
dpkg-deb -x "$deb" "$tmp/root"
pt="$tmp/root/usr/bin/powertrain"
# The lean package does not need LibTorch: its binaries do not name it.
for bin in "$pt" "$tmp/root/usr/libexec/powertrain/powertrain-serve" "$tmp/root/usr/lib/powertrain/libpowertrain_postgres.so"; do
  ! readelf -d "$bin" | grep -E "NEEDED.*(torch|c10)" || fail "$bin needs LibTorch"
done
"$pt" --version | tee "$tmp/version.txt"
grep -q "powertrain" "$tmp/version.txt" || fail "--version"
"$pt" --help >/dev/null || fail "--help"
(cd "$tmp" && "$pt" measure --no-store -q -- true) || fail "measure -- true"
(cd "$tmp" && "$pt" grids >/dev/null) || fail "grids"
(cd "$tmp" && "$pt" devices >/dev/null) || fail "devices"
"$tmp/root/usr/libexec/powertrain/powertrain-serve" --help >/dev/null || fail "powertrain-serve --help"
traces="$source_dir/../shared/data/zeus-nsdi23"
if [ -d "$traces" ]; then
  (cd "$tmp" && "$pt" tune --simulate "zeus:$traces" --gpu v100 --workload cifar100 --no-store -q >/dev/null) ||
    fail "tune --simulate"
fi
rc=0
(cd "$tmp" && "$pt" train "$tmp/tiny.json" --no-store -q) >"$tmp/train-lean.log" 2>&1 || rc=$?
cat "$tmp/train-lean.log"
[ "$rc" -eq 127 ] || fail "train without the engine exited with $rc, not 127"
grep -q "apt install powertrain-train" "$tmp/train-lean.log" || fail "train without the engine does not name powertrain-train"
if [ -d "$build/python/powertrain" ]; then
  step "the Python module from the lean .deb: /usr/bin/python3 imports it, its epochs reach powertrain measure"
  pydir=$(ls -d "$tmp"/root/usr/lib/python3*/dist-packages 2>/dev/null | head -n1)
  [ -n "$pydir" ] && [ -f "$pydir/powertrain/__init__.py" ] && ls "$pydir"/powertrain/_powertrain*.so >/dev/null ||
    fail "the lean .deb has no Python package powertrain"
  script='import powertrain
for epoch in powertrain.epochs(range(2)):
    powertrain.log(train_loss=1.0 / (epoch + 1))'
  out=$(cd "$tmp" && PYTHONPATH="$pydir" "$pt" measure --no-store -q --json - -- /usr/bin/python3 -c "$script") ||
    { echo "$out"; fail "a Python script with the packaged module under powertrain measure"; }
  grep -q '"epochs": 2' <<<"$out" || { echo "$out"; fail "the packaged module's epochs did not reach powertrain measure"; }
fi
# The package is relocatable and its static libraries (debug info stripped) still link.
step "build and run examples/standalone against the unpacked lean .deb"
build_and_run_standalone "$tmp/root/usr" standalone-deb
step "find_package(powertrain COMPONENTS train) without powertrain-train fails with a message"
! configure_train_consumer "$tmp/root/usr" train-lean || fail "COMPONENTS train configured without powertrain-train"
grep -q "apt install powertrain-train" "$tmp/train-lean.configure.log" || { cat "$tmp/train-lean.configure.log"; fail "no message naming powertrain-train"; }

step "unpack powertrain-train beside it: train, and build against powertrain::train"
dpkg-deb -x "$deb_train" "$tmp/root"
out=$(cd "$tmp" && "$pt" train "$tmp/tiny.json" --no-store -q --json -) || { echo "$out"; fail "powertrain train with the engine"; }
grep -q '"epochs_run": *1' <<<"$out" || { echo "$out"; fail "powertrain train's JSON lacks epochs_run 1"; }
build_and_run_train_consumer "$tmp/root/usr" train-deb
step "ok"
