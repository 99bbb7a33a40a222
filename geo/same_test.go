package geo_test

import (
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
