package geotest

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// BuildEpoch is the fixed build time (2026-01-01T00:00:00Z) written into every
// database, so that output is byte-for-byte deterministic.
const BuildEpoch = 1767225600

// Entry maps one network to a country (and optionally an AS).
type Entry struct {
	Prefix     netip.Prefix // network; host bits are masked
	Country    string       // location country, ISO 3166-1 alpha-2; "" for none
	Registered string       // registered country; "" for none (the record has no registered_country)
	Continent  string       // continent code (EU, AS…); "" leaves it out, geo then derives it
	ASN        uint32       // 0 for none
	ASOrg      string       // AS organisation, only with ASN
}

// LabEntries returns the lab map: documentation prefixes mapped to countries, and
// the public addresses seen in ../shared/pcaps so that detection tests can give
// them countries. Private addresses (10.10.10.10, 192.168.x) are not listed: they
// are home through the special ranges.
func LabEntries() []Entry {
	p := netip.MustParsePrefix
	return []Entry{
		// Lab documentation prefixes.
		{Prefix: p("198.51.100.0/24"), Country: "CN", ASN: 64501, ASOrg: "Lab CN Telecom"},
		{Prefix: p("203.0.113.0/24"), Country: "RU", ASN: 64502, ASOrg: "Lab RU Hosting"},
		{Prefix: p("192.0.2.0/25"), Country: "DE", ASN: 64500, ASOrg: "Lab DE Home"},
		{Prefix: p("192.0.2.128/25"), Country: "FR", ASN: 64503, ASOrg: "Lab FR Transit"},
		{Prefix: p("2001:db8:1::/48"), Country: "CN", ASN: 64501, ASOrg: "Lab CN Telecom"},
		{Prefix: p("2001:db8:2::/48"), Country: "RU", ASN: 64502, ASOrg: "Lab RU Hosting"},
		{Prefix: p("2001:db8:de::/48"), Country: "DE", ASN: 64500, ASOrg: "Lab DE Home"},
		{Prefix: p("2001:db8:f::/48"), Country: "FR", ASN: 64503, ASOrg: "Lab FR Transit"},
		// Public addresses in the shared captures (countries as DB-IP Lite gives them).
		{Prefix: p("64.13.134.52/32"), Country: "US"},   // scanme.nmap.org (scan_nmap_syn_scanme)
		{Prefix: p("82.165.177.154/32"), Country: "DE"}, // geoip_http_de
		{Prefix: p("74.125.95.104/32"), Country: "US"},  // www.google.com (benign_http_google)
		{Prefix: p("4.4.4.4/32"), Country: "US"},        // badip_iprep_icmp
		{Prefix: p("8.8.8.8/32"), Country: "US"},        // badip_iprep_icmp
		{Prefix: p("212.58.226.142/32"), Country: "GB"}, // BBC (benign_web_browsing)
		{Prefix: p("67.228.110.120/32"), Country: "US"}, // benign_web_browsing
		{Prefix: p("205.152.37.23/32"), Country: "US"},  // DNS server (benign_dns)
		{Prefix: p("208.104.95.10/32"), Country: "US"},  // NTP reflector (amp_ntp_monlist)
		{Prefix: p("78.46.76.2/32"), Country: "DE"},     // NTP victim (amp_ntp_monlist)
		{Prefix: p("24.132.150.54/32"), Country: "NL"},  // background (amp_dns_rrsig)
		{Prefix: p("45.179.193.111/32"), Country: "PY"}, // DNS reflector (amp_dns_rrsig)
		{Prefix: p("36.91.140.93/32"), Country: "ID"},   // DNS reflector (amp_dns_rrsig)
	}
}

// Lab returns the lab country database (LabEntries built with Build). It panics
// only if the fixed lab map cannot be written, which a test of this package rules out.
func Lab() []byte {
	b, err := Build(LabEntries())
	if err != nil {
		panic(fmt.Sprintf("geotest: building lab database: %v", err))
	}
	return b
}

// Build writes a GeoIP2-Country-schema database (database_type "GeoIP2-Country",
// IPv6 tree with IPv4 aliases, build epoch BuildEpoch) holding entries. Records
// carry country, registered_country (only where Registered is set) and continent, and the GeoLite2-ASN fields
// autonomous_system_number/autonomous_system_organization when ASN is set (geo
// reads them from a country database too). Later entries override earlier ones
// where they overlap.
func Build(entries []Entry) ([]byte, error) {
	return write("GeoIP2-Country", entries, countryRecord)
}

// BuildASN writes a GeoLite2-ASN-schema database (database_type "GeoLite2-ASN")
// holding the entries that have an ASN; countries are ignored.
func BuildASN(entries []Entry) ([]byte, error) {
	var asn []Entry
	for _, e := range entries {
		if e.ASN != 0 {
			asn = append(asn, e)
		}
	}
	return write("GeoLite2-ASN", asn, asnRecord)
}

func write(dbType string, entries []Entry, record func(Entry) mmdbtype.Map) ([]byte, error) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": "borderwatch geotest database"},
		BuildEpoch:              BuildEpoch,
		IncludeReservedNetworks: true,
		RecordSize:              28,
	})
	if err != nil {
		return nil, fmt.Errorf("geotest: %w", err)
	}
	for _, e := range entries {
		if !e.Prefix.IsValid() {
			return nil, fmt.Errorf("geotest: invalid prefix in entry %+v", e)
		}
		p := e.Prefix.Masked()
		n := &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		if err := tree.Insert(n, record(e)); err != nil {
			return nil, fmt.Errorf("geotest: inserting %s: %w", p, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("geotest: writing database: %w", err)
	}
	return buf.Bytes(), nil
}

func countryRecord(e Entry) mmdbtype.Map {
	m := mmdbtype.Map{}
	if e.Country != "" {
		m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(e.Country)}
	}
	if e.Registered != "" {
		m["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(e.Registered)}
	}
	if e.Continent != "" {
		m["continent"] = mmdbtype.Map{"code": mmdbtype.String(e.Continent)}
	}
	if e.ASN != 0 {
		for k, v := range asnRecord(e) {
			m[k] = v
		}
	}
	return m
}

func asnRecord(e Entry) mmdbtype.Map {
	m := mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(e.ASN)}
	if e.ASOrg != "" {
		m["autonomous_system_organization"] = mmdbtype.String(e.ASOrg)
	}
	return m
}
