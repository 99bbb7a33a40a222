package geotest

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/oschwald/geoip2-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2"
)

func TestLabDecodesWithGeoIP2(t *testing.T) {
	b := Lab()
	if !bytes.Equal(b, Lab()) {
		t.Fatal("Lab output is not deterministic")
	}
	r, err := geoip2.OpenBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := maxminddb.OpenBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Metadata().DatabaseType; got != "GeoIP2-Country" {
		t.Errorf("database_type = %q", got)
	}
	if got := r.Metadata().BuildEpoch; got != BuildEpoch {
		t.Errorf("build_epoch = %d", got)
	}
	cases := []struct {
		addr, country string
		asn           uint
	}{
		{"198.51.100.7", "CN", 64501},
		{"203.0.113.255", "RU", 64502},
		{"192.0.2.1", "DE", 64500},
		{"192.0.2.200", "FR", 64503},
		{"2001:db8:1::1", "CN", 64501},
		{"2001:db8:2:ffff::1", "RU", 64502},
		{"2001:db8:de::5", "DE", 64500},
		{"2001:db8:f::1", "FR", 64503},
		{"::ffff:198.51.100.7", "CN", 64501},
		{"64.13.134.52", "US", 0},
		{"82.165.177.154", "DE", 0},
		{"10.10.10.10", "", 0},
		{"2001:db8:3::1", "", 0},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			a := netip.MustParseAddr(c.addr)
			rec, err := r.Country(a)
			if err != nil {
				t.Fatal(err)
			}
			// The lab map has no registration data: no registered_country.
			if rec.Country.ISOCode != c.country || rec.RegisteredCountry.ISOCode != "" {
				t.Errorf("country %q registered %q, want %q and none", rec.Country.ISOCode, rec.RegisteredCountry.ISOCode, c.country)
			}
			var asn uint
			if err := raw.Lookup(a).DecodePath(&asn, "autonomous_system_number"); err != nil {
				t.Fatal(err)
			}
			if asn != c.asn {
				t.Errorf("asn %d, want %d", asn, c.asn)
			}
		})
	}
}

func TestBuildASNAndRegistered(t *testing.T) {
	es := []Entry{
		{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "SE", Registered: "DE", Continent: "EU", ASN: 64510, ASOrg: "Example AB"},
		{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Country: "US"},
	}
	b, err := Build(es)
	if err != nil {
		t.Fatal(err)
	}
	r, err := geoip2.OpenBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Country(netip.MustParseAddr("192.0.2.9"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Country.ISOCode != "SE" || rec.RegisteredCountry.ISOCode != "DE" || rec.Continent.Code != "EU" {
		t.Errorf("got %+v", rec)
	}
	ab, err := BuildASN(es)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := geoip2.OpenBytes(ab)
	if err != nil {
		t.Fatal(err)
	}
	if ar.Metadata().DatabaseType != "GeoLite2-ASN" {
		t.Errorf("asn database_type = %q", ar.Metadata().DatabaseType)
	}
	a, err := ar.ASN(netip.MustParseAddr("192.0.2.9"))
	if err != nil {
		t.Fatal(err)
	}
	if a.AutonomousSystemNumber != 64510 || a.AutonomousSystemOrganization != "Example AB" {
		t.Errorf("asn = %+v", a)
	}
	a, err = ar.ASN(netip.MustParseAddr("198.51.100.1"))
	if err != nil {
		t.Fatal(err)
	}
	if a.HasData() {
		t.Errorf("entry without ASN written to ASN db: %+v", a)
	}
	if _, err := Build([]Entry{{Country: "DE"}}); err == nil {
		t.Error("invalid prefix accepted")
	}
}
