package rules

import (
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

// TestGeoWarnings: with the lab database (no registration data) and no ASN
// data, a registered/either basis and AS terms are reported; with both the
// warnings go away.
func TestGeoWarnings(t *testing.T) {
	writeFiles(t, map[string]string{"g.yaml": `zones:
  byasn: [RU, AS64500]
rules:
  - {id: 1, name: location, kind: policy, from: RU}
  - {id: 2, name: registered, kind: policy, from: RU, geo_basis: registered}
  - {id: 3, name: either, kind: policy, from: RU, geo_basis: either}
  - {id: 4, name: as, kind: policy, from: [AS64501, CN]}
`})
	set, err := Load(Options{NoDefaults: true, Paths: []string{"g.yaml"}, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	es := geotest.LabEntries()
	for i := range es {
		es[i].ASN, es[i].ASOrg = 0, ""
	}
	db, err := geo.OpenBytes("lab.mmdb", must(geotest.Build(es)))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.Build(db, nil, set.Zones)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"g.yaml:5:6: rule 2: geo_basis registered, but the geoip database lab.mmdb has no registration data: no address has a registered country",
		"g.yaml:6:6: rule 3: geo_basis either, but the geoip database lab.mmdb has no registration data: no address has a registered country",
		`g.yaml:7:6: rule 4: AS term in "AS64501,CN", but no loaded database has AS numbers: it never matches`,
		"zones use AS terms but no loaded database has AS numbers: those terms never match",
	}
	if got := set.GeoWarnings(tb); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	for i := range es {
		es[i].Registered, es[i].ASN = es[i].Country, 64500
	}
	db, err = geo.OpenBytes("lab.mmdb", must(geotest.Build(es)))
	if err != nil {
		t.Fatal(err)
	}
	if tb, err = geo.Build(db, nil, set.Zones); err != nil {
		t.Fatal(err)
	}
	if got := set.GeoWarnings(tb); len(got) != 0 {
		t.Errorf("warnings with registration and AS data: %q", got)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
