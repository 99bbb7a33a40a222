package alert

import (
	"net/netip"
	"time"
)

// ts parses an RFC 3339 time into ns since the epoch.
func ts(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

// samples are alerts covering every field and every omission rule.
var samples = []struct {
	name string
	a    Alert
}{
	{"tcp_portscan_full", Alert{
		Timestamp:   ts("2026-11-25T22:21:25.123456789Z"),
		FlowID:      1234567890123,
		CommunityID: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
		SrcIP:       netip.MustParseAddr("203.0.113.7"),
		SrcPort:     51514,
		DstIP:       netip.MustParseAddr("192.0.2.10"),
		DstPort:     22,
		Proto:       6,
		Direction:   "to_server",
		GeoDir:      "inbound",
		Iface:       "eth0",
		Host:        "gw1.example",
		Action:      "allowed",
		GID:         1,
		SignatureID: 9100001,
		Rev:         3,
		Signature:   `BORDERWATCH port scan from "forbidden" zone`,
		Category:    "Attempted Information Leak",
		Severity:    2,
		Kind:        "portscan",
		Mitre:       []string{"T1046", "T1595.001"},
		Src: Endpoint{CountryISO: "RU", RegisteredISO: "RU", Continent: "EU", ASN: 64500,
			ASOrg: "Example Transit", Jurisdictions: []string{"ru", "forbidden"}},
		Dst:      Endpoint{CountryISO: "DE", RegisteredISO: "DE", Continent: "EU", Jurisdictions: []string{"home", "eu"}},
		GeoDB:    "borderwatch-lab",
		GeoBuilt: ts("2026-11-01T00:00:00Z") / int64(time.Second),
		Stats: Stats{Packets: 120, Bytes: 7200, DistinctPorts: 100, DistinctHosts: 1,
			FirstSeen: ts("2026-11-25T22:21:20.000001Z"), LastSeen: ts("2026-11-25T22:21:25.123456Z"), Suppressed: 4},
		Threshold: Threshold{Track: "src", Distinct: "dst_port", Count: 100, Window: 10, Observed: 100},
	}},
	{"icmpv6_minimal", Alert{
		Timestamp:   ts("2026-01-02T03:04:05Z"),
		SrcIP:       netip.MustParseAddr("2001:db8::1%eth1"),
		DstIP:       netip.MustParseAddr("2001:db8:1::2"),
		Proto:       58,
		ICMPType:    128,
		SignatureID: 9100200,
		Rev:         1,
		Signature:   "ICMPv6 echo from listed address",
		Severity:    3,
	}},
	{"udp_flood_blocked", Alert{
		Timestamp:   ts("2026-06-30T23:59:59.5+02:00"),
		SrcIP:       netip.MustParseAddr("::ffff:198.51.100.9"),
		DstIP:       netip.MustParseAddr("192.0.2.53"),
		DstPort:     53,
		Proto:       17,
		GeoDir:      "transit",
		Action:      "blocked",
		SignatureID: 9100300,
		Rev:         2,
		Signature:   "DNS reflection flood",
		Category:    "Attempted Denial of Service",
		Severity:    1,
		Kind:        "reflection",
		PcapFile:    "/var/tmp/flood.pcapng",
		Dst:         Endpoint{CountryISO: "FR", Continent: "EU", ASN: 64501},
		Stats: Stats{Packets: 50000, Bytes: 25000000, DistinctSources: 310,
			TopSources: []CountryCount{{"US", 30000}, {"CN", 15000}}},
		Threshold: Threshold{Track: "dst", Distinct: "src_ip", Bytes: 10000000, Window: 2.5, Observed: 25000000},
	}},
	{"gre_no_ports", Alert{
		Timestamp:   ts("2026-03-01T00:00:00.000000001Z"),
		FlowID:      7,
		SrcIP:       netip.MustParseAddr("198.51.100.1"),
		DstIP:       netip.MustParseAddr("203.0.113.1"),
		Proto:       47,
		GeoDir:      "outbound",
		SignatureID: 9100400,
		Rev:         1,
		Signature:   "tunnel to forbidden zone",
		Severity:    2,
		Src:         Endpoint{Jurisdictions: []string{"home"}},
		Stats: Stats{Packets: 12, Bytes: 9000, ToClientPackets: 5, ToClientBytes: 4000,
			FirstSeen: ts("2026-02-28T23:59:58.5Z"), LastSeen: ts("2026-03-01T00:00:00.000000001Z")},
		Threshold: Threshold{Track: "flow", Count: 10, Window: 60, Observed: 12},
	}},
}
