package alert

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Format is the JSON layout of an alert line.
type Format uint8

const (
	// FormatEVE is the Suricata EVE superset (the default): EVE fields keep
	// their EVE names and meaning, borderwatch additions live in geo, stats
	// and threshold.
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

// Protocol numbers with names or special handling.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// protoNames holds the EVE proto value for every protocol number, built once
// so rendering an unnamed protocol allocates nothing.
var protoNames, protoNamesLower, protoNumbers [256]string

func init() {
	for i := range protoNames {
		protoNumbers[i] = strconv.Itoa(i)
		protoNames[i] = protoNumbers[i]
		protoNamesLower[i] = protoNumbers[i]
	}
	for n, s := range map[int]string{protoICMP: "ICMP", protoTCP: "TCP", protoUDP: "UDP", protoICMPv6: "IPv6-ICMP"} {
		protoNames[n] = s
	}
	for n, s := range map[int]string{protoICMP: "icmp", protoTCP: "tcp", protoUDP: "udp", protoICMPv6: "ipv6-icmp"} {
		protoNamesLower[n] = s
	}
}

// ProtoName returns the EVE proto value for IANA protocol number p: "TCP",
// "UDP", "ICMP", "IPv6-ICMP", else the number in decimal.
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

func statsEmpty(s *Stats) bool {
	return s.Packets == 0 && s.Bytes == 0 && s.DistinctPorts == 0 && s.DistinctHosts == 0 &&
		s.DistinctSources == 0 && s.FirstSeen == 0 && s.LastSeen == 0 && s.Suppressed == 0 &&
		len(s.TopSources) == 0
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

// eve writes the EVE-superset record.
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
	if a.Kind != "" || len(a.Mitre) > 0 {
		md := al.CreateDict()
		if a.Kind != "" {
			md.Array("kind", md.CreateArray().Str(a.Kind))
		}
		if len(a.Mitre) > 0 {
			md.Strs("mitre_technique_id", a.Mitre)
		}
		al.Dict("metadata", md)
	}
	ev.Dict("alert", al)

	srcGeo, dstGeo := !endpointEmpty(&a.Src), !endpointEmpty(&a.Dst)
	db := a.GeoDB != "" || a.GeoBuilt != 0
	if a.GeoDir != "" || srcGeo || dstGeo || db {
		g := ev.CreateDict()
		if a.GeoDir != "" {
			g.Str("direction", a.GeoDir)
		}
		if srcGeo {
			g.Dict("src", eveEndpoint(g.CreateDict(), &a.Src))
		}
		if dstGeo {
			g.Dict("dest", eveEndpoint(g.CreateDict(), &a.Dst))
		}
		if db {
			g.Dict("database", e.geoDatabase(g.CreateDict(), a))
		}
		ev.Dict("geo", g)
	}
	if !statsEmpty(&a.Stats) {
		ev.Dict("stats", e.stats(ev.CreateDict(), &a.Stats, true))
	}
	if !thresholdEmpty(&a.Threshold) {
		ev.Dict("threshold", threshold(ev.CreateDict(), &a.Threshold))
	}
}

func gid(a *Alert) int {
	if a.GID == 0 {
		return 1
	}
	return a.GID
}

// eveEndpoint writes the geo.src or geo.dest object.
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

// geoDatabase writes {name, build_time}.
func (e *Encoder) geoDatabase(d *zerolog.Event, a *Alert) *zerolog.Event {
	if a.GeoDB != "" {
		d.Str("name", a.GeoDB)
	}
	if a.GeoBuilt != 0 {
		d.RawJSON("build_time", e.quotedTime(a.GeoBuilt*int64(time.Second), time.RFC3339))
	}
	return d
}

// stats writes the stats object; withTimes adds first_seen and last_seen in
// EVE time format (ECS carries them as event.start and event.end instead).
func (e *Encoder) stats(d *zerolog.Event, s *Stats, withTimes bool) *zerolog.Event {
	d.Uint64("packets", s.Packets).Uint64("bytes", s.Bytes)
	if s.DistinctPorts != 0 {
		d.Uint32("distinct_ports", s.DistinctPorts)
	}
	if s.DistinctHosts != 0 {
		d.Uint32("distinct_hosts", s.DistinctHosts)
	}
	if s.DistinctSources != 0 {
		d.Uint32("distinct_sources", s.DistinctSources)
	}
	if withTimes {
		if s.FirstSeen != 0 {
			d.RawJSON("first_seen", e.quotedTime(s.FirstSeen, eveTimeLayout))
		}
		if s.LastSeen != 0 {
			d.RawJSON("last_seen", e.quotedTime(s.LastSeen, eveTimeLayout))
		}
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

// threshold writes the threshold object.
func threshold(d *zerolog.Event, t *Threshold) *zerolog.Event {
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
	return d.Float64("window", finite(t.Window)).Uint64("observed", t.Observed)
}
