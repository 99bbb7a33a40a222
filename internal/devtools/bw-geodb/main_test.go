package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

func TestASNCSV(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "asn.mmdb")
	var log bytes.Buffer
	if err := run([]string{"asn-csv", "testdata/asn.csv", out}, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(log.String(), "testdata/asn.csv: 3 ranges → ") {
		t.Errorf("log %q", log.String())
	}
	asn, err := geo.OpenASN(out)
	if err != nil {
		t.Fatal(err)
	}
	// A country database without AS numbers: the ASN database alone gives them.
	es := geotest.LabEntries()
	for i := range es {
		es[i].ASN, es[i].ASOrg = 0, ""
	}
	b, err := geotest.Build(es)
	if err != nil {
		t.Fatal(err)
	}
	country, err := geo.OpenBytes("lab", b)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.Build(country, asn, nil)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]uint32{"192.0.2.5": 64500, "192.0.2.128": 0, "198.51.100.9": 0, "198.51.100.10": 64501,
		"198.51.100.20": 64501, "198.51.100.21": 0, "2001:db8:1::1": 64502} {
		if got := tb.Lookup(netip.MustParseAddr(addr)).ASN; got != want {
			t.Errorf("%s: AS%d, want AS%d", addr, got, want)
		}
	}
	if got := tb.ASOrg(64500); got != "Example, Inc." {
		t.Errorf("ASOrg(64500) = %q", got)
	}
	log.Reset()
	if err := run([]string{"validate-asn", out}, &log); err != nil || !strings.Contains(log.String(), "ip-location-db-ASN (compat=GeoLite2-ASN)") {
		t.Errorf("validate-asn: %v %q", err, log.String())
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "lab.mmdb")
	if err := os.WriteFile(small, geotest.Lab(), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"validate", small}, &bytes.Buffer{})
	if err == nil || err.Error() != small+": only 21 networks, refusing it as a country database" {
		t.Errorf("validate of a tiny database: %v", err)
	}
	bad := filepath.Join(dir, "bad.mmdb")
	if err := os.WriteFile(bad, []byte("<html>rate limited</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"validate", bad}, &bytes.Buffer{})
	if err == nil || err.Error() != "opening geoip database "+bad+": no MaxMind DB metadata section (not an mmdb file, or truncated)" {
		t.Errorf("validate of garbage: %v", err)
	}
	var log bytes.Buffer
	if err := run([]string{"validate", "../../../geo/data/dbip-country.mmdb"}, &log); err != nil ||
		!strings.Contains(log.String(), "(flat schema)") {
		t.Errorf("validate of the embedded file: %v %q", err, log.String())
	}
}
