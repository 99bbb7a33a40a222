// Package alert defines the alert record and writes it as JSON lines: the
// EVE-superset record by default, ECS on request.
package alert

import "net/netip"

// Endpoint is the geo context of one end of an alert.
type Endpoint struct {
	CountryISO    string   // location country, "" if unknown
	RegisteredISO string   // registered country
	Continent     string   // continent code
	ASN           uint32   // 0 if unknown
	ASOrg         string   // AS organisation
	Jurisdictions []string // zones and groups the address is in
}

// CountryCount is a country with a packet count, for flood/amplification sources.
type CountryCount struct {
	Country string
	Packets uint64
}

// Stats is what the detector observed for this alert.
type Stats struct {
	Packets         uint64
	Bytes           uint64
	DistinctPorts   uint32
	DistinctHosts   uint32
	DistinctSources uint32
	FirstSeen       int64 // ns since epoch, capture time
	LastSeen        int64
	Suppressed      uint64         // alerts suppressed since the previous one for this key
	TopSources      []CountryCount // flood/amplification: top source countries
}

// Threshold is the threshold that fired.
type Threshold struct {
	Track    string // src, dst, pair, flow
	Distinct string // dst_port, dst_ip, src_ip, or ""
	Count    uint64
	Bytes    uint64
	Window   float64 // seconds
	Observed uint64  // the value that crossed the threshold
}

// Alert is one alert: all the data of an EVE-superset record.
type Alert struct {
	Timestamp   int64 // ns since epoch, capture time of the packet that fired
	FlowID      uint64
	CommunityID string
	SrcIP       netip.Addr
	SrcPort     uint16
	DstIP       netip.Addr
	DstPort     uint16
	Proto       uint8  // IANA number; rendered "TCP", "UDP", "ICMP", "IPv6-ICMP"
	ICMPType    uint8  // ICMP or ICMPv6 type, for Proto 1 and 58 (ports are not used then)
	ICMPCode    uint8  // ICMP or ICMPv6 code, for Proto 1 and 58
	Direction   string // EVE: to_server or to_client
	GeoDir      string // inbound, outbound, internal, transit
	Iface       string // capture interface or file, "" if unknown

	Action      string // allowed (EVE meaning: let through) or blocked
	GID         int    // always 1
	SignatureID uint32
	Rev         uint32
	Signature   string
	Category    string
	Severity    int
	Kind        string
	Mitre       []string

	Src, Dst Endpoint
	GeoDB    string // name of the GeoIP database
	GeoBuilt int64  // its build time, seconds since epoch

	Stats     Stats
	Threshold Threshold
}
