package alert

import (
	"fmt"
	"net/netip"
	"os"
)

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

// Stats is what the detector observed for this alert: the episode, the
// packets the rule counted for the alert's key in the window that fired.
type Stats struct {
	Packets uint64 // packets counted, both EVE directions
	Bytes   uint64 // IP bytes counted, both EVE directions
	// ToClientPackets and ToClientBytes are the part of Packets and Bytes
	// counted in the to_client direction (written as the EVE flow object's
	// pkts_toclient and bytes_toclient; the rest is to_server).
	ToClientPackets uint64
	ToClientBytes   uint64
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
	Proto       uint8  // IANA number; rendered with its IANA keyword ("TCP", "GRE", "IPv6-ICMP")
	ICMPType    uint8  // ICMP or ICMPv6 type, for Proto 1 and 58 (ports are not used then)
	ICMPCode    uint8  // ICMP or ICMPv6 code, for Proto 1 and 58
	Direction   string // EVE: to_server or to_client
	GeoDir      string // inbound, outbound, internal, transit
	Iface       string // capture interface (live), "" if unknown: EVE in_iface
	PcapFile    string // capture file (replay), "" if none: EVE pcap_filename
	Host        string // sensor name: EVE host, ECS observer.name and observer.hostname

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

// MaxSensorNameLen bounds the sensor name (a DNS name's length).
const MaxSensorNameLen = 253

// DefaultSensorName is the sensor name when none is configured: the host
// name, or "" when the system has none.
func DefaultSensorName() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

// CheckSensorName returns an error when s cannot be a sensor name: longer
// than MaxSensorNameLen bytes, or holding anything but printable ASCII
// without spaces.
func CheckSensorName(s string) error {
	if len(s) > MaxSensorNameLen {
		return fmt.Errorf("sensor name is %d bytes long, more than %d", len(s), MaxSensorNameLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("sensor name: byte %d is %q: want printable ASCII without spaces", i+1, c)
		}
	}
	return nil
}
