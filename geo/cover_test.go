package geo_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

func TestExprCover(t *testing.T) {
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}, SpecialNotHome: true, Zones: []geo.ZoneSpec{
		{Name: "forbidden", Terms: []string{"RU", "KP"}},
		{Name: "lab", Terms: []string{"198.51.100.0/24", "2001:db8:bad::/48"}},
		{Name: "both", Terms: []string{"forbidden", "lab", "IR", "203.0.113.0/25"}},
		{Name: "nothing", Terms: []string{"!any"}},
		{Name: "byasn", Terms: []string{"CN", "AS64500"}},
		{Name: "notde", Terms: []string{"EU", "!DE"}},
		{Name: "outer", Terms: []string{"notde"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		terms     []string
		countries string // codes, space-separated
		prefixes  string // CIDRs, space-separated
		err       string
	}{
		{terms: []string{"forbidden"}, countries: "KP RU"},
		{terms: []string{"RU", "CN", "RU"}, countries: "CN RU"},
		{terms: []string{"lab"}, prefixes: "198.51.100.0/24 2001:db8:bad::/48"},
		{terms: []string{"2001:db8::1", "both", "192.0.2.7"}, countries: "IR KP RU",
			prefixes: "192.0.2.7/32 198.51.100.0/24 203.0.113.0/25 2001:db8::1/128 2001:db8:bad::/48"},
		{terms: []string{"CIS"}, countries: "AM AZ BY KG KZ MD RU TJ UZ"},
		{terms: []string{"home"}, countries: "DE"},
		{terms: []string{"nothing"}},
		{terms: []string{"nothing", "RU"}, countries: "RU"},
		{terms: nil, err: "no terms: the expression matches any address"},
		{terms: []string{"any"}, err: `"any" matches every address`},
		{terms: []string{"!home"}, err: `a negation ("!…") cannot be enumerated`},
		{terms: []string{"RU", "!203.0.113.7"}, err: `a negation ("!…") cannot be enumerated`},
		{terms: []string{"AS64501"}, err: "AS number AS64501 is not a country or CIDR"},
		{terms: []string{"byasn"}, err: `AS number AS64500 in zone "byasn" is not a country or CIDR`},
		{terms: []string{"RU", "outer"}, err: `a negation ("!…") in zone "notde" cannot be enumerated`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.terms, ","), func(t *testing.T) {
			e, err := z.Compile(tc.terms)
			if err != nil {
				t.Fatal(err)
			}
			c, err := e.Cover()
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var codes, cidrs []string
			for _, id := range c.Countries {
				codes = append(codes, id.String())
			}
			for _, p := range c.Prefixes {
				cidrs = append(cidrs, p.String())
			}
			if got := strings.Join(codes, " "); got != tc.countries {
				t.Errorf("countries %q, want %q", got, tc.countries)
			}
			if got := strings.Join(cidrs, " "); got != tc.prefixes {
				t.Errorf("prefixes %q, want %q", got, tc.prefixes)
			}
		})
	}
}

// TestExprCoverAgreesWithMatch: every address the lab expressions match is
// in their cover and every other is not.
func TestExprCoverAgreesWithMatch(t *testing.T) {
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}, Zones: []geo.ZoneSpec{
		{Name: "forbidden", Terms: []string{"RU", "198.51.100.128/25"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := z.Compile([]string{"forbidden", "FR"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Cover()
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.OpenBytes("lab", geotest.Lab())
	if err != nil {
		t.Fatal(err)
	}
	tab, err := geo.Build(db, nil, z)
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	for _, s := range []string{"203.0.113.5", "192.0.2.200", "192.0.2.10", "198.51.100.7", "198.51.100.200", "2001:db8:2::1", "2001:db8:1::1"} {
		a := netip.MustParseAddr(s)
		info := tab.Lookup(a)
		match := e.Match(a, &info, geo.BasisLocation)
		covered := slices.Contains(c.Countries, info.Country) || slices.ContainsFunc(c.Prefixes, func(p netip.Prefix) bool { return p.Contains(a) })
		if match != covered {
			t.Errorf("%s (%s): match %v, covered %v", s, info.Country, match, covered)
		}
		if match {
			matched++
		}
	}
	if matched != 4 {
		t.Errorf("%d addresses matched, want 4 (RU v4 and v6, FR, the /25)", matched)
	}
}
