package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo/geotest"
)

func runGeo(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd(newApp())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestGeoLookupJSON(t *testing.T) {
	dir := t.TempDir()
	cdb, asn := filepath.Join(dir, "lab.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := os.WriteFile(cdb, geotest.Lab(), 0o644); err != nil {
		t.Fatal(err)
	}
	ab, err := geotest.BuildASN(geotest.LabEntries())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(asn, ab, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runGeo(t, "--geoip", cdb, "--asn-db", asn, "--home", "DE", "geo", "lookup", "--json", "192.0.2.1", "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ip":"192.0.2.1","found":true,"country":"DE","registered_country":"DE","continent":"EU","asn":64500,"as_org":"Lab DE Home","home":true,"jurisdictions":["home","EU","EEA","Schengen","NATO","G7","OECD"],"registered_jurisdictions":["home","EU","EEA","Schengen","NATO","G7","OECD"],"database":"` + cdb + `","database_build":"2026-01-01T00:00:00Z"}
{"ip":"198.51.100.7","found":true,"country":"CN","registered_country":"CN","continent":"AS","asn":64501,"as_org":"Lab CN Telecom","home":false,"jurisdictions":["BRICS"],"registered_jurisdictions":["BRICS"],"database":"` + cdb + `","database_build":"2026-01-01T00:00:00Z"}
`
	if out != want {
		t.Errorf("output\n%s\nwant\n%s", out, want)
	}
	out, err = runGeo(t, "--geoip", cdb, "--asn-db", asn, "geo", "info")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"country database:  " + cdb, "type:            GeoIP2-Country (geoip2 schema)", "networks:        21", "asn database:      " + asn, "type:            GeoLite2-ASN"} {
		if !strings.Contains(out, s) {
			t.Errorf("geo info lacks %q:\n%s", s, out)
		}
	}
}

func TestGeoLookupBadIP(t *testing.T) {
	_, err := runGeo(t, "geo", "lookup", "192.0.2.1", "1.2.3.999")
	var ue usageError
	if !errors.As(err, &ue) || err.Error() != `bad IP address "1.2.3.999"` {
		t.Errorf("error %v (%T), want usage error for the bad IP", err, err)
	}
	_, err = runGeo(t, "--geoip", "testdata/missing.mmdb", "geo", "info")
	if !errors.As(err, &ue) {
		t.Errorf("missing database: %v (%T), want usage error", err, err)
	}
}
