package alert

import (
	"net/netip"
	"time"

	"github.com/rs/zerolog"
)

// ECS event.module and event.dataset of every alert, and the observer's
// vendor and product (observer.type is "ids").
const (
	ECSModule          = "borderwatch"
	ECSDataset         = "borderwatch.alert"
	ECSObserverVendor  = "borderwatch"
	ECSObserverProduct = "borderwatch"
)

// ECSNetworkDirection maps a jurisdiction direction (Alert.GeoDir) to an
// ECS network.direction value, read from the perimeter of the home
// jurisdiction: inbound → inbound, outbound → outbound, internal → internal,
// transit (both ends foreign) → external, anything else → unknown.
func ECSNetworkDirection(geoDir string) string {
	switch geoDir {
	case "inbound", "outbound", "internal":
		return geoDir
	case "transit":
		return "external"
	}
	return "unknown"
}

// ecsEventType returns event.type for the alert action: ["denied"] when
// blocked, ["allowed"] otherwise; both are allowed for the network and
// intrusion_detection categories.
func ecsEventType(a *Alert) string {
	if a.Action == "blocked" {
		return "denied"
	}
	return "allowed"
}

// ecs writes the ECS record.
func (e *Encoder) ecs(ev *zerolog.Event, a *Alert) {
	ev.RawJSON("@timestamp", e.quotedTime(a.Timestamp, time.RFC3339Nano))
	ev.Dict("ecs", ev.CreateDict().Str("version", ECSVersion))

	evt := ev.CreateDict().
		Str("kind", "alert")
	evt.Array("category", evt.CreateArray().Str("network").Str("intrusion_detection"))
	evt.Array("type", evt.CreateArray().Str(ecsEventType(a)))
	if a.Kind != "" {
		evt.Str("action", a.Kind)
	}
	evt.Int("severity", a.Severity)
	evt.Str("module", ECSModule).Str("dataset", ECSDataset)
	if a.Stats.FirstSeen != 0 {
		evt.RawJSON("start", e.quotedTime(a.Stats.FirstSeen, time.RFC3339Nano))
	}
	if a.Stats.LastSeen != 0 {
		evt.RawJSON("end", e.quotedTime(a.Stats.LastSeen, time.RFC3339Nano))
	}
	if a.Stats.FirstSeen != 0 && a.Stats.LastSeen >= a.Stats.FirstSeen {
		evt.Int64("duration", a.Stats.LastSeen-a.Stats.FirstSeen)
	}
	ev.Dict("event", evt)

	r := ev.CreateDict().
		RawJSON("id", e.quotedUint(uint64(a.SignatureID))).
		Str("name", a.Signature)
	if a.Category != "" {
		r.Str("category", a.Category)
	}
	r.RawJSON("version", e.quotedUint(uint64(a.Rev)))
	ev.Dict("rule", r)

	ports := portsShown(a)
	if a.SrcIP.IsValid() || ports || hasECSGeo(&a.Src) {
		ev.Dict("source", e.ecsEndpoint(ev.CreateDict(), a.SrcIP, a.SrcPort, ports, &a.Src))
	}
	if a.DstIP.IsValid() || ports || hasECSGeo(&a.Dst) {
		ev.Dict("destination", e.ecsEndpoint(ev.CreateDict(), a.DstIP, a.DstPort, ports, &a.Dst))
	}

	n := ev.CreateDict()
	if protoNamesLower[a.Proto] != protoNumbers[a.Proto] {
		n.Str("transport", protoNamesLower[a.Proto])
	}
	n.Str("iana_number", protoNumbers[a.Proto])
	n.Str("direction", ECSNetworkDirection(a.GeoDir))
	if a.CommunityID != "" {
		n.Str("community_id", a.CommunityID)
	}
	if !flowEmpty(&a.Stats) {
		n.Uint64("bytes", a.Stats.Bytes).Uint64("packets", a.Stats.Packets)
	}
	ev.Dict("network", n)

	o := ev.CreateDict()
	if a.Host != "" {
		o.Str("hostname", a.Host).Str("name", a.Host)
	}
	o.Str("type", "ids").Str("vendor", ECSObserverVendor).Str("product", ECSObserverProduct)
	if a.Iface != "" {
		o.Dict("ingress", o.CreateDict().Dict("interface", o.CreateDict().Str("name", a.Iface)))
	}
	ev.Dict("observer", o)

	if a.SrcIP.IsValid() || a.DstIP.IsValid() {
		rel := ev.CreateArray()
		if a.SrcIP.IsValid() {
			rel.RawJSON(e.quotedIP(a.SrcIP))
		}
		if a.DstIP.IsValid() && (!a.SrcIP.IsValid() || a.DstIP.Unmap().WithZone("") != a.SrcIP.Unmap().WithZone("")) {
			rel.RawJSON(e.quotedIP(a.DstIP))
		}
		ev.Dict("related", ev.CreateDict().Array("ip", rel))
	}
	if len(a.Mitre) > 0 {
		ev.Dict("threat", ev.CreateDict().
			Str("framework", "MITRE ATT&CK").
			Dict("technique", ev.CreateDict().Strs("id", a.Mitre)))
	}

	b := ev.CreateDict()
	if a.FlowID != 0 {
		b.Uint64("flow_id", a.FlowID)
	}
	if a.Direction != "" {
		b.Str("direction", a.Direction)
	}
	if a.GeoDir != "" {
		b.Str("geo_direction", a.GeoDir)
	}
	b.Str("action", action(a))
	if isICMP(a.Proto) {
		b.Dict("icmp", b.CreateDict().Uint8("type", a.ICMPType).Uint8("code", a.ICMPCode))
	}
	if a.Src.RegisteredISO != "" || len(a.Src.Jurisdictions) > 0 {
		b.Dict("source", ecsExtraEndpoint(b.CreateDict(), &a.Src))
	}
	if a.Dst.RegisteredISO != "" || len(a.Dst.Jurisdictions) > 0 {
		b.Dict("destination", ecsExtraEndpoint(b.CreateDict(), &a.Dst))
	}
	if a.GeoDB != "" || a.GeoBuilt != 0 {
		b.Dict("geo_database", e.geoDatabase(b.CreateDict(), a, time.RFC3339Nano))
	}
	if !contextStatsEmpty(&a.Stats) {
		b.Dict("stats", stats(b.CreateDict(), &a.Stats))
	}
	if !thresholdEmpty(&a.Threshold) {
		b.Dict("threshold", e.threshold(b.CreateDict(), &a.Threshold))
	}
	if a.PcapFile != "" {
		b.Str("pcap_filename", a.PcapFile)
	}
	ev.Dict("borderwatch", b)
}

// ecsEndpoint writes source or destination: ip, port, geo, as.
func (e *Encoder) ecsEndpoint(d *zerolog.Event, ip netip.Addr, port uint16, ports bool, p *Endpoint) *zerolog.Event {
	if ip.IsValid() {
		d.RawJSON("ip", e.quotedIP(ip))
	}
	if ports {
		d.Uint16("port", port)
	}
	if p.CountryISO != "" || p.Continent != "" {
		g := d.CreateDict()
		if p.CountryISO != "" {
			g.Str("country_iso_code", p.CountryISO)
		}
		if p.Continent != "" {
			g.Str("continent_code", p.Continent)
		}
		d.Dict("geo", g)
	}
	if p.ASN != 0 || p.ASOrg != "" {
		as := d.CreateDict()
		if p.ASN != 0 {
			as.Uint32("number", p.ASN)
		}
		if p.ASOrg != "" {
			as.Dict("organization", as.CreateDict().Str("name", p.ASOrg))
		}
		d.Dict("as", as)
	}
	return d
}

// ecsExtraEndpoint writes borderwatch.source or borderwatch.destination:
// the endpoint fields with no ECS home.
func ecsExtraEndpoint(d *zerolog.Event, p *Endpoint) *zerolog.Event {
	if p.RegisteredISO != "" {
		d.Str("registered_country_iso_code", p.RegisteredISO)
	}
	if len(p.Jurisdictions) > 0 {
		d.Strs("jurisdictions", p.Jurisdictions)
	}
	return d
}

// hasECSGeo reports whether p has a field with an ECS home.
func hasECSGeo(p *Endpoint) bool {
	return p.CountryISO != "" || p.Continent != "" || p.ASN != 0 || p.ASOrg != ""
}
