package tail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record is what a line of an alert file says, in either layout
// (docs/alerts.md): the fields the formatter prints and the filters test.
type Record struct {
	// Layout is "eve" or "ecs".
	Layout string
	Time   time.Time
	// Kind is the detector kind (EVE alert.metadata.kind[0], ECS
	// event.action).
	Kind      string
	SID       uint64
	Severity  int // 1 (highest) … 4; 0 when absent
	Signature string
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
	// unknown).
	SrcCountry  string
	DestCountry string
	SrcJur      []string
	DestJur     []string
	Ports       int64 // distinct ports (scans)
	Hosts       int64 // distinct hosts (sweeps)
	Sources     int64 // distinct sources (floods, reflection)
	Packets     uint64
	Bytes       uint64
}

// ErrNotAlert is returned by Parse for a JSON record that is not an alert
// (an EVE record of another event_type, an ECS event whose kind is not
// alert).
var ErrNotAlert = errors.New("not an alert record")

// NotJSONError is returned by Parse for a line that is not a JSON object.
type NotJSONError struct{ Reason string }

func (e *NotJSONError) Error() string { return "not JSON: " + e.Reason }

// eveTime is EVE's timestamp layout.
const eveTime = "2006-01-02T15:04:05.999999-0700"

// stats is EVE alert.context.stats and ECS borderwatch.stats.
type stats struct {
	DistinctPorts   int64 `json:"distinct_ports"`
	DistinctHosts   int64 `json:"distinct_hosts"`
	DistinctSources int64 `json:"distinct_sources"`
}

// ecsEnd is ECS source or destination.
type ecsEnd struct {
	IP   string `json:"ip"`
	Port int    `json:"port"`
	Geo  struct {
		Country string `json:"country_iso_code"`
	} `json:"geo"`
}

// wire holds the fields of both layouts: their top-level keys do not
// overlap, so one decode reads either.
type wire struct {
	// EVE
	Timestamp string `json:"timestamp"`
	EventType string `json:"event_type"`
	SrcIP     string `json:"src_ip"`
	SrcPort   int    `json:"src_port"`
	DestIP    string `json:"dest_ip"`
	DestPort  int    `json:"dest_port"`
	Proto     string `json:"proto"`
	ICMPType  *int   `json:"icmp_type"`
	Alert     struct {
		Action      string `json:"action"`
		SignatureID uint64 `json:"signature_id"`
		Signature   string `json:"signature"`
		Severity    int    `json:"severity"`
		Metadata    struct {
			Kind         []string `json:"kind"`
			GeoDirection []string `json:"geo_direction"`
			SrcCountry   []string `json:"src_country"`
			DestCountry  []string `json:"dest_country"`
			SrcJur       []string `json:"src_jurisdictions"`
			DestJur      []string `json:"dest_jurisdictions"`
		} `json:"metadata"`
		Context struct {
			Geo struct {
				Direction string `json:"direction"`
				Src       struct {
					Country       string   `json:"country_iso_code"`
					Jurisdictions []string `json:"jurisdictions"`
				} `json:"src"`
				Dest struct {
					Country       string   `json:"country_iso_code"`
					Jurisdictions []string `json:"jurisdictions"`
				} `json:"dest"`
			} `json:"geo"`
			Stats stats `json:"stats"`
		} `json:"context"`
	} `json:"alert"`
	Flow struct {
		PktsToServer  uint64 `json:"pkts_toserver"`
		PktsToClient  uint64 `json:"pkts_toclient"`
		BytesToServer uint64 `json:"bytes_toserver"`
		BytesToClient uint64 `json:"bytes_toclient"`
	} `json:"flow"`

	// ECS
	At  string `json:"@timestamp"`
	ECS *struct {
		Version string `json:"version"`
	} `json:"ecs"`
	Event struct {
		Kind     string `json:"kind"`
		Action   string `json:"action"`
		Severity int    `json:"severity"`
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
	Borderwatch struct {
		GeoDirection string `json:"geo_direction"`
		Action       string `json:"action"`
		ICMP         *struct {
			Type int `json:"type"`
		} `json:"icmp"`
		Source struct {
			Jurisdictions []string `json:"jurisdictions"`
		} `json:"source"`
		Destination struct {
			Jurisdictions []string `json:"jurisdictions"`
		} `json:"destination"`
		Stats stats `json:"stats"`
	} `json:"borderwatch"`
}

// Parse reads one line (without surrounding space) into r. It returns a
// *NotJSONError for a line that is not a JSON object, ErrNotAlert for a
// record of either layout that is not an alert, and an error naming the
// field for an alert it cannot read. Errors never quote the line.
func Parse(line []byte, r *Record) error {
	if len(line) == 0 || line[0] != '{' {
		return &NotJSONError{Reason: "not a JSON object"}
	}
	var w wire
	if err := json.Unmarshal(line, &w); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || !json.Valid(line) {
			return &NotJSONError{Reason: jsonReason(err)}
		}
		return errors.New(jsonReason(err))
	}
	switch {
	case w.EventType != "":
		if w.EventType != "alert" {
			return ErrNotAlert
		}
		return w.eve(r)
	case w.ECS != nil:
		if w.Event.Kind != "alert" {
			return ErrNotAlert
		}
		return w.ecs(r)
	}
	return errors.New("neither an EVE record (event_type) nor an ECS record (ecs.version)")
}

func (w *wire) eve(r *Record) error {
	t, err := time.Parse(eveTime, w.Timestamp)
	if err != nil {
		return errors.New("timestamp: not an EVE time")
	}
	a := &w.Alert
	g := &a.Context.Geo
	md := &a.Metadata
	*r = Record{
		Layout: "eve", Time: t, Kind: first(md.Kind), SID: a.SignatureID, Severity: a.Severity,
		Signature: a.Signature, Action: a.Action, Proto: w.Proto,
		SrcIP: w.SrcIP, DestIP: w.DestIP, SrcPort: w.SrcPort, DestPort: w.DestPort,
		Direction:  or(g.Direction, first(md.GeoDirection)),
		SrcCountry: or(g.Src.Country, first(md.SrcCountry)), DestCountry: or(g.Dest.Country, first(md.DestCountry)),
		SrcJur: orList(g.Src.Jurisdictions, md.SrcJur), DestJur: orList(g.Dest.Jurisdictions, md.DestJur),
		Ports: a.Context.Stats.DistinctPorts, Hosts: a.Context.Stats.DistinctHosts, Sources: a.Context.Stats.DistinctSources,
		Packets: w.Flow.PktsToServer + w.Flow.PktsToClient, Bytes: w.Flow.BytesToServer + w.Flow.BytesToClient,
	}
	if w.ICMPType != nil {
		r.ICMPType, r.HasICMP = *w.ICMPType, true
	}
	return nil
}

// ecsProto maps network.transport back to EVE's keyword for the common
// protocols.
var ecsProto = map[string]string{"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "ipv6-icmp": "IPv6-ICMP", "sctp": "SCTP", "udplite": "UDPLite"}

func (w *wire) ecs(r *Record) error {
	t, err := time.Parse(time.RFC3339Nano, w.At)
	if err != nil {
		return errors.New("@timestamp: not an RFC 3339 time")
	}
	var sid uint64
	if w.Rule.ID != "" {
		if sid, err = strconv.ParseUint(w.Rule.ID, 10, 32); err != nil {
			return errors.New("rule.id: not a rule number")
		}
	}
	bw := &w.Borderwatch
	proto := ecsProto[w.Network.Transport]
	if proto == "" {
		proto = or(strings.ToUpper(w.Network.Transport), w.Network.IANANumber)
	}
	*r = Record{
		Layout: "ecs", Time: t, Kind: w.Event.Action, SID: sid, Severity: w.Event.Severity,
		Signature: w.Rule.Name, Action: bw.Action, Proto: proto,
		SrcIP: w.Source.IP, DestIP: w.Destination.IP, SrcPort: w.Source.Port, DestPort: w.Destination.Port,
		Direction:  bw.GeoDirection,
		SrcCountry: w.Source.Geo.Country, DestCountry: w.Destination.Geo.Country,
		SrcJur: bw.Source.Jurisdictions, DestJur: bw.Destination.Jurisdictions,
		Ports: bw.Stats.DistinctPorts, Hosts: bw.Stats.DistinctHosts, Sources: bw.Stats.DistinctSources,
		Packets: w.Network.Packets, Bytes: w.Network.Bytes,
	}
	if bw.ICMP != nil {
		r.ICMPType, r.HasICMP = bw.ICMP.Type, true
	}
	return nil
}

// jsonReason is a JSON error without the input it may quote.
func jsonReason(err error) string {
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
