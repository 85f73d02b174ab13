#!/usr/bin/env bash
# Refreshes the vendored front-end assets of `powertrain serve` (web/vendor/) from npm.
#
# The dashboard draws its charts with uPlot (https://github.com/leeoniya/uPlot): about 50 KB,
# MIT licensed, no dependencies, fast canvas time-series charts that take streaming points
# cheaply (setData on a growing array), which is what a live power chart needs.
# The built files are committed in web/vendor/ and embedded into the binary by the C++ build,
# so building powertrain needs neither npm nor a CDN; only upgrading uPlot does.
#
# To upgrade: set the new exact version in web/package.json ("uplot": "1.6.x"),
# run `npm install --prefix web` once to refresh web/package-lock.json, then this script,
# and commit web/package*.json and web/vendor/.
# Usage: scripts/update-web-assets.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$repo/web"

npm ci --prefix "$web" --no-audit --no-fund
dist="$web/node_modules/uplot/dist"
mkdir -p "$web/vendor"
cp "$dist/uPlot.iife.min.js" "$dist/uPlot.min.css" "$web/vendor/"
cp "$web/node_modules/uplot/LICENSE" "$web/vendor/LICENSE-uPlot"
version="$(node -p "require('$web/node_modules/uplot/package.json').version")"
echo "update-web-assets: web/vendor now holds uPlot $version"
