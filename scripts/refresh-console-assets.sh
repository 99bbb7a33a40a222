#!/usr/bin/env bash
# refresh-console-assets.sh — rebuild the console's world map, console/assets/world.json.
#
#   scripts/refresh-console-assets.sh              # npm pack world-atlas@2.0.2 (pinned below)
#   scripts/refresh-console-assets.sh FILE.tgz     # a world-atlas package you downloaded
#
# Source: the npm package world-atlas (ISC licence, by Mike Bostock), whose
# countries-50m.json is Natural Earth's 1:50m Admin 0 countries (public domain,
# https://www.naturalearthdata.com) as TopoJSON. internal/devtools/bw-worldmap
# projects it (Equal Earth), simplifies the shared arcs and writes one compact SVG
# path per shape. No JavaScript library is vendored: the console and the report
# draw the map as server-side SVG. Run go test ./console afterwards: it checks
# the id → country-code table (console/shapes.go) against the new geometry and
# that every country the embedded GeoIP database can return has a shape or a
# documented reason (console/noshape.go).
set -euo pipefail

version=2.0.2
tolerance=2.5 # output units of a 9600-wide map: about 0.26 px on a 1000 px wide page
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/console/assets/world.json"
src=${1:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "$src" ]; then
	tar -xzf "$src" -C "$work"
else
	(cd "$work" && npm pack --silent "world-atlas@$version" >/dev/null && tar -xzf ./*.tgz)
fi
pkg="$work/package"
got=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json")
grep -q '"license": *"ISC"' "$pkg/package.json" || { echo "refresh-console-assets: world-atlas is no longer ISC; check it by hand" >&2; exit 1; }
grep -q "Natural Earth" "$pkg/README.md" || { echo "refresh-console-assets: README no longer names Natural Earth as the source; check it by hand" >&2; exit 1; }

(cd "$root" && go run ./internal/devtools/bw-worldmap -in "$pkg/countries-50m.json" -out "$out.tmp" -tolerance "$tolerance" \
	-source "world-atlas $got countries-50m.json (Natural Earth 1:50m, public domain)")
size=$(wc -c <"$out.tmp")
[ "$size" -lt 1000000 ] || { rm -f "$out.tmp"; echo "refresh-console-assets: $size bytes: raise the tolerance, the binary must grow by at most ~3 MB" >&2; exit 1; }
mv "$out.tmp" "$out"
cp "$pkg/LICENSE" "$root/console/assets/WORLD-ATLAS-LICENSE"
echo "refresh-console-assets: console/assets/world.json from world-atlas $got ($size bytes)"
