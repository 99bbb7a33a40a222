package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
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
	// The lab database has no registration data: no registered country
	// and no jurisdictions by registration.
	want := `{"ip":"192.0.2.1","found":true,"country":"DE","continent":"EU","asn":64500,"as_org":"Lab DE Home","home":true,"jurisdictions":["home","EU","EEA","Schengen","NATO","G7","OECD"],"database":"` + cdb + `","database_build":"2026-01-01T00:00:00Z"}
{"ip":"198.51.100.7","found":true,"country":"CN","continent":"AS","asn":64501,"as_org":"Lab CN Telecom","home":false,"jurisdictions":["BRICS"],"database":"` + cdb + `","database_build":"2026-01-01T00:00:00Z"}
`
	if out != want {
		t.Errorf("output\n%s\nwant\n%s", out, want)
	}
	out, err = runGeo(t, "--geoip", cdb, "--asn-db", asn, "geo", "info")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"location database:  " + cdb, "type:               GeoIP2-Country (geoip2 schema)", "networks:           21",
		"asn database:       " + asn, "type:               GeoLite2-ASN", "registration:       none: no registered country is reported"} {
		if !strings.Contains(squeeze(out), squeeze(s)) {
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

// TestGeoLookupEmbedded is issue 19's "done when": the embedded data gives
// AS 15169 / AS 3333 and registration countries from the registration table;
// a database without registration data prints no registered line.
func TestGeoLookupEmbedded(t *testing.T) {
	out, err := runGeo(t, "geo", "lookup", "8.8.8.8", "193.0.6.139")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"  registered:       US\n", "  as:               AS15169 Google LLC\n",
		"  registered:       NL\n", "  as:               AS3333 Reseaux IP Europeens Network Coordination Centre (RIPE NCC)\n",
		"(registration: embedded:geo-whois-asn-country, country ipvAll, built 2026-06-17)\n",
		"(asn: embedded:ip-location-db-asn, ip-location-db-asn, built 2026-06-17)\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("geo lookup lacks %q:\n%s", s, out)
		}
	}
	out, err = runGeo(t, "geo", "info")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"location database:      embedded:dbip-country-lite", "registration database:  embedded:geo-whois-asn-country",
		"asn database:           embedded:ip-location-db-asn", "licence:                CC0-1.0", "licence:                CC BY 4.0; IP to ASN data by RouteViews",
		"networks:               1010885", "networks:               515158"} {
		if !strings.Contains(squeeze(out), squeeze(s)) {
			t.Errorf("geo info lacks %q:\n%s", s, out)
		}
	}

	dir := t.TempDir()
	cdb := filepath.Join(dir, "lab.mmdb")
	if err := os.WriteFile(cdb, geotest.Lab(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runGeo(t, "--geoip", cdb, "geo", "lookup", "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "registered") || !strings.Contains(out, "  location:       CN\n") {
		t.Errorf("lab lookup:\n%s", out)
	}
}

// squeeze collapses runs of spaces (the tabwriter's alignment) into one.
func squeeze(s string) string { return regexp.MustCompile(` +`).ReplaceAllString(s, " ") }
