package bpf

import (
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

// TestGeoRangesJoinsLayers: the embedded registration and ASN tables split
// the geo table's ranges by what the kernel does not keep; GeoRanges joins
// them again, so the kernel gets as many ranges as from the country alone.
func TestGeoRangesJoinsLayers(t *testing.T) {
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	country, err := geo.Build(db, nil, z)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := geo.OpenTable(geo.Paths{}, z)
	if err != nil {
		t.Fatal(err)
	}
	count := func(tb *geo.Table) int {
		n := 0
		for range GeoRanges(tb) {
			n++
		}
		return n
	}
	c, m := count(country), count(merged)
	if m > c+16 || c < 500000 {
		t.Errorf("GeoRanges: %d ranges from the merged table, %d from the country alone", m, c)
	}
	n := 0
	for range GeoRanges(merged) { // stopping early must not call yield again
		if n++; n == 3 {
			break
		}
	}
}
