package console

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// Sources are where the console reads the sensor's state: the metrics
// endpoint's sources (nil fields are left out) and the sensor's name.
type Sources struct {
	metrics.Sources
	SensorName string
	// Started is when the sensor started (the rules' load time until the
	// first reload).
	Started time.Time
}

// CountryTraffic is what the console knows of one remote country.
type CountryTraffic struct {
	AlertsIn   uint64  `json:"alerts_in"`
	AlertsOut  uint64  `json:"alerts_out"`
	PacketsIn  uint64  `json:"packets_in"`
	PacketsOut uint64  `json:"packets_out"`
	BytesIn    uint64  `json:"bytes_in"`
	BytesOut   uint64  `json:"bytes_out"`
	PPSIn      float64 `json:"pps_in"`
	PPSOut     float64 `json:"pps_out"`
	BPSIn      float64 `json:"bps_in"` // bytes per second
	BPSOut     float64 `json:"bps_out"`
}

// Jurisdiction is a group or user zone the map can outline.
type Jurisdiction struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"` // group or zone
	Countries []string `json:"countries"`
}

// SourceHealth is one capture source.
type SourceHealth struct {
	Source  string `json:"source"`
	Frames  uint64 `json:"frames"`
	Bytes   uint64 `json:"bytes"`
	Dropped uint64 `json:"dropped"`
	Errors  uint64 `json:"errors"`
}

// KernelHealth is the kernel stage (XDP capture only).
type KernelHealth struct {
	Packets     uint64 `json:"packets"`
	Handoff     uint64 `json:"handoff"`
	RingbufFull uint64 `json:"ringbuf_full"`
	BudgetDrop  uint64 `json:"budget_drop"`
	Error       string `json:"error,omitempty"`
}

// OutputHealth is one alert output.
type OutputHealth struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Written       uint64 `json:"written"`
	QueueDepth    int    `json:"queue_depth"`
	QueueCapacity int    `json:"queue_capacity"`
	Errors        uint64 `json:"errors"`
	Dropped       uint64 `json:"dropped"`
	Up            bool   `json:"up"`
}

// Health is the sensor's health panel.
type Health struct {
	Capture    []SourceHealth `json:"capture"`
	QueueDrops uint64         `json:"queue_drops"`
	Kernel     *KernelHealth  `json:"kernel"`
	Outputs    []OutputHealth `json:"outputs"`
	Rules      struct {
		Loaded int       `json:"loaded"`
		Since  time.Time `json:"since"`
	} `json:"rules"`
	GeoIP struct {
		Database   string    `json:"database"`
		Built      time.Time `json:"built"`
		Loaded     time.Time `json:"loaded"`
		ASN        string    `json:"asn_database,omitempty"`
		ASNBuilt   time.Time `json:"asn_built,omitzero"`
		Attributed string    `json:"attribution,omitempty"`
	} `json:"geoip"`
	Console HubStats `json:"console"`
}

// Snapshot is /api/snapshot: the state of the sensor now.
type Snapshot struct {
	Time          time.Time                 `json:"time"`
	Sensor        string                    `json:"sensor"`
	Version       string                    `json:"version,omitempty"`
	Home          []string                  `json:"home"`
	Jurisdictions []Jurisdiction            `json:"jurisdictions"`
	TrafficSource string                    `json:"traffic_source"` // kernel, pipeline or none
	BytesKnown    bool                      `json:"bytes_known"`
	Countries     map[string]CountryTraffic `json:"countries"`
	AlertsTotal   uint64                    `json:"alerts_total"`
	AlertsByKind  map[string]uint64         `json:"alerts_by_kind"`
	Health        Health                    `json:"health"`
}

// counts are one sample of the per-country traffic counters.
type counts map[string][4]uint64 // packets in, packets out, bytes in, bytes out

// rater turns successive counter samples into rates: each snapshot's rates
// are over the last interval of at least a second.
type rater struct {
	mu    sync.Mutex
	prevT time.Time
	prev  counts
	rates map[string][4]float64
}

func (r *rater) update(now time.Time, cur counts) map[string][4]float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	dt := now.Sub(r.prevT).Seconds()
	if r.prev == nil {
		r.prevT, r.prev = now, cur
		return nil
	}
	if dt < 1 {
		return r.rates
	}
	rates := make(map[string][4]float64, len(cur))
	for cc, c := range cur {
		p := r.prev[cc]
		var v [4]float64
		for i := range c {
			if c[i] >= p[i] { // a counter that went back (restart) gives no rate
				v[i] = float64(c[i]-p[i]) / dt
			}
		}
		if v != ([4]float64{}) {
			rates[cc] = v
		}
	}
	r.prevT, r.prev, r.rates = now, cur, rates
	return rates
}

// traffic reads the per-country counters: the kernel's (XDP, with bytes)
// when there are some, else the pipeline's packets.
func (src *Sources) traffic(h *Health) (counts, string, bool) {
	cur := counts{}
	if src.Kernel != nil {
		k, err := src.Kernel()
		if err == nil {
			h.Kernel = &KernelHealth{Packets: k.Packets, Handoff: k.Events["handoff"], RingbufFull: k.Events["ringbuf_full"], BudgetDrop: k.Events["budget_drop"]}
			// A forwarded packet can be counted twice: at XDP ingress of
			// one interface and at TC egress of another (--egress). Per
			// country and direction the larger of the two hooks' sums is
			// the traffic: on one interface each direction has one hook.
			var hooks [2]counts
			for _, kc := range k.Countries {
				i := dirIndex(kc.Direction)
				if i < 0 {
					continue
				}
				h := hooks[0]
				if kc.Egress {
					h = hooks[1]
				}
				if h == nil {
					h = counts{}
					hooks[btoi(kc.Egress)] = h
				}
				cc := codeOf(kc.Country)
				v := h[cc]
				v[i] += kc.Packets
				v[i+2] += kc.Bytes
				h[cc] = v
			}
			for _, h := range hooks {
				for cc, v := range h {
					c := cur[cc]
					for i := range v {
						c[i] = max(c[i], v[i])
					}
					cur[cc] = c
				}
			}
			return cur, "kernel", true
		}
		h.Kernel = &KernelHealth{Error: err.Error()}
	}
	if src.Pipeline == nil {
		return cur, "none", false
	}
	return cur, "pipeline", false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func dirIndex(d geo.Direction) int {
	switch d {
	case geo.DirInbound:
		return 0
	case geo.DirOutbound:
		return 1
	}
	return -1
}

func codeOf(c geo.CountryID) string {
	if s := c.String(); s != "" {
		return s
	}
	return "??"
}

// snapshot assembles the state; hub gives the alert counts.
func (s *Server) snapshot(now time.Time) Snapshot {
	src := &s.src
	snap := Snapshot{Time: now.UTC(), Sensor: src.SensorName, Version: src.Build.Version, Countries: map[string]CountryTraffic{}}
	h := &snap.Health
	cur, from, bytes := src.traffic(h)
	if src.Pipeline != nil {
		ps := src.Pipeline()
		for _, ss := range ps.Sources {
			h.Capture = append(h.Capture, SourceHealth{Source: ss.Name, Frames: ss.Frames, Bytes: ss.Bytes, Dropped: ss.Dropped, Errors: ss.Errors})
		}
		h.QueueDrops = ps.QueueDrops
		h.Rules.Loaded = ps.RulesLoaded
		if from == "pipeline" {
			for _, d := range []geo.Direction{geo.DirInbound, geo.DirOutbound} {
				i := dirIndex(d)
				for id, n := range ps.Countries[d] {
					if n == 0 {
						continue
					}
					cc := codeOf(geo.CountryID(id))
					v := cur[cc]
					v[i] += n
					cur[cc] = v
				}
			}
		}
	}
	snap.TrafficSource, snap.BytesKnown = from, bytes
	rates := s.rates.update(now, cur)
	for cc, v := range cur {
		r := rates[cc]
		snap.Countries[cc] = CountryTraffic{PacketsIn: v[0], PacketsOut: v[1], BytesIn: v[2], BytesOut: v[3], PPSIn: r[0], PPSOut: r[1], BPSIn: r[2], BPSOut: r[3]}
	}
	ca, kinds := s.hub.alertCounts()
	for cc, a := range ca {
		t := snap.Countries[cc]
		t.AlertsIn, t.AlertsOut = a.In, a.Out
		snap.Countries[cc] = t
	}
	snap.AlertsByKind = kinds
	for _, n := range kinds {
		snap.AlertsTotal += n
	}
	if src.Rules != nil {
		if set := src.Rules(); set != nil {
			h.Rules.Loaded = len(set.Rules)
		}
	}
	h.Rules.Since = src.Started.UTC()
	if src.Reloads != nil {
		if t := src.Reloads.LastSuccess(); !t.IsZero() {
			h.Rules.Since = t.UTC()
		}
	}
	if src.Geo != nil {
		if t := src.Geo.Load(); t != nil {
			g := &h.GeoIP
			g.Database, g.Built, g.Loaded = t.Source().Name, t.Source().BuildTime.UTC(), t.Stats().BuiltAt.UTC()
			if a := t.ASNSource(); a.Name != "" {
				g.ASN, g.ASNBuilt = a.Name, a.BuildTime.UTC()
			}
			if g.Database == geo.EmbeddedName {
				g.Attributed = geo.Attribution
			}
			snap.Home, snap.Jurisdictions = jurisdictions(t.Zones())
		}
	}
	if src.Sinks != nil {
		for _, o := range src.Sinks() {
			h.Outputs = append(h.Outputs, OutputHealth{Name: o.Name, Type: o.Type, Written: o.Written, QueueDepth: o.QueueDepth,
				QueueCapacity: o.QueueCap, Errors: o.Errors, Dropped: o.Dropped.Total(), Up: o.Connected})
		}
	}
	h.Console = s.hub.Stats()
	if snap.Home == nil {
		snap.Home = []string{}
	}
	return snap
}

// jurisdictions are the home countries and the outlines the map offers:
// the built-in groups (EU and FVEY first) and the user's zones, as the
// countries their terms name (CIDR and AS terms have no outline).
func jurisdictions(z *geo.Zones) ([]string, []Jurisdiction) {
	var cfg geo.Config
	if z != nil {
		cfg = z.Config()
	}
	zones := map[string][]string{}
	for _, zs := range cfg.Zones {
		zones[strings.ToLower(zs.Name)] = zs.Terms
	}
	home := expandTerms(cfg.Home, zones, 0)
	var out []Jurisdiction
	groups := geo.GroupNames()
	slices.SortStableFunc(groups, func(a, b string) int { return groupRank(a) - groupRank(b) })
	for _, g := range groups {
		out = append(out, Jurisdiction{Name: g, Kind: "group", Countries: geo.GroupMembers(g)})
	}
	for _, zs := range cfg.Zones {
		out = append(out, Jurisdiction{Name: zs.Name, Kind: "zone", Countries: expandTerms(zs.Terms, zones, 0)})
	}
	return home, out
}

func groupRank(g string) int {
	switch g {
	case "EU":
		return 0
	case "FVEY":
		return 1
	}
	return 2
}

// expandTerms returns the countries of zone terms: codes, groups and
// zones (depth-bounded; geo already refused cycles), minus "!" terms.
func expandTerms(terms []string, zones map[string][]string, depth int) []string {
	in, out := map[string]bool{}, map[string]bool{}
	for _, t := range terms {
		set := in
		if strings.HasPrefix(t, "!") {
			set, t = out, t[1:]
		}
		var cs []string
		t = strings.TrimSpace(t)
		switch { // zone and group names come before country codes, as in geo
		case zones[strings.ToLower(t)] != nil:
			if depth < 8 {
				cs = expandTerms(zones[strings.ToLower(t)], zones, depth+1)
			}
		case geo.GroupMembers(t) != nil:
			cs = geo.GroupMembers(t)
		case len(t) == 2 && countryCode(strings.ToUpper(t)) != "":
			cs = []string{strings.ToUpper(t)}
		}
		for _, c := range cs {
			set[c] = true
		}
	}
	res := []string{}
	for c := range in {
		if !out[c] {
			res = append(res, c)
		}
	}
	slices.Sort(res)
	return res
}
