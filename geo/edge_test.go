package geo_test

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

// TestZoneEdgeCasesMaxMind checks zone membership for the odd records of
// MaxMind's GeoIP2-Country test database: an anycast network with no country,
// a network with a represented country (a military base abroad), a network
// with a continent and no country, and one located in one country and
// registered in another.
func TestZoneEdgeCasesMaxMind(t *testing.T) {
	db, err := geo.Open(testData(t, "GeoIP2-Country-Test.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	z, err := geo.NewZones(geo.Config{Home: []string{"US"}, Zones: []geo.ZoneSpec{
		{Name: "europe-nocountry", Terms: []string{"2a02:d500::/29"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.Build(db, nil, z)
	if err != nil {
		t.Fatal(err)
	}
	us := netip.MustParseAddr("216.160.83.57") // US located and home
	for _, c := range []struct {
		addr                         string
		country, registered, repr    string
		continent                    string
		flags                        geo.Flags
		loc, reg                     string
		inbound                      bool // the address → a home host is inbound
		matchNotHome, matchFVEY, any bool // "!home", "FVEY", "any" (location)
	}{
		// Anycast, no country at all: not home, in no group, foreign.
		{"214.1.1.1", "", "", "", "", geo.FlagFound | geo.FlagAnycast, "", "", true, true, false, true},
		// Located in PH, represented country US (e.g. a US base): the
		// represented country does not make it home or FVEY.
		{"202.196.224.1", "PH", "PH", "US", "AS", geo.FlagFound, "ASEAN", "ASEAN", true, true, false, true},
		// A continent and no country: only zones by CIDR apply.
		{"2a02:d500::1", "", "", "", "EU", geo.FlagFound, "europe-nocountry", "europe-nocountry", true, true, false, true},
		// Located in SE, registered in DE.
		{"89.160.20.113", "SE", "DE", "", "EU", geo.FlagFound, "EU,EEA,Schengen,NATO,OECD", "EU,EEA,Schengen,NATO,G7,OECD", true, true, false, true},
		// Located in GB, registered in US: home by registration only.
		{"81.2.69.142", "GB", "US", "", "EU", geo.FlagFound, "FVEY,NATO,G7,OECD", "home,FVEY,NATO,G7,OECD", true, true, true, true},
	} {
		t.Run(c.addr, func(t *testing.T) {
			a := netip.MustParseAddr(c.addr)
			in := tb.Lookup(a)
			if in.Country.String() != c.country || in.Registered.String() != c.registered || in.Represented.String() != c.repr ||
				in.Continent.String() != c.continent || in.Flags != c.flags {
				t.Errorf("got %s/%s/%s/%s flags %b", in.Country, in.Registered, in.Represented, in.Continent, in.Flags)
			}
			if got := strings.Join(z.Jurisdictions(&in, geo.BasisLocation), ","); got != c.loc {
				t.Errorf("location jurisdictions %q, want %q", got, c.loc)
			}
			if got := strings.Join(z.Jurisdictions(&in, geo.BasisRegistered), ","); got != c.reg {
				t.Errorf("registered jurisdictions %q, want %q", got, c.reg)
			}
			dst := tb.Lookup(us)
			if dir := geo.DirectionOf(&in, &dst); (dir == geo.DirInbound) != c.inbound {
				t.Errorf("direction to a home host: %s", dir)
			}
			for _, m := range []struct {
				terms []string
				want  bool
			}{{[]string{"!home"}, c.matchNotHome}, {[]string{"FVEY"}, c.matchFVEY}, {[]string{"any"}, c.any}} {
				e, err := z.Compile(m.terms)
				if err != nil {
					t.Fatal(err)
				}
				if got := e.Match(a, &in, geo.BasisLocation); got != m.want {
					t.Errorf("%v matches %v, want %v", m.terms, got, m.want)
				}
			}
		})
	}
}

// TestAddrWords: the words are As16's bytes, big-endian, for IPv4, IPv6,
// zoned and invalid addresses.
func TestAddrWords(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "192.0.2.1", "255.255.255.255", "::", "::ffff:192.0.2.1", "2001:db8::1",
		"fe80::1%eth0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:1234:5678:9abc:def0:1122:3344"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		wantHi, wantLo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
		if hi, lo := geo.AddrWords(a); hi != wantHi || lo != wantLo {
			t.Errorf("AddrWords(%s) = %#x %#x, want %#x %#x", s, hi, lo, wantHi, wantLo)
		}
	}
	if hi, lo := geo.AddrWords(netip.Addr{}); hi != 0 || lo != 0 {
		t.Errorf("AddrWords(invalid) = %#x %#x, want 0 0", hi, lo)
	}
}
