package geo_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

// TestReloadConcurrent swaps tables while readers look up; run with -race.
// The file is replaced by rename and overwritten in place, and a broken file
// must leave the running table in place.
func TestReloadConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "geo.mmdb")
	p := netip.MustParsePrefix("192.0.2.0/24")
	dbFor := func(country string) []byte {
		b, err := geotest.Build([]geotest.Entry{{Prefix: p, Country: country}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := os.WriteFile(path, dbFor("DE"), 0o644); err != nil {
		t.Fatal(err)
	}
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := geo.OpenTable(geo.Paths{Country: path}, z)
	if err != nil {
		t.Fatal(err)
	}
	h := geo.NewHolder(first)

	var stop atomic.Bool
	var wg sync.WaitGroup
	seen := make([]map[string]bool, 2)
	a := netip.MustParseAddr("192.0.2.1")
	for r := range seen {
		seen[r] = map[string]bool{}
		wg.Go(func() {
			for !stop.Load() {
				in := h.Load().Lookup(a)
				seen[r][in.Country.String()] = true
			}
		})
	}
	replaceByRename := func(b []byte) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	countries := []string{"FR", "CN", "RU", "US"}
	for i := 0; i < 20; i++ {
		c := countries[i%len(countries)]
		if i%2 == 0 {
			replaceByRename(dbFor(c))
		} else if err := os.WriteFile(path, dbFor(c), 0o644); err != nil { // in place
			t.Fatal(err)
		}
		tb, err := geo.Reload(h, geo.Paths{Country: path}, nil)
		if err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if tb != h.Load() || tb.Lookup(a).Country.String() != c {
			t.Fatalf("reload %d: table not swapped in", i)
		}
		if tb.Zones() != z {
			t.Fatal("reload with nil zones did not keep the zones")
		}
		// A broken file keeps the running table.
		if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := geo.Reload(h, geo.Paths{Country: path}, nil); err == nil ||
			!strings.Contains(err.Error(), "opening geoip database "+path+": no MaxMind DB metadata section") {
			t.Fatalf("reload of garbage: %v", err)
		}
		if h.Load() != tb {
			t.Fatal("failed reload replaced the table")
		}
	}
	stop.Store(true)
	wg.Wait()
	for r, s := range seen {
		if len(s) < 1 {
			t.Errorf("reader %d saw nothing", r)
		}
		for c := range s {
			if c != "DE" && !slices.Contains(countries, c) {
				t.Errorf("reader %d saw country %q", r, c)
			}
		}
	}
	if old := h.Swap(first); old == nil || old.Lookup(a).Country.String() != "US" {
		t.Errorf("Swap returned %v", old)
	}
	if _, err := geo.Reload(h, geo.Paths{Country: filepath.Join(dir, "missing.mmdb")}, z); err == nil || h.Load() != first {
		t.Errorf("reload of a missing file: %v", err)
	}
}

func TestSource(t *testing.T) {
	tb := labTable(t, geo.Config{}, true)
	src := tb.Source()
	if src.Name != "lab" || src.Type != "GeoIP2-Country" || src.BuildTime.Unix() != geotest.BuildEpoch {
		t.Errorf("Source() = %+v", src)
	}
	if tb.ASNSource().Name != "lab-asn" || tb.ASNSource().Type != "GeoLite2-ASN" {
		t.Errorf("ASNSource() = %+v", tb.ASNSource())
	}
	st := tb.Stats()
	if st.CountryNetworks != len(geotest.LabEntries())+2 || st.ASNNetworks != 1 || st.Ranges4 < 20 || st.Bytes < 500000 {
		t.Errorf("Stats() = %+v", st)
	}
}
