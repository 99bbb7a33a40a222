package geo_test

import (
	"net/netip"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

// TestExprSame: the same terms compiled against the same zones are the
// same expression; other terms, or the same terms against other zones
// (where "home" may be another country), are not.
func TestExprSame(t *testing.T) {
	de, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := geo.NewZones(geo.Config{Home: []string{"FR"}})
	if err != nil {
		t.Fatal(err)
	}
	c := func(z *geo.Zones, terms ...string) *geo.Expr {
		t.Helper()
		e, err := z.Compile(terms)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if !c(de, "!home").Same(c(de, "!home")) {
		t.Error(`"!home" and "!home" on the same zones are not the same`)
	}
	for _, o := range []*geo.Expr{c(de, "home"), c(de, "!home", "RU"), c(fr, "!home")} {
		if c(de, "!home").Same(o) {
			t.Errorf(`"!home" is the same as %q`, o)
		}
	}
}

// TestExprHomeTerm: "home" and "!home" are told apart from every other
// expression, and on the location basis they match exactly the addresses
// whose lookup IsHome says (is not) home, as DirectionOf judges them.
func TestExprHomeTerm(t *testing.T) {
	z, err := geo.NewZones(geo.Config{Home: []string{"DE", "192.0.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		terms    []string
		home, ok bool
	}{
		{[]string{"home"}, true, true},
		{[]string{"!home"}, false, true},
		{[]string{"home", "FR"}, false, false},
		{[]string{"!home", "!RU"}, false, false},
		{[]string{"home", "!198.51.100.0/24"}, false, false},
		{[]string{"DE"}, false, false},
		{[]string{"!DE"}, false, false},
		{[]string{"EU"}, false, false},
		{[]string{"any"}, false, false},
		{[]string{"192.0.2.0/24"}, false, false},
	} {
		e, err := z.Compile(c.terms)
		if err != nil {
			t.Fatal(err)
		}
		home, ok := e.HomeTerm()
		if home != c.home || ok != c.ok {
			t.Errorf("%q: HomeTerm %v, %v; want %v, %v", c.terms, home, ok, c.home, c.ok)
		}
		if !ok {
			continue
		}
		addr := netip.MustParseAddr("198.51.100.1")
		for _, in := range []geo.Info{{}, {Zones: 1 << geo.ZoneHome}, {Zones: 1<<geo.ZoneHome | 1<<3}, {Zones: 1 << 3}} {
			if got := e.Match(addr, &in, geo.BasisLocation); got != (in.IsHome() == home) {
				t.Errorf("%q on zones %b: matched %v, IsHome %v", c.terms, in.Zones, got, in.IsHome())
			}
		}
	}
}
