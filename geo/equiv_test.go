package geo_test

import (
	"net/netip"
	"os"
	"testing"

	"github.com/oschwald/geoip2-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

// aliased reports whether a is in a range that MaxMind writers alias to the IPv4
// tree (IPv4-mapped, 6to4, Teredo) or in the IPv4-compatible ::/96: geo looks
// IPv4-mapped addresses up as IPv4 and the others as plain IPv6, so gap checks
// skip them (documented deviation from the reader).
func aliased(a netip.Addr) bool {
	for _, p := range []netip.Prefix{
		netip.MustParsePrefix("::/96"), netip.MustParsePrefix("::ffff:0:0/96"),
		netip.MustParsePrefix("2002::/16"), netip.MustParsePrefix("2001::/32"),
	} {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// want is the reference answer for one address.
type want struct {
	found                            bool
	country, registered, represented string
	continent                        string
	anycast                          bool
	asn                              uint32
}

// walkCheck walks every network of ref and checks the first, middle and last
// address of each, and the first address of every gap, against tb.
func walkCheck(t *testing.T, ref *maxminddb.Reader, tb *geo.Table, lookup func(netip.Addr) want) {
	t.Helper()
	var prevLast netip.Addr
	checked, failures := 0, 0
	check := func(a netip.Addr) {
		checked++
		w := lookup(a.Unmap()) // geo looks IPv4-mapped addresses up as IPv4
		in := tb.Lookup(a)
		cont := w.continent
		if cont == "" {
			id, _ := geo.ParseCountry(w.country)
			cont = geo.ContinentOf(id).String()
		}
		ok := in.Flags&geo.FlagFound != 0 == w.found && in.Country.String() == w.country &&
			in.Registered.String() == w.registered && in.Represented.String() == w.represented &&
			in.Continent.String() == cont && in.Flags&geo.FlagAnycast != 0 == w.anycast && in.ASN == w.asn
		if !ok && failures < 10 {
			failures++
			t.Errorf("%s: table %s/%s/%s/%s AS%d flags %b; reference %+v", a, in.Country, in.Registered, in.Represented, in.Continent, in.ASN, in.Flags, w)
		}
	}
	for res := range ref.Networks() {
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		p := res.Prefix().Masked()
		first := p.Addr()
		last := lastAddr(p)
		if prevLast.IsValid() && prevLast.Is4() == first.Is4() {
			if gap := prevLast.Next(); gap.IsValid() && gap.Less(first) && !aliased(gap) {
				check(gap)
			}
		}
		check(first)
		check(last)
		check(middle(p))
		if first.Is4() {
			check(netip.AddrFrom16(first.As16())) // IPv4-mapped form
		}
		prevLast = last
	}
	if checked < 100 {
		t.Fatalf("only %d addresses checked", checked)
	}
	t.Logf("%d addresses checked", checked)
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func middle(p netip.Prefix) netip.Addr {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr()
	}
	b := p.Addr().AsSlice()
	i := p.Bits()
	b[i/8] |= 1 << (7 - i%8)
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestEquivalenceMaxMind(t *testing.T) {
	for _, name := range []string{"GeoIP2-Country-Test.mmdb", "GeoIP2-City-Test.mmdb", "GeoLite2-Country-Test.mmdb", "GeoLite2-City-Test.mmdb", "GeoIP2-Enterprise-Test.mmdb"} {
		t.Run(name, func(t *testing.T) {
			path := testData(t, name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			g, err := geoip2.OpenBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := maxminddb.OpenBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			db, err := geo.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			z, _ := geo.NewZones(geo.Config{SpecialNotHome: true})
			tb, err := geo.Build(db, nil, z)
			if err != nil {
				t.Fatal(err)
			}
			walkCheck(t, raw, tb, func(a netip.Addr) want {
				c, err := g.City(a)
				if err != nil {
					t.Fatal(err)
				}
				var asn uint32
				if err := raw.Lookup(a).DecodePath(&asn, "autonomous_system_number"); err != nil {
					t.Fatal(err)
				}
				return want{found: raw.Lookup(a).Found(), country: c.Country.ISOCode, registered: c.RegisteredCountry.ISOCode,
					represented: c.RepresentedCountry.ISOCode, continent: c.Continent.Code, anycast: c.Traits.IsAnycast, asn: asn}
			})
		})
	}
}

func TestEquivalenceASN(t *testing.T) {
	path := testData(t, "GeoLite2-ASN-Test.mmdb")
	g, err := geoip2.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	asn, err := geo.OpenASN(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := geo.OpenBytes("empty", must(geotest.Build(nil))); err == nil {
		t.Fatal("a database without networks was accepted")
	}
	country, err := geo.OpenBytes("one", must(geotest.Build([]geotest.Entry{{Prefix: netip.MustParsePrefix("240.0.0.0/8"), Country: "ZZ"}})))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.Build(country, asn, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := maxminddb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	orgs := map[uint32]map[string]bool{}
	walkCheck(t, raw, tb, func(a netip.Addr) want {
		r, err := g.ASN(a)
		if err != nil {
			t.Fatal(err)
		}
		if n := uint32(r.AutonomousSystemNumber); n != 0 {
			if orgs[n] == nil {
				orgs[n] = map[string]bool{}
			}
			orgs[n][r.AutonomousSystemOrganization] = true
		}
		return want{asn: uint32(r.AutonomousSystemNumber)}
	})
	if len(orgs) < 10 {
		t.Errorf("only %d AS numbers checked", len(orgs))
	}
	// The test data names some ASes differently in different networks; ASOrg
	// gives one of the names.
	for n, names := range orgs {
		if got := tb.ASOrg(n); !names[got] {
			t.Errorf("ASOrg(%d) = %q, want one of %v", n, got, names)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestEquivalenceEmbedded walks all networks of the embedded database (about
// 1.4 million) and checks the table against the reader. geoip2-golang cannot
// read the flat country_code schema, so the reference is maxminddb itself.
func TestEquivalenceEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("walks 1.4 million networks; skipped with -short")
	}
	b, err := os.ReadFile("data/dbip-country.mmdb")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := maxminddb.OpenBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	tb := buildEmbedded(t, geo.Config{SpecialNotHome: true})
	cache := map[uintptr]string{}
	walkCheck(t, raw, tb, func(a netip.Addr) want {
		res := raw.Lookup(a)
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
		return want{found: true, country: c} // the flat schema has no registration data
	})
}
