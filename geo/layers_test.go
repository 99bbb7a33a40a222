package geo_test

import (
	"bufio"
	"encoding/csv"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

// layersTable builds a table of the embedded registration and ASN tables over
// a country database of one network (240.0.0.0/8), so that what the table
// answers elsewhere comes from those two alone.
func layersTable(t testing.TB) *geo.Table {
	t.Helper()
	country, err := geo.OpenBytes("one", must(geotest.Build([]geotest.Entry{{Prefix: netip.MustParsePrefix("240.0.0.0/8"), Country: "ZZ"}})))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := geo.EmbeddedRegistration()
	if err != nil {
		t.Fatal(err)
	}
	asn, err := geo.EmbeddedASN()
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.BuildLayers(geo.Layers{Country: country, Registration: reg, ASN: asn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestEquivalenceRegistrationSample checks the embedded registration table
// against every 400th network of geo-whois-asn-country.mmdb as the maxminddb
// reader gives it (testdata/registered-sample.csv, drawn by
// scripts/refresh-geodb.sh with bw-geodb sample-registered). With
// BW_GEO_SOURCES=DIR (a directory holding geo-whois-asn-country.mmdb, as kept
// by BW_GEO_KEEP=DIR scripts/refresh-geodb.sh) it walks all networks.
func TestEquivalenceRegistrationSample(t *testing.T) {
	tb := layersTable(t)
	f, err := os.Open("testdata/registered-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, bad := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pfx, cc, ok := strings.Cut(sc.Text(), ",")
		if !ok {
			t.Fatalf("bad sample line %q", sc.Text())
		}
		p := netip.MustParsePrefix(pfx)
		if p.Addr().Is4() && netip.MustParsePrefix("240.0.0.0/8").Overlaps(p) || reserved(p) {
			continue
		}
		for _, a := range []netip.Addr{p.Addr(), lastAddr(p), middle(p)} {
			n++
			if got := tb.Lookup(a).Registered.String(); got != cc && bad < 10 {
				bad++
				t.Errorf("%s (%s): registered %q, want %q", a, p, got, cc)
			}
		}
	}
	if n < 3000 {
		t.Fatalf("only %d addresses checked", n)
	}
	t.Logf("%d sampled addresses checked", n)
	if !tb.Stats().HasRegistered || tb.Stats().Registration.Name != geo.EmbeddedRegistrationName {
		t.Errorf("stats %+v", tb.Stats())
	}

	dir := os.Getenv("BW_GEO_SOURCES")
	if dir == "" {
		return
	}
	raw, err := maxminddb.Open(filepath.Join(dir, "geo-whois-asn-country.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The whole walk, on a table of the registration alone (every address
	// of the one-network country database outside 240/8 has no location).
	country, err := geo.OpenBytes("one", must(geotest.Build([]geotest.Entry{{Prefix: netip.MustParsePrefix("240.0.0.0/8"), Country: "ZZ"}})))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := geo.EmbeddedRegistration()
	if err != nil {
		t.Fatal(err)
	}
	if tb, err = geo.BuildLayers(geo.Layers{Country: country, Registration: reg}, nil); err != nil {
		t.Fatal(err)
	}
	cache := map[uintptr]string{}
	walkCheck(t, raw, tb, func(a netip.Addr) want {
		res := raw.Lookup(a)
		if netip.MustParsePrefix("240.0.0.0/8").Contains(a) {
			return want{found: true, country: "ZZ"} // the country layer's network
		}
		if reserved(netip.PrefixFrom(a, a.BitLen())) {
			return want{} // cut by bw-geodb
		}
		if !res.Found() {
			return want{}
		}
		c, ok := cache[res.Offset()]
		if !ok {
			if err := res.DecodePath(&c, "country_code"); err != nil {
				t.Fatal(err)
			}
			cache[res.Offset()] = c
		}
		return want{registered: c}
	})
}

// TestEquivalenceASNSample checks the embedded ASN table against every 200th
// row of the ip-location-db asn CSV files (testdata/asn-sample.csv), first,
// middle and last address of each range, AS number and organisation. With
// BW_GEO_SOURCES=DIR it checks every row of DIR/asn-ipv4.csv and asn-ipv6.csv
// and the first address after each range.
func TestEquivalenceASNSample(t *testing.T) {
	tb := layersTable(t)
	rows := readASNRows(t, "testdata/asn-sample.csv")
	if len(rows) < 2000 {
		t.Fatalf("only %d sample rows", len(rows))
	}
	checkASNRows(t, tb, rows, false)
	if dir := os.Getenv("BW_GEO_SOURCES"); dir != "" {
		for _, name := range []string{"asn-ipv4.csv", "asn-ipv6.csv"} {
			checkASNRows(t, tb, readASNRows(t, filepath.Join(dir, name)), true)
		}
	}
}

// reserved reports whether p overlaps a block bw-geodb cuts from the
// embedded tables.
func reserved(p netip.Prefix) bool {
	for _, r := range geo.ReservedPrefixes {
		if r.Overlaps(p) {
			return true
		}
	}
	return false
}

type asnRow struct {
	from, to netip.Addr
	asn      uint32
	org      string
}

func readASNRows(t *testing.T, path string) []asnRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []asnRow
	for _, r := range recs {
		n, err := strconv.ParseUint(r[2], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, asnRow{netip.MustParseAddr(r[0]), netip.MustParseAddr(r[1]), uint32(n), r[3]})
	}
	return rows
}

func checkASNRows(t *testing.T, tb *geo.Table, rows []asnRow, full bool) {
	t.Helper()
	n, bad, orgDiff := 0, 0, 0
	for i, r := range rows {
		// The source has rows overlapping the next one (the later wins):
		// check only what no other row covers.
		if i+1 < len(rows) && !r.to.Less(rows[i+1].from) || i > 0 && !rows[i-1].to.Less(r.from) {
			continue
		}
		if r.from.Is4() && netip.MustParsePrefix("240.0.0.0/8").Contains(r.from) || reserved(netip.PrefixFrom(r.from, r.from.BitLen())) ||
			reserved(netip.PrefixFrom(r.to, r.to.BitLen())) {
			continue
		}
		mid := r.from // the second address of the range, if it has one
		if r.from != r.to {
			mid = r.from.Next()
		}
		for _, a := range []netip.Addr{r.from, r.to, mid} {
			n++
			if got := tb.Lookup(a).ASN; got != r.asn && bad < 10 {
				bad++
				t.Errorf("%s (%s-%s): AS%d, want AS%d", a, r.from, r.to, got, r.asn)
			}
		}
		if tb.ASOrg(r.asn) != r.org {
			orgDiff++
		}
		if full {
			if gap := r.to.Next(); gap.IsValid() && (i+1 == len(rows) || gap.Less(rows[i+1].from)) {
				n++
				if got := tb.Lookup(gap).ASN; got != 0 && bad < 10 {
					bad++
					t.Errorf("%s (after %s-%s): AS%d, want none", gap, r.from, r.to, got)
				}
			}
		}
	}
	if n < 2*len(rows) {
		t.Errorf("only %d addresses checked for %d rows", n, len(rows))
	}
	// An AS named differently in different rows keeps its first name.
	if orgDiff*100 > len(rows) {
		t.Errorf("%d of %d rows name their AS differently from the table", orgDiff, len(rows))
	}
	t.Logf("%d addresses checked, %d rows with another name of their AS", n, orgDiff)
}

// TestOpenTableEmbeddedLayers is the "done when": the default table
// gives AS 15169 and AS 3333 and registration countries from the registration
// table, and a database without registration data gives none.
func TestOpenTableEmbeddedLayers(t *testing.T) {
	tb, err := geo.OpenTable(geo.Paths{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for addr, w := range map[string]struct {
		asn        uint32
		org        string
		registered string
	}{
		"8.8.8.8":     {15169, "Google LLC", "US"},
		"193.0.6.139": {3333, "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)", "NL"},
	} {
		in := tb.Lookup(netip.MustParseAddr(addr))
		if in.ASN != w.asn || tb.ASOrg(in.ASN) != w.org || in.Registered.String() != w.registered {
			t.Errorf("%s: AS%d %q registered %q, want AS%d %q %q", addr, in.ASN, tb.ASOrg(in.ASN), in.Registered, w.asn, w.org, w.registered)
		}
	}
	// The sources register 192.168.0.0/16, 172.16.0.0/12 and
	// 198.51.100.0/24 in AU and 2001:db8::/32 in JP: cut, like every
	// special-purpose block.
	for _, addr := range []string{"192.168.1.10", "172.16.0.1", "10.1.2.3", "198.51.100.1", "2001:db8::1", "fd00::1", "224.0.0.1"} {
		if in := tb.Lookup(netip.MustParseAddr(addr)); in.Registered != 0 || in.ASN != 0 {
			t.Errorf("%s: registered %q AS%d, want none", addr, in.Registered, in.ASN)
		}
	}
	st := tb.Stats()
	if st.Registration.Name != geo.EmbeddedRegistrationName || st.ASN.Name != geo.EmbeddedASNName || !st.HasRegistered || !st.HasASN ||
		st.RegistrationNetworks < 500000 || st.ASNNetworks < 400000 {
		t.Errorf("stats %+v", st)
	}

	// The lab database has no registration data; --geoip replaces the
	// embedded registration table, so nothing has a registered country.
	dir := t.TempDir()
	lab := filepath.Join(dir, "lab.mmdb")
	if err := os.WriteFile(lab, geotest.Lab(), 0o644); err != nil {
		t.Fatal(err)
	}
	tb, err = geo.OpenTable(geo.Paths{Country: lab, NoASN: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in := tb.Lookup(netip.MustParseAddr("198.51.100.7")); in.Country.String() != "CN" || in.Registered != 0 {
		t.Errorf("lab 198.51.100.7: country %q registered %q, want CN and none", in.Country, in.Registered)
	}
	if tb.Stats().HasRegistered || tb.Stats().Registration.Name != "" {
		t.Errorf("lab stats %+v", tb.Stats())
	}
}
