package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record is what a line of an alert file says, in either layout
// (docs/alerts.md). It is the one reader of alert lines: `borderwatch tail`
// (sensor/alert/tail) prints and filters it, `borderwatch share` (share)
// builds sightings from it. Strings are as the line has them, unchecked:
// a caller that passes one on checks it.
type Record struct {
	// Layout is "eve" or "ecs".
	Layout string
	// Time is the alert's time in UTC; zero when the line has none.
	Time time.Time
	// Start and End are the episode's first and last packet (EVE
	// flow.start/end, ECS event.start/end) in UTC; zero when absent.
	Start, End time.Time
	// Kind is the detector kind (EVE alert.metadata.kind[0], ECS
	// event.action).
	Kind      string
	SID       uint64
	Severity  int // 1 (highest) … 4; 0 when absent
	Signature string
	// Techniques are the MITRE ATT&CK technique ids.
	Techniques []string
	// Action is "allowed" or "blocked".
	Action    string
	Proto     string // EVE's keyword: TCP, UDP, ICMP, IPv6-ICMP, …
	SrcIP     string
	DestIP    string
	SrcPort   int
	DestPort  int
	ICMPType  int
	HasICMP   bool
	Direction string // jurisdiction direction: inbound, outbound, internal, transit
	// SrcCountry and DestCountry are ISO 3166-1 alpha-2 codes ("" when
	// unknown); the Registered ones are the registered countries.
	SrcCountry, DestCountry       string
	SrcRegistered, DestRegistered string
	SrcContinent, DestContinent   string
	SrcASN, DestASN               uint32
	SrcASOrg, DestASOrg           string
	SrcJur                        []string
	DestJur                       []string
	Ports                         int64 // distinct ports (scans)
	Hosts                         int64 // distinct hosts (sweeps)
	Sources                       int64 // distinct sources (floods, reflection)
	Packets                       uint64
	Bytes                         uint64
	// Host is the sensor's name (EVE host, ECS observer.hostname).
	Host string
}

// ErrNotAlert is returned by ParseRecord for a JSON record that is not an
// alert (an EVE record of another event_type, an ECS event whose kind is not
// alert).
var ErrNotAlert = errors.New("not an alert record")

// NotJSONError is returned by ParseRecord for a line that is not a JSON
// object.
type NotJSONError struct{ Reason string }

func (e *NotJSONError) Error() string { return "not JSON: " + e.Reason }

// FieldTypeError is returned by ParseRecord for a JSON object with a field
// of the wrong type. Layout is "eve", "ecs" or "" (unknown).
type FieldTypeError struct{ Layout, Reason string }

func (e *FieldTypeError) Error() string { return e.Reason }

// TimeError is returned by ParseRecord for a time field that its layout
// cannot read.
type TimeError struct{ Layout, Field string }

func (e *TimeError) Error() string {
	if e.Layout == "ecs" {
		return e.Field + ": not an RFC 3339 time"
	}
	return e.Field + ": not an EVE time"
}

// EVETimeLayout is EVE's timestamp layout as it is read (any fraction).
const EVETimeLayout = "2006-01-02T15:04:05.999999-0700"

// recordStats is EVE alert.context.stats and ECS borderwatch.stats.
type recordStats struct {
	DistinctPorts   int64 `json:"distinct_ports"`
	DistinctHosts   int64 `json:"distinct_hosts"`
	DistinctSources int64 `json:"distinct_sources"`
}

// eveGeoEnd is one end of EVE alert.context.geo.
type eveGeoEnd struct {
	Country       string   `json:"country_iso_code"`
	Registered    string   `json:"registered_country_iso_code"`
	Continent     string   `json:"continent_code"`
	ASN           uint32   `json:"as_number"`
	ASOrg         string   `json:"as_org"`
	Jurisdictions []string `json:"jurisdictions"`
}

// ecsEnd is ECS source or destination.
type ecsEnd struct {
	IP   string `json:"ip"`
	Port int    `json:"port"`
	Geo  struct {
		Country   string `json:"country_iso_code"`
		Continent string `json:"continent_code"`
	} `json:"geo"`
	AS struct {
		Number       uint32 `json:"number"`
		Organization struct {
			Name string `json:"name"`
		} `json:"organization"`
	} `json:"as"`
}

// ecsBWEnd is ECS borderwatch.source or borderwatch.destination.
type ecsBWEnd struct {
	Registered    string   `json:"registered_country_iso_code"`
	Jurisdictions []string `json:"jurisdictions"`
}

// recordWire holds the fields of both layouts: their top-level keys do not
// overlap, so one decode reads either.
type recordWire struct {
	// EVE
	Timestamp string `json:"timestamp"`
	EventType string `json:"event_type"`
	Host      string `json:"host"`
	SrcIP     string `json:"src_ip"`
	SrcPort   int    `json:"src_port"`
	DestIP    string `json:"dest_ip"`
	DestPort  int    `json:"dest_port"`
	Proto     string `json:"proto"`
	ICMPType  *int   `json:"icmp_type"`
	Alert     struct {
		Action      string `json:"action"`
		SignatureID uint32 `json:"signature_id"`
		Signature   string `json:"signature"`
		Severity    int    `json:"severity"`
		Metadata    struct {
			Kind         []string `json:"kind"`
			Techniques   []string `json:"mitre_technique_id"`
			GeoDirection []string `json:"geo_direction"`
			SrcCountry   []string `json:"src_country"`
			DestCountry  []string `json:"dest_country"`
			SrcJur       []string `json:"src_jurisdictions"`
			DestJur      []string `json:"dest_jurisdictions"`
		} `json:"metadata"`
		Context struct {
			Geo struct {
				Direction string    `json:"direction"`
				Src       eveGeoEnd `json:"src"`
				Dest      eveGeoEnd `json:"dest"`
			} `json:"geo"`
			Stats recordStats `json:"stats"`
		} `json:"context"`
	} `json:"alert"`
	Flow struct {
		PktsToServer  uint64 `json:"pkts_toserver"`
		PktsToClient  uint64 `json:"pkts_toclient"`
		BytesToServer uint64 `json:"bytes_toserver"`
		BytesToClient uint64 `json:"bytes_toclient"`
		Start         string `json:"start"`
		End           string `json:"end"`
	} `json:"flow"`

	// ECS
	At    string          `json:"@timestamp"`
	ECS   json.RawMessage `json:"ecs"`
	Event struct {
		Kind     string `json:"kind"`
		Action   string `json:"action"`
		Severity int    `json:"severity"`
		Start    string `json:"start"`
		End      string `json:"end"`
	} `json:"event"`
	Rule struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rule"`
	Source      ecsEnd `json:"source"`
	Destination ecsEnd `json:"destination"`
	Network     struct {
		Transport  string `json:"transport"`
		IANANumber string `json:"iana_number"`
		Packets    uint64 `json:"packets"`
		Bytes      uint64 `json:"bytes"`
	} `json:"network"`
	Observer struct {
		Hostname string `json:"hostname"`
	} `json:"observer"`
	Threat struct {
		Technique struct {
			ID []string `json:"id"`
		} `json:"technique"`
	} `json:"threat"`
	Borderwatch struct {
		GeoDirection string `json:"geo_direction"`
		Action       string `json:"action"`
		ICMP         *struct {
			Type int `json:"type"`
		} `json:"icmp"`
		Source      ecsBWEnd    `json:"source"`
		Destination ecsBWEnd    `json:"destination"`
		Stats       recordStats `json:"stats"`
	} `json:"borderwatch"`
}

// ParseRecord reads one line (without surrounding space) into r. It
// returns a *NotJSONError for a line that is not a JSON object,
// ErrNotAlert for a record of either layout that is not an alert, a
// *FieldTypeError for a field of the wrong type, a *TimeError for a time
// it cannot read, and an error naming the field for another value it
// cannot read. A missing time is not an error: it stays zero. Errors never
// quote the line.
func ParseRecord(line []byte, r *Record) error {
	if len(line) == 0 || line[0] != '{' {
		return &NotJSONError{Reason: "not a JSON object"}
	}
	var w recordWire
	if err := json.Unmarshal(line, &w); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || !json.Valid(line) {
			return &NotJSONError{Reason: JSONReason(err)}
		}
		// The decode goes on past a field of the wrong type: what the
		// line is, is known.
		layout := w.layout()
		if layout == "eve" && w.EventType != "alert" || layout == "ecs" && w.Event.Kind != "alert" {
			return ErrNotAlert
		}
		return &FieldTypeError{Layout: layout, Reason: JSONReason(err)}
	}
	switch w.layout() {
	case "eve":
		if w.EventType != "alert" {
			return ErrNotAlert
		}
		return w.eve(r)
	case "ecs":
		if w.Event.Kind != "alert" {
			return ErrNotAlert
		}
		return w.ecs(r)
	}
	return errors.New("neither an EVE record (event_type) nor an ECS record (ecs.version)")
}

func (w *recordWire) layout() string {
	switch {
	case w.EventType != "":
		return "eve"
	case len(w.ECS) > 0:
		return "ecs"
	}
	return ""
}

// parseTimes reads the layout's time fields into ts; "" stays zero.
func parseTimes(layout, timeLayout string, fields [3]string, values [3]string, ts [3]*time.Time) error {
	for i, v := range values {
		if v == "" {
			continue
		}
		t, err := time.Parse(timeLayout, v)
		if err != nil {
			return &TimeError{Layout: layout, Field: fields[i]}
		}
		*ts[i] = t.UTC()
	}
	return nil
}

func (w *recordWire) eve(r *Record) error {
	a := &w.Alert
	g := &a.Context.Geo
	md := &a.Metadata
	*r = Record{
		Layout: "eve", Kind: first(md.Kind), SID: uint64(a.SignatureID), Severity: a.Severity,
		Signature: a.Signature, Techniques: md.Techniques, Action: a.Action, Proto: w.Proto,
		SrcIP: w.SrcIP, DestIP: w.DestIP, SrcPort: w.SrcPort, DestPort: w.DestPort,
		Direction:  or(g.Direction, first(md.GeoDirection)),
		SrcCountry: or(g.Src.Country, first(md.SrcCountry)), DestCountry: or(g.Dest.Country, first(md.DestCountry)),
		SrcRegistered: g.Src.Registered, DestRegistered: g.Dest.Registered,
		SrcContinent: g.Src.Continent, DestContinent: g.Dest.Continent,
		SrcASN: g.Src.ASN, DestASN: g.Dest.ASN, SrcASOrg: g.Src.ASOrg, DestASOrg: g.Dest.ASOrg,
		SrcJur: orList(g.Src.Jurisdictions, md.SrcJur), DestJur: orList(g.Dest.Jurisdictions, md.DestJur),
		Ports: a.Context.Stats.DistinctPorts, Hosts: a.Context.Stats.DistinctHosts, Sources: a.Context.Stats.DistinctSources,
		Packets: w.Flow.PktsToServer + w.Flow.PktsToClient, Bytes: w.Flow.BytesToServer + w.Flow.BytesToClient,
		Host: w.Host,
	}
	if w.ICMPType != nil {
		r.ICMPType, r.HasICMP = *w.ICMPType, true
	}
	return parseTimes("eve", EVETimeLayout, [3]string{"timestamp", "flow.start", "flow.end"},
		[3]string{w.Timestamp, w.Flow.Start, w.Flow.End}, [3]*time.Time{&r.Time, &r.Start, &r.End})
}

// ecsProto maps network.transport back to EVE's keyword for the common
// protocols.
var ecsProto = map[string]string{"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "ipv6-icmp": "IPv6-ICMP", "sctp": "SCTP", "udplite": "UDPLite"}

func (w *recordWire) ecs(r *Record) error {
	bw := &w.Borderwatch
	proto := ecsProto[w.Network.Transport]
	if proto == "" {
		proto = or(strings.ToUpper(w.Network.Transport), w.Network.IANANumber)
	}
	src, dst := &w.Source, &w.Destination
	*r = Record{
		Layout: "ecs", Kind: w.Event.Action, Severity: w.Event.Severity,
		Signature: w.Rule.Name, Techniques: w.Threat.Technique.ID, Action: bw.Action, Proto: proto,
		SrcIP: src.IP, DestIP: dst.IP, SrcPort: src.Port, DestPort: dst.Port,
		Direction:  bw.GeoDirection,
		SrcCountry: src.Geo.Country, DestCountry: dst.Geo.Country,
		SrcRegistered: bw.Source.Registered, DestRegistered: bw.Destination.Registered,
		SrcContinent: src.Geo.Continent, DestContinent: dst.Geo.Continent,
		SrcASN: src.AS.Number, DestASN: dst.AS.Number, SrcASOrg: src.AS.Organization.Name, DestASOrg: dst.AS.Organization.Name,
		SrcJur: bw.Source.Jurisdictions, DestJur: bw.Destination.Jurisdictions,
		Ports: bw.Stats.DistinctPorts, Hosts: bw.Stats.DistinctHosts, Sources: bw.Stats.DistinctSources,
		Packets: w.Network.Packets, Bytes: w.Network.Bytes,
		Host: w.Observer.Hostname,
	}
	if bw.ICMP != nil {
		r.ICMPType, r.HasICMP = bw.ICMP.Type, true
	}
	if err := parseTimes("ecs", time.RFC3339Nano, [3]string{"@timestamp", "event.start", "event.end"},
		[3]string{w.At, w.Event.Start, w.Event.End}, [3]*time.Time{&r.Time, &r.Start, &r.End}); err != nil {
		return err
	}
	if w.Rule.ID != "" {
		sid, err := strconv.ParseUint(w.Rule.ID, 10, 32)
		if err != nil {
			return errors.New("rule.id: not a rule number")
		}
		r.SID = sid
	}
	return nil
}

// JSONReason is a JSON error without the input it may quote.
func JSONReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		kind, _, _ := strings.Cut(te.Value, " ") // "number 1e999": not the literal
		return fmt.Sprintf("field %s: %s where %s was expected", te.Field, kind, te.Type)
	}
	return "invalid JSON"
}

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orList(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}
