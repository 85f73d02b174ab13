#!/usr/bin/env bash
# package_test.sh: checks the package as a user gets it, without touching the system.
#   1. cmake --install BUILD --prefix TMP/prefix
#   2. configure, build and run examples/standalone against TMP/prefix (find_package)
#   3. cpack -G DEB into TMP/deb; check its control data and contents; unpack it with
#      dpkg-deb -x, run the unpacked usr/bin/powertrain --version and --help, and build
#      and run examples/standalone once more against the unpacked usr/
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
for f in bin/powertrain include/powertrain/energy/meter.h include/powertrain/store/store.h \
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

step "cpack -G DEB"
(cd "$build" && "$cpack" -G DEB -B "$tmp/deb" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/deb/powertrain_*_amd64.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || { ls -la "$tmp/deb"; fail "no powertrain_<version>_amd64.deb"; }
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1)"
info=$(dpkg-deb --info "$deb")
grep -E "^ (Package|Version|Section|Depends|Recommends|Installed-Size):" <<<"$info"
grep -q "Package: powertrain" <<<"$info" || fail "package name"
grep -Eq "Depends:.*libtorch" <<<"$info" || fail "Depends lacks libtorch"
grep -Eq "Depends:.*libsqlite3-0" <<<"$info" || fail "Depends lacks libsqlite3-0"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/powertrain ./usr/include/powertrain/energy/meter.h ./usr/include/powertrain/store/store.h \
         ./usr/lib/libpowertrain_energy.a ./usr/lib/libpowertrain_store.a \
         ./usr/lib/cmake/powertrain/powertrainConfig.cmake ./usr/lib/cmake/powertrain/powertrainConfigVersion.cmake \
         ./usr/lib/cmake/powertrain/powertrainTargets.cmake ./usr/share/doc/powertrain/packaging.md; do
  grep -q " $f\$" <<<"$contents" || fail ".deb lacks $f"
done

step "unpack the .deb and run its powertrain"
dpkg-deb -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/powertrain" --version | tee "$tmp/version.txt"
grep -q "powertrain" "$tmp/version.txt" || fail "--version"
"$tmp/root/usr/bin/powertrain" --help >/dev/null || fail "--help"
# The package is relocatable and its static libraries (debug info stripped) still link.
step "build and run examples/standalone against the unpacked .deb"
build_and_run_standalone "$tmp/root/usr" standalone-deb
step "ok"
