package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
)

// layeredHolder holds a table of the lab countries without AS numbers and
// an ASN database of the lab's AS numbers: a table with a location-only
// table beside it, as the embedded data gives.
func layeredHolder(t *testing.T, set *rules.Set) *geo.Holder {
	t.Helper()
	var loc []geotest.Entry
	for _, e := range geotest.LabEntries() {
		e.ASN, e.ASOrg = 0, ""
		loc = append(loc, e)
	}
	cb, err := geotest.Build(loc)
	if err != nil {
		t.Fatal(err)
	}
	ab, err := geotest.BuildASN(geotest.LabEntries())
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.OpenBytes("lab", cb)
	if err != nil {
		t.Fatal(err)
	}
	adb, err := geo.OpenASNBytes("lab-asn", ab)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := geo.Build(db, adb, set.Zones)
	if err != nil {
		t.Fatal(err)
	}
	return geo.NewHolder(tab)
}

func loadRules(t *testing.T, src string) *rules.Set {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load(rules.Options{Paths: []string{path}, NoDefaults: true, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestAlertASFromFullTable: packets are looked up in the location-only
// table when no rule needs AS numbers or registration countries (issue
// 19), yet the alert's endpoints carry the AS number and organisation of
// the full table; and a rule with an AS term, which needs them per packet,
// still matches.
func TestAlertASFromFullTable(t *testing.T) {
	const scan = "rules:\n  - id: 9000101\n    name: test scan\n    kind: scan\n    from: %s\n    to: home\n" +
		"    protocol: tcp\n    threshold: {count: 15, window: 5m, track: pair, distinct: dst_port}\n" +
		"    suppress: 1h\n    severity: 2\n    category: Attempted Information Leak\n"
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, syns(1, 40)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from      string
		wantNeeds geo.Needs
	}{
		{`"!home"`, geo.Needs{}},
		{`"AS64501"`, geo.Needs{ASN: true}}, // 198.51.100.7's AS
	} {
		set := loadRules(t, fmt.Sprintf(scan, c.from))
		if got := set.GeoNeeds(); got != c.wantNeeds {
			t.Errorf("from %s: GeoNeeds %+v, want %+v", c.from, got, c.wantNeeds)
		}
		h := layeredHolder(t, set)
		full := h.Load()
		if c.wantNeeds == (geo.Needs{}) && full.PerPacket(c.wantNeeds) == full {
			t.Fatalf("from %s: no location-only table: the test tests nothing", c.from)
		}
		var got []*alert.Alert
		p, err := New(Config{Workers: 1}, h, set, SinkFunc(func(a *alert.Alert) error {
			got = append(got, a)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		replay(t, p, "scan", buf.Bytes())
		p.Close()
		if len(got) != 1 {
			t.Fatalf("from %s: %d alerts, want 1", c.from, len(got))
		}
		a := got[0]
		if a.Src.ASN != 64501 || a.Src.ASOrg != "Lab CN Telecom" || a.Src.CountryISO != "CN" ||
			a.Dst.ASN != 64500 || a.Dst.ASOrg != "Lab DE Home" || a.Dst.CountryISO != "DE" {
			t.Errorf("from %s: src %+v, dst %+v; want CN AS64501 Lab CN Telecom, DE AS64500 Lab DE Home", c.from, a.Src, a.Dst)
		}
	}
}
