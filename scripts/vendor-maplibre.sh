#!/usr/bin/env bash
# Refresh the vendored MapLibre GL JS from the npm registry (run by hand, not at build time).
# The classic UMD build of 5.x is used: 6.x ships ES modules only, which a static atlas opened
# from disk (file://) cannot load.
set -euo pipefail
VERSION="${1:-5.24.1}"
cd "$(dirname "$0")/.."
dest=planlabor/atlas/static/vendor/maplibre-gl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "maplibre-gl@${VERSION}" >/dev/null && tar xzf maplibre-gl-*.tgz)
cp "$tmp/package/dist/maplibre-gl.js" "$tmp/package/dist/maplibre-gl.css" "$tmp/package/LICENSE.txt" "$dest/"
(cd "$dest" && sha256sum maplibre-gl.js maplibre-gl.css > SHA256SUMS)
echo "maplibre-gl ${VERSION} (npm registry, dist/maplibre-gl.js classic UMD build: works from file:// unlike 6.x ES modules); BSD-3-Clause, see LICENSE.txt" > "$dest/VERSION"
echo "vendored maplibre-gl ${VERSION} into $dest"
