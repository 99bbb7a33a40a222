package alert

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Format is the JSON layout of an alert line.
type Format uint8

const (
	// FormatEVE is Suricata's EVE alert record (the default), valid against
	// Suricata's schema: EVE fields keep their EVE names and meaning,
	// borderwatch's additions live in alert.metadata and alert.context, the
	// episode's counters in the EVE flow object.
	FormatEVE Format = iota
	// FormatECS is the Elastic Common Schema layout; fields with no ECS home
	// live under borderwatch.*.
	FormatECS
)

// String returns the name used in configuration: "eve" or "ecs".
func (f Format) String() string {
	switch f {
	case FormatEVE:
		return "eve"
	case FormatECS:
		return "ecs"
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat parses "eve" or "ecs"; "" is FormatEVE.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "eve":
		return FormatEVE, nil
	case "ecs":
		return FormatECS, nil
	}
	return 0, fmt.Errorf("unknown alert format %q (want eve or ecs)", s)
}

// ECSVersion is the ECS version the ECS layout follows; it is written as
// ecs.version.
const ECSVersion = "8.17.0"

// eveTimeLayout is Suricata's EVE timestamp: microseconds and a numeric zone.
const eveTimeLayout = "2006-01-02T15:04:05.000000-0700"

// ErrLoggingDisabled is returned when zerolog's global level is
// zerolog.Disabled: the encoder uses zerolog's event API, which then writes
// nothing, and an alert must never be lost silently.
var ErrLoggingDisabled = errors.New("encoding alert: zerolog global level is Disabled")

// lineBuffer is the io.Writer the encoder's zerolog.Logger writes to: it
// appends each finished line to the caller's slice.
type lineBuffer struct{ buf []byte }

// Write appends p; it never fails.
func (l *lineBuffer) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	return len(p), nil
}

// Encoder writes alerts as JSON lines (one object and a '\n' per alert) with
// zerolog's JSON encoder. In steady state Append allocates nothing. An
// Encoder is not safe for concurrent use; use one per goroutine, or the
// package functions AppendEVE and AppendECS, which pool them.
type Encoder struct {
	format  Format
	out     lineBuffer
	log     zerolog.Logger
	scratch []byte
}

// NewEncoder returns an Encoder for format f.
func NewEncoder(f Format) *Encoder {
	e := &Encoder{format: f, scratch: make([]byte, 0, 64)}
	e.log = zerolog.New(&e.out)
	return e
}

// Format returns the encoder's format.
func (e *Encoder) Format() Format { return e.format }

// Append appends a as one JSON line, newline included, to dst and returns
// the extended slice. On error dst is returned unchanged.
func (e *Encoder) Append(dst []byte, a *Alert) ([]byte, error) {
	ev := e.log.Log()
	if ev == nil {
		return dst, ErrLoggingDisabled
	}
	if e.format == FormatECS {
		e.ecs(ev, a)
	} else {
		e.eve(ev, a)
	}
	e.out.buf = dst
	ev.Send()
	dst = e.out.buf
	e.out.buf = nil
	return dst, nil
}

var encoderPools = [2]sync.Pool{
	{New: func() any { return NewEncoder(FormatEVE) }},
	{New: func() any { return NewEncoder(FormatECS) }},
}

func appendPooled(f Format, dst []byte, a *Alert) ([]byte, error) {
	e := encoderPools[f].Get().(*Encoder)
	dst, err := e.Append(dst, a)
	encoderPools[f].Put(e)
	return dst, err
}

// AppendEVE appends a as one EVE JSON line to dst. It is safe for
// concurrent use.
func AppendEVE(dst []byte, a *Alert) ([]byte, error) { return appendPooled(FormatEVE, dst, a) }

// AppendECS appends a as one ECS JSON line to dst. It is safe for
// concurrent use.
func AppendECS(dst []byte, a *Alert) ([]byte, error) { return appendPooled(FormatECS, dst, a) }

// Protocol numbers with special handling.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// ianaKeywords are the keywords of the IANA "Assigned Internet Protocol
// Numbers" registry, the names Suricata writes as EVE proto, for the
// assigned numbers in common use; any other number is written in decimal.
var ianaKeywords = map[uint8]string{
	0: "HOPOPT", 1: "ICMP", 2: "IGMP", 3: "GGP", 4: "IPv4", 5: "ST", 6: "TCP", 7: "CBT", 8: "EGP",
	9: "IGP", 12: "PUP", 17: "UDP", 20: "HMP", 22: "XNS-IDP", 27: "RDP", 29: "ISO-TP4", 33: "DCCP",
	36: "XTP", 37: "DDP", 41: "IPv6", 43: "IPv6-Route", 44: "IPv6-Frag", 45: "IDRP", 46: "RSVP",
	47: "GRE", 50: "ESP", 51: "AH", 57: "SKIP", 58: "IPv6-ICMP", 59: "IPv6-NoNxt", 60: "IPv6-Opts",
	81: "VMTP", 88: "EIGRP", 89: "OSPFIGP", 92: "MTP", 94: "IPIP", 97: "ETHERIP", 98: "ENCAP",
	103: "PIM", 108: "IPComp", 112: "VRRP", 113: "PGM", 115: "L2TP", 132: "SCTP", 133: "FC",
	135: "Mobility Header", 136: "UDPLite", 137: "MPLS-in-IP", 139: "HIP", 140: "Shim6", 141: "WESP",
	142: "ROHC", 143: "Ethernet",
}

// protoNames holds the EVE proto value for every protocol number (the IANA
// keyword, else the number), protoNamesLower the ECS network.transport value
// (the keyword in lower case, else the number), protoNumbers the number; built
// once so rendering allocates nothing.
var protoNames, protoNamesLower, protoNumbers [256]string

func init() {
	for i := range protoNames {
		protoNumbers[i] = strconv.Itoa(i)
		protoNames[i] = protoNumbers[i]
		protoNamesLower[i] = protoNumbers[i]
		if k, ok := ianaKeywords[uint8(i)]; ok {
			protoNames[i] = k
			protoNamesLower[i] = strings.ToLower(k)
		}
	}
}

// ProtoName returns the EVE proto value for IANA protocol number p: its IANA
// keyword as Suricata writes it ("TCP", "UDP", "ICMP", "IPv6-ICMP", "GRE",
// "ESP", "SCTP", …), else the number in decimal.
func ProtoName(p uint8) string { return protoNames[p] }

func isICMP(p uint8) bool { return p == protoICMP || p == protoICMPv6 }

// portsShown reports whether ports are written: always for TCP, UDP and SCTP,
// never for ICMP (type and code instead), for other protocols when set.
func portsShown(a *Alert) bool {
	switch a.Proto {
	case protoTCP, protoUDP, protoSCTP:
		return true
	case protoICMP, protoICMPv6:
		return false
	}
	return a.SrcPort != 0 || a.DstPort != 0
}

// action returns the alert action, "allowed" when unset: the sensor is
// passive.
func action(a *Alert) string {
	if a.Action == "" {
		return "allowed"
	}
	return a.Action
}

// quotedIP renders ip as a JSON string: IPv4-mapped IPv6 addresses as IPv4,
// without zone.
func (e *Encoder) quotedIP(ip netip.Addr) []byte {
	b := append(e.scratch[:0], '"')
	b = ip.Unmap().WithZone("").AppendTo(b)
	e.scratch = append(b, '"')
	return e.scratch
}

// quotedTime renders ns since the epoch, in UTC, with layout, as a JSON
// string.
func (e *Encoder) quotedTime(ns int64, layout string) []byte {
	b := append(e.scratch[:0], '"')
	b = time.Unix(0, ns).UTC().AppendFormat(b, layout)
	e.scratch = append(b, '"')
	return e.scratch
}

// quotedUint renders n as a JSON string (ECS keyword fields holding numbers).
func (e *Encoder) quotedUint(n uint64) []byte {
	b := append(e.scratch[:0], '"')
	b = strconv.AppendUint(b, n, 10)
	e.scratch = append(b, '"')
	return e.scratch
}

func endpointEmpty(p *Endpoint) bool {
	return p.CountryISO == "" && p.RegisteredISO == "" && p.Continent == "" &&
		p.ASN == 0 && p.ASOrg == "" && len(p.Jurisdictions) == 0
}

// contextStatsEmpty reports whether the episode has nothing for
// alert.context.stats: the counts of packets and bytes and the episode's
// times are the flow object.
func contextStatsEmpty(s *Stats) bool {
	return s.DistinctPorts == 0 && s.DistinctHosts == 0 && s.DistinctSources == 0 &&
		s.Suppressed == 0 && len(s.TopSources) == 0
}

// flowEmpty reports whether the episode has nothing for the flow object.
func flowEmpty(s *Stats) bool {
	return s.Packets == 0 && s.Bytes == 0 && s.FirstSeen == 0 && s.LastSeen == 0
}

func thresholdEmpty(t *Threshold) bool {
	return t.Track == "" && t.Distinct == "" && t.Count == 0 && t.Bytes == 0 && t.Window == 0 && t.Observed == 0
}

// finite returns v, or 0 when v is NaN or infinite (which JSON cannot hold).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// eve writes the EVE record: Suricata's EVE alert, valid against Suricata's
// own schema (etc/schema.json): borderwatch's detail is in alert.context
// (Suricata's open object), the flat fields analysts filter on are also
// alert.metadata string arrays, and the episode's counters are the EVE flow
// object.
func (e *Encoder) eve(ev *zerolog.Event, a *Alert) {
	ev.RawJSON("timestamp", e.quotedTime(a.Timestamp, eveTimeLayout))
	if a.FlowID != 0 {
		ev.Uint64("flow_id", a.FlowID)
	}
	if a.Iface != "" {
		ev.Str("in_iface", a.Iface)
	}
	ev.Str("event_type", "alert")
	ports := portsShown(a)
	if a.SrcIP.IsValid() {
		ev.RawJSON("src_ip", e.quotedIP(a.SrcIP))
	}
	if ports {
		ev.Uint16("src_port", a.SrcPort)
	}
	if a.DstIP.IsValid() {
		ev.RawJSON("dest_ip", e.quotedIP(a.DstIP))
	}
	if ports {
		ev.Uint16("dest_port", a.DstPort)
	}
	ev.Str("proto", protoNames[a.Proto])
	if isICMP(a.Proto) {
		ev.Uint8("icmp_type", a.ICMPType)
		ev.Uint8("icmp_code", a.ICMPCode)
	}
	if a.Direction != "" {
		ev.Str("direction", a.Direction)
	}
	if a.CommunityID != "" {
		ev.Str("community_id", a.CommunityID)
	}

	al := ev.CreateDict().
		Str("action", action(a)).
		Int("gid", gid(a)).
		Uint32("signature_id", a.SignatureID).
		Uint32("rev", a.Rev).
		Str("signature", a.Signature)
	if a.Category != "" {
		al.Str("category", a.Category)
	}
	al.Int("severity", a.Severity)
	if metadataPresent(a) {
		al.Dict("metadata", eveMetadata(al.CreateDict(), a))
	}
	if contextPresent(a) {
		al.Dict("context", e.eveContext(al.CreateDict(), a))
	}
	ev.Dict("alert", al)

	if !flowEmpty(&a.Stats) {
		ev.Dict("flow", e.eveFlow(ev.CreateDict(), &a.Stats))
	}
	if a.Host != "" {
		ev.Str("host", a.Host)
	}
	if a.PcapFile != "" {
		ev.Str("pcap_filename", a.PcapFile)
	}
}

func gid(a *Alert) int {
	if a.GID == 0 {
		return 1
	}
	return a.GID
}

// metadataPresent reports whether alert.metadata has a key.
func metadataPresent(a *Alert) bool {
	return a.Kind != "" || len(a.Mitre) > 0 || a.GeoDir != "" || a.Src.CountryISO != "" ||
		a.Dst.CountryISO != "" || len(a.Src.Jurisdictions) > 0 || len(a.Dst.Jurisdictions) > 0
}

// eveMetadata writes alert.metadata: Suricata-style arrays of strings of the
// fields analysts filter on most.
func eveMetadata(md *zerolog.Event, a *Alert) *zerolog.Event {
	if a.Kind != "" {
		md.Array("kind", md.CreateArray().Str(a.Kind))
	}
	if len(a.Mitre) > 0 {
		md.Strs("mitre_technique_id", a.Mitre)
	}
	if a.GeoDir != "" {
		md.Array("geo_direction", md.CreateArray().Str(a.GeoDir))
	}
	if a.Src.CountryISO != "" {
		md.Array("src_country", md.CreateArray().Str(a.Src.CountryISO))
	}
	if a.Dst.CountryISO != "" {
		md.Array("dest_country", md.CreateArray().Str(a.Dst.CountryISO))
	}
	if len(a.Src.Jurisdictions) > 0 {
		md.Strs("src_jurisdictions", a.Src.Jurisdictions)
	}
	if len(a.Dst.Jurisdictions) > 0 {
		md.Strs("dest_jurisdictions", a.Dst.Jurisdictions)
	}
	return md
}

// contextPresent reports whether alert.context has a key.
func contextPresent(a *Alert) bool {
	return geoPresent(a) || !contextStatsEmpty(&a.Stats) || !thresholdEmpty(&a.Threshold)
}

func geoPresent(a *Alert) bool {
	return a.GeoDir != "" || !endpointEmpty(&a.Src) || !endpointEmpty(&a.Dst) || a.GeoDB != "" || a.GeoBuilt != 0
}

// eveContext writes alert.context: geo, stats and threshold.
func (e *Encoder) eveContext(c *zerolog.Event, a *Alert) *zerolog.Event {
	if geoPresent(a) {
		g := c.CreateDict()
		if a.GeoDir != "" {
			g.Str("direction", a.GeoDir)
		}
		if !endpointEmpty(&a.Src) {
			g.Dict("src", eveEndpoint(g.CreateDict(), &a.Src))
		}
		if !endpointEmpty(&a.Dst) {
			g.Dict("dest", eveEndpoint(g.CreateDict(), &a.Dst))
		}
		if a.GeoDB != "" || a.GeoBuilt != 0 {
			g.Dict("database", e.geoDatabase(g.CreateDict(), a, eveTimeLayout))
		}
		c.Dict("geo", g)
	}
	if !contextStatsEmpty(&a.Stats) {
		c.Dict("stats", stats(c.CreateDict(), &a.Stats))
	}
	if !thresholdEmpty(&a.Threshold) {
		c.Dict("threshold", e.threshold(c.CreateDict(), &a.Threshold))
	}
	return c
}

// eveFlow writes the EVE flow object of the episode: its packets and bytes
// per direction, first and last packet times.
func (e *Encoder) eveFlow(d *zerolog.Event, s *Stats) *zerolog.Event {
	tcP, tcB := min(s.ToClientPackets, s.Packets), min(s.ToClientBytes, s.Bytes)
	d.Uint64("pkts_toserver", s.Packets-tcP).
		Uint64("pkts_toclient", tcP).
		Uint64("bytes_toserver", s.Bytes-tcB).
		Uint64("bytes_toclient", tcB)
	if s.FirstSeen != 0 {
		d.RawJSON("start", e.quotedTime(s.FirstSeen, eveTimeLayout))
	}
	if s.LastSeen != 0 {
		d.RawJSON("end", e.quotedTime(s.LastSeen, eveTimeLayout))
	}
	return d
}

// eveEndpoint writes alert.context.geo.src or .dest.
func eveEndpoint(d *zerolog.Event, p *Endpoint) *zerolog.Event {
	if p.CountryISO != "" {
		d.Str("country_iso_code", p.CountryISO)
	}
	if p.RegisteredISO != "" {
		d.Str("registered_country_iso_code", p.RegisteredISO)
	}
	if p.Continent != "" {
		d.Str("continent_code", p.Continent)
	}
	if p.ASN != 0 {
		d.Uint32("as_number", p.ASN)
	}
	if p.ASOrg != "" {
		d.Str("as_org", p.ASOrg)
	}
	if len(p.Jurisdictions) > 0 {
		d.Strs("jurisdictions", p.Jurisdictions)
	}
	return d
}

// geoDatabase writes {name, build_time}, the time in the layout of the rest
// of the record.
func (e *Encoder) geoDatabase(d *zerolog.Event, a *Alert, layout string) *zerolog.Event {
	if a.GeoDB != "" {
		d.Str("name", a.GeoDB)
	}
	if a.GeoBuilt != 0 {
		d.RawJSON("build_time", e.quotedTime(a.GeoBuilt*int64(time.Second), layout))
	}
	return d
}

// stats writes the episode's detail that neither the EVE flow object nor
// ECS's network and event fields hold.
func stats(d *zerolog.Event, s *Stats) *zerolog.Event {
	if s.DistinctPorts != 0 {
		d.Uint32("distinct_ports", s.DistinctPorts)
	}
	if s.DistinctHosts != 0 {
		d.Uint32("distinct_hosts", s.DistinctHosts)
	}
	if s.DistinctSources != 0 {
		d.Uint32("distinct_sources", s.DistinctSources)
	}
	if s.Suppressed != 0 {
		d.Uint64("suppressed", s.Suppressed)
	}
	if len(s.TopSources) > 0 {
		arr := d.CreateArray()
		for i := range s.TopSources {
			c := &s.TopSources[i]
			arr.Dict(d.CreateDict().Str("country", c.Country).Uint64("packets", c.Packets))
		}
		d.Array("top_sources", arr)
	}
	return d
}

// threshold writes the threshold object. window is always a JSON number
// with a fraction (10.0, 2.5), so that typed consumers (Elasticsearch's
// dynamic mapping, schema generators) see one type, a float, whatever the
// rule's window.
func (e *Encoder) threshold(d *zerolog.Event, t *Threshold) *zerolog.Event {
	if t.Track != "" {
		d.Str("track", t.Track)
	}
	if t.Distinct != "" {
		d.Str("distinct", t.Distinct)
	}
	if t.Count != 0 {
		d.Uint64("count", t.Count)
	}
	if t.Bytes != 0 {
		d.Uint64("bytes", t.Bytes)
	}
	return d.RawJSON("window", e.floatWithFraction(finite(t.Window))).Uint64("observed", t.Observed)
}

// floatWithFraction renders v as a JSON number that always has a fraction:
// 10 as 10.0, 2.5 as 2.5.
func (e *Encoder) floatWithFraction(v float64) []byte {
	b := strconv.AppendFloat(e.scratch[:0], v, 'f', -1, 64)
	if bytes.IndexByte(b, '.') < 0 {
		b = append(b, '.', '0')
	}
	e.scratch = b
	return b
}
