package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/replay"
)

// Expect is one expected alert shape. Zero fields are not checked. Count is
// how many alerts must match (default 1).
type Expect struct {
	Kind          string `json:"kind,omitempty"`
	SignatureID   uint32 `json:"signature_id,omitempty"`
	SrcIP         string `json:"src_ip,omitempty"`
	DestIP        string `json:"dest_ip,omitempty"`
	SrcPort       uint16 `json:"src_port,omitempty"`
	DestPort      uint16 `json:"dest_port,omitempty"`
	Proto         string `json:"proto,omitempty"`
	SrcCountry    string `json:"src_country,omitempty"`
	DestCountry   string `json:"dest_country,omitempty"`
	GeoDirection  string `json:"geo_direction,omitempty"`
	Action        string `json:"action,omitempty"`
	Packets       uint64 `json:"packets,omitempty"`
	DistinctPorts uint32 `json:"distinct_ports,omitempty"`
	DistinctHosts uint32 `json:"distinct_hosts,omitempty"`
	// MinDistinctSources checks alert stats.distinct_sources ≥ the value
	// (distinct sources may be estimated).
	MinDistinctSources uint32 `json:"min_distinct_sources,omitempty"`
	Count              int    `json:"count,omitempty"`
}

// File is an expectations file: {"alerts": [...]}. An empty list expects no
// alert at all.
type File struct {
	Alerts []Expect `json:"alerts"`
}

// MaxFileSize is the largest expectations file Load reads.
const MaxFileSize = 16 << 20

// Load reads an expectations file strictly: unknown fields are errors. Only
// a regular file of at most MaxFileSize bytes is read.
func Load(path string) (*File, error) {
	b, err := boundedfile.Read(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("reading expectations: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Alerts == nil {
		return nil, fmt.Errorf(`%s: no "alerts" list (use [] to expect none)`, path)
	}
	for i := range f.Alerts {
		if f.Alerts[i].Count == 0 {
			f.Alerts[i].Count = 1
		}
		if f.Alerts[i].Count < 0 {
			return nil, fmt.Errorf("%s: alert %d: count must be positive", path, i+1)
		}
	}
	return &f, nil
}

// Matches reports whether a has every field e sets.
func (e *Expect) Matches(a *alert.Alert) bool {
	return (e.Kind == "" || e.Kind == a.Kind) &&
		(e.SignatureID == 0 || e.SignatureID == a.SignatureID) &&
		(e.SrcIP == "" || e.SrcIP == a.SrcIP.String()) &&
		(e.DestIP == "" || e.DestIP == a.DstIP.String()) &&
		(e.SrcPort == 0 || e.SrcPort == a.SrcPort) &&
		(e.DestPort == 0 || e.DestPort == a.DstPort) &&
		(e.Proto == "" || strings.EqualFold(e.Proto, alert.ProtoName(a.Proto))) &&
		(e.SrcCountry == "" || e.SrcCountry == a.Src.CountryISO) &&
		(e.DestCountry == "" || e.DestCountry == a.Dst.CountryISO) &&
		(e.GeoDirection == "" || e.GeoDirection == a.GeoDir) &&
		(e.Action == "" || e.Action == a.Action) &&
		(e.Packets == 0 || e.Packets == a.Stats.Packets) &&
		(e.DistinctPorts == 0 || e.DistinctPorts == a.Stats.DistinctPorts) &&
		(e.DistinctHosts == 0 || e.DistinctHosts == a.Stats.DistinctHosts) &&
		(e.MinDistinctSources == 0 || a.Stats.DistinctSources >= e.MinDistinctSources)
}

// Result is the outcome of a comparison.
type Result struct {
	// Missing lists expectations with fewer matching alerts than Count.
	Missing []Shortfall
	// Extra lists expectations with more matching alerts than Count.
	Extra []Shortfall
	// Unexpected lists alerts no expectation matches.
	Unexpected []*alert.Alert
}

// Shortfall is an expectation and how many alerts matched it.
type Shortfall struct {
	Expect Expect
	Got    int
}

// OK reports whether the alerts were exactly as expected.
func (r *Result) OK() bool {
	return len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Unexpected) == 0
}

// Compare matches alerts against expectations. Each alert is assigned to the
// first expectation it matches.
func Compare(f *File, alerts []*alert.Alert) *Result {
	got := make([]int, len(f.Alerts))
	r := &Result{}
	for _, a := range alerts {
		i := slices.IndexFunc(f.Alerts, func(e Expect) bool { return e.Matches(a) })
		if i < 0 {
			r.Unexpected = append(r.Unexpected, a)
			continue
		}
		got[i]++
	}
	for i, e := range f.Alerts {
		switch {
		case got[i] < e.Count:
			r.Missing = append(r.Missing, Shortfall{e, got[i]})
		case got[i] > e.Count:
			r.Extra = append(r.Extra, Shortfall{e, got[i]})
		}
	}
	return r
}

// String renders the differences for a rule author: one line per problem,
// "-" for what was expected and not seen, "+" for what was seen and not
// expected.
func (r *Result) String() string {
	var b strings.Builder
	for _, s := range r.Missing {
		fmt.Fprintf(&b, "- expected %d, got %d: %s\n", s.Expect.Count, s.Got, s.Expect.describe())
	}
	for _, s := range r.Extra {
		fmt.Fprintf(&b, "+ expected %d, got %d: %s\n", s.Expect.Count, s.Got, s.Expect.describe())
	}
	for _, a := range r.Unexpected {
		fmt.Fprintf(&b, "+ unexpected: %s\n", Describe(a))
	}
	return b.String()
}

func (e *Expect) describe() string {
	var parts []string
	add := func(k, v string) {
		if v != "" && v != "0" {
			parts = append(parts, k+"="+v)
		}
	}
	add("kind", e.Kind)
	add("sid", fmt.Sprint(e.SignatureID))
	add("src", e.SrcIP)
	add("dest", e.DestIP)
	add("src_port", fmt.Sprint(e.SrcPort))
	add("dest_port", fmt.Sprint(e.DestPort))
	add("proto", e.Proto)
	add("src_country", e.SrcCountry)
	add("dest_country", e.DestCountry)
	add("geo_direction", e.GeoDirection)
	add("action", e.Action)
	add("packets", fmt.Sprint(e.Packets))
	add("distinct_ports", fmt.Sprint(e.DistinctPorts))
	add("distinct_hosts", fmt.Sprint(e.DistinctHosts))
	add("min_distinct_sources", fmt.Sprint(e.MinDistinctSources))
	if len(parts) == 0 {
		return "any alert"
	}
	return strings.Join(parts, " ")
}

// Describe renders an alert's identifying fields in the expectations' terms:
// every field an Expect can check.
func Describe(a *alert.Alert) string {
	return fmt.Sprintf("kind=%s sid=%d src=%s dest=%s src_port=%d dest_port=%d proto=%s src_country=%s dest_country=%s geo_direction=%s action=%s packets=%d distinct_ports=%d distinct_hosts=%d distinct_sources=%d",
		a.Kind, a.SignatureID, a.SrcIP, a.DstIP, a.SrcPort, a.DstPort, alert.ProtoName(a.Proto), a.Src.CountryISO, a.Dst.CountryISO,
		a.GeoDir, a.Action, a.Stats.Packets, a.Stats.DistinctPorts, a.Stats.DistinctHosts, a.Stats.DistinctSources)
}

// Replay replays the captures of o (its Sink is replaced by a collector)
// and compares their alerts with f; n is how many alerts there were.
func Replay(ctx context.Context, f *File, o replay.Options) (res *Result, n int, err error) {
	var got []*alert.Alert
	var mu sync.Mutex
	o.Sink = pipeline.SinkFunc(func(a *alert.Alert) error {
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
		return nil
	})
	if _, err := replay.Run(ctx, o); err != nil {
		return nil, 0, err
	}
	return Compare(f, got), len(got), nil
}
