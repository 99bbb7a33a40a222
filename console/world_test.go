package console

import (
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

// embeddedCountries are the country codes the embedded database can return.
func embeddedCountries(t *testing.T) map[string]bool {
	t.Helper()
	db, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := geo.Build(db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	tab.Ranges(func(_, _ netip.Addr, in *geo.Info) bool {
		if c := in.Country.String(); c != "" {
			out[c] = true
		}
		return true
	})
	return out
}

func TestShapeCodes(t *testing.T) {
	w, err := LoadWorld()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for c := range embeddedCountries(t) {
		if _, ok := w.Shape(c); !ok {
			if _, ok := noShape[c]; !ok {
				missing = append(missing, c)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d countries of the embedded database have neither a shape nor a reason in noShape: %v", len(missing), missing)
	}
}

func TestShapeTable(t *testing.T) {
	w, err := LoadWorld()
	if err != nil {
		t.Fatal(err)
	}
	for id, code := range shapeCodes {
		c, ok := geo.ParseCountry(code)
		if !ok || !geo.KnownCountry(c) {
			t.Errorf("shape %s maps to %q, not a country code geo accepts", id, code)
		}
		if _, ok := w.Shape(code); !ok {
			t.Errorf("shape %s (%s) is not on the map", id, code)
		}
	}
	for code, why := range noShape {
		if _, ok := w.Shape(code); ok {
			t.Errorf("%s has a shape, yet noShape says %q", code, why)
		}
	}
	// One shape per code, each with an outline and a centroid inside the map.
	seen := map[string]bool{}
	for _, s := range w.Shapes {
		if seen[s.Code] {
			t.Errorf("two shapes for %s", s.Code)
		}
		seen[s.Code] = true
		if len(s.D) < 8 || s.D[0] != 'M' || s.CX <= 0 || s.CX >= w.Width || s.CY <= 0 || s.CY >= w.Height {
			t.Errorf("%s: path %.20q centroid (%d, %d)", s.Code, s.D, s.CX, s.CY)
		}
	}
	if len(w.Shapes) != 237 {
		t.Errorf("%d shapes, want 237 (241 atlas shapes: N. Cyprus, Somaliland and Ashmore merged, Siachen Glacier left out)", len(w.Shapes))
	}
	de, _ := w.Shape("DE")
	fr, _ := w.Shape("FR")
	// Germany lies east and north of France's largest part.
	if de.Name != "Germany" || fr.Name != "France" || de.CX <= fr.CX || de.CY >= fr.CY {
		t.Errorf("DE %+v FR %+v", de.CX, fr.CX)
	}
}

func TestParseWorldUnknownID(t *testing.T) {
	_, err := parseWorld([]byte(`{"width":10,"height":5,"shapes":[{"id":"999","name":"Atlantis","d":"M1 1l1 1z"}]}`))
	if err == nil || err.Error() != `world geometry: shape "999" (Atlantis) has no country code` {
		t.Errorf("got %v", err)
	}
}

// TestNoLineAcrossTheWorld: rings crossing ±180° (Russia, Fiji) are cut at
// the map's edge; no segment of a path spans half the map.
func TestNoLineAcrossTheWorld(t *testing.T) {
	w, err := LoadWorld()
	if err != nil {
		t.Fatal(err)
	}
	num := regexp.MustCompile(`-?\d+`)
	for _, s := range w.Shapes {
		for _, sub := range strings.Split(s.D, "M")[1:] {
			_, rel, _ := strings.Cut(sub, "l")
			ns := num.FindAllString(rel, -1)
			for i := 0; i+1 < len(ns); i += 2 {
				if dx, _ := strconv.Atoi(ns[i]); dx > w.Width/2 || -dx > w.Width/2 {
					t.Errorf("%s: a segment spans %d of %d units", s.Code, dx, w.Width)
				}
			}
		}
	}
}
