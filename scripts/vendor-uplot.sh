#!/usr/bin/env bash
# Refreshes the vendored uPlot (the dashboard's charts) from the npm registry:
#   scripts/vendor-uplot.sh [VERSION]
# Writes crates/bounceguard/assets/vendor/{uPlot.iife.min.js,uPlot.min.css,uPlot.LICENSE}.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-1.6.32}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "uplot@$VERSION" >/dev/null && tar xzf "uplot-$VERSION.tgz")
OUT=crates/bounceguard/assets/vendor
cp "$TMP/package/dist/uPlot.iife.min.js" "$TMP/package/dist/uPlot.min.css" "$OUT/"
cp "$TMP/package/LICENSE" "$OUT/uPlot.LICENSE"
echo "uPlot $VERSION vendored into $OUT"
