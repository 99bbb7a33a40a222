package console

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

//go:embed assets/report.css
var reportCSS string

// Bounds of a report.
const (
	// DefaultReportRows is how many alerts the report lists one by one;
	// the others are only in the aggregated table.
	DefaultReportRows = 2000
	// maxGroups bounds the aggregated table; alerts of further groups
	// are summed in one "other" row.
	maxGroups = 5000
	// maxPoints bounds the timeline's memory (16 bytes an alert); later
	// alerts are counted and left out of the timeline.
	maxPoints = 1 << 20
	// timelineBars is the number of bars of each timeline.
	timelineBars = 60
	// timelineSeries is how many kinds (or countries) the timeline
	// draws; the rest are stacked as "other".
	timelineSeries = 7
	// maxTrafficRows bounds the per-country traffic table.
	maxTrafficRows = 100
)

// Report collects a replay's alerts for the HTML report: the first
// MaxRows one by one, every alert aggregated by kind, rule, countries and
// direction, and a timeline. Memory is bounded whatever the capture.
type Report struct {
	MaxRows int

	mu         sync.Mutex
	rows       []reportRow
	left       uint64 // alerts beyond MaxRows
	groups     map[groupKey]*Group
	groupOrder []groupKey
	other      Group
	points     []point
	pointsLeft uint64
	countries  map[string]*CountryAlerts
	kinds      map[string]uint64
	kindIdx    map[string]uint16 // timeline index of each kind
	kindNames  []string
	total      uint64
}

type reportRow struct {
	Time                   time.Time
	Kind, Signature        string
	SignatureID            uint32
	Severity               int
	Src, Dst               string // address and port
	SrcCountry, DstCountry string
	Direction              string
	Packets                uint64
	CommunityID            string
}

type groupKey struct {
	kind     string
	sig      uint32
	src, dst string
	dir      string
}

// Group is one row of the aggregated table.
type Group struct {
	Kind, Signature        string
	SignatureID            uint32
	SrcCountry, DstCountry string
	Direction              string
	Alerts                 uint64
	First, Last            time.Time
}

type point struct {
	ts      int64
	kind    uint16 // index into kinds seen, in order
	country uint16 // geo.CountryID of the remote end (0 unknown)
}

// NewReport returns a collector listing at most maxRows alerts (0: the
// default).
func NewReport(maxRows int) *Report {
	if maxRows <= 0 {
		maxRows = DefaultReportRows
	}
	return &Report{MaxRows: maxRows, groups: map[groupKey]*Group{}, countries: map[string]*CountryAlerts{}, kinds: map[string]uint64{},
		kindIdx: map[string]uint16{}}
}

// Wrap returns a sink that records each alert, then passes it to next
// (nil: record only).
func (r *Report) Wrap(next pipeline.Sink) pipeline.Sink {
	return pipeline.SinkFunc(func(a *alert.Alert) error {
		r.Add(a)
		if next == nil {
			return nil
		}
		return next.Write(a)
	})
}

func hostPort(ip netip.Addr, port uint16, proto uint8) string {
	if !ip.IsValid() {
		return ""
	}
	if port == 0 || proto == 1 || proto == 58 {
		return ip.String()
	}
	return netip.AddrPortFrom(ip, port).String()
}

// Add records one alert.
func (r *Report) Add(a *alert.Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	src, dst := countryCode(a.Src.CountryISO), countryCode(a.Dst.CountryISO)
	if len(r.kinds) < 64 || r.kinds[a.Kind] > 0 {
		r.kinds[a.Kind]++
	}
	remote := ""
	switch a.GeoDir {
	case "inbound":
		r.country(src).In++
		remote = src
	case "outbound":
		r.country(dst).Out++
		remote = dst
	}
	ts := time.Unix(0, a.Timestamp).UTC()
	if len(r.rows) < r.MaxRows {
		r.rows = append(r.rows, reportRow{Time: ts, Kind: a.Kind, Signature: a.Signature, SignatureID: a.SignatureID, Severity: a.Severity,
			Src: hostPort(a.SrcIP, a.SrcPort, a.Proto), Dst: hostPort(a.DstIP, a.DstPort, a.Proto), SrcCountry: src, DstCountry: dst,
			Direction: a.GeoDir, Packets: a.Stats.Packets, CommunityID: a.CommunityID})
	} else {
		r.left++
	}
	k := groupKey{a.Kind, a.SignatureID, src, dst, a.GeoDir}
	g := r.groups[k]
	if g == nil {
		if len(r.groups) >= maxGroups {
			g = &r.other
		} else {
			g = &Group{Kind: a.Kind, Signature: a.Signature, SignatureID: a.SignatureID, SrcCountry: src, DstCountry: dst, Direction: a.GeoDir}
			r.groups[k] = g
			r.groupOrder = append(r.groupOrder, k)
		}
	}
	g.Alerts++
	if g.First.IsZero() || ts.Before(g.First) {
		g.First = ts
	}
	if ts.After(g.Last) {
		g.Last = ts
	}
	if len(r.points) < maxPoints {
		ki, ok := r.kindIdx[a.Kind]
		if !ok {
			ki = uint16(len(r.kindNames))
			if ki < 1024 {
				r.kindIdx[a.Kind] = ki
				r.kindNames = append(r.kindNames, a.Kind)
			}
		}
		cid, _ := geo.ParseCountry(remote)
		r.points = append(r.points, point{ts: a.Timestamp, kind: ki, country: uint16(cid)})
	} else {
		r.pointsLeft++
	}
}

func (r *Report) country(code string) *CountryAlerts {
	if code == "" {
		code = "??"
	}
	c := r.countries[code]
	if c == nil {
		c = &CountryAlerts{}
		r.countries[code] = c
	}
	return c
}

// ReportInput is what the report says beside the alerts.
type ReportInput struct {
	Title     string
	Files     []string
	Stats     pipeline.Stats // the replay's counters: packets, per-country traffic
	Table     *geo.Table     // GeoIP source and zones (home, jurisdictions)
	Generated time.Time
	Version   string
	Sensor    string
}

// WriteHTML writes the report: one HTML file with its style, map and
// charts inline, no script and no network (its CSP forbids both).
func (r *Report) WriteHTML(w io.Writer, in ReportInput) error {
	world, err := LoadWorld()
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.view(world, in)
	_, err = io.WriteString(w, v.html())
	return err
}

// groupDigits writes n with thin spaces between groups of three digits.
func groupDigits(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u202f" + s[i:]
	}
	return s
}

type trafficRow struct {
	Code, Name          string
	In, Out             uint64
	AlertsIn, AlertsOut uint64
}

type reportView struct {
	Title, Version, Sensor string
	Generated              string
	Files                  []string
	Stats                  pipeline.Stats
	GeoDB                  string
	Home                   []string
	Total                  uint64
	Kinds                  []kindCount
	From, To               string
	Map                    MapSVG
	ByKind, ByCountry      Timeline
	Rows                   []reportRow
	Left                   uint64
	MaxRows                int
	Groups                 []*Group
	Other                  Group
	Traffic                []trafficRow
	TrafficLeft            int
	PointsLeft             uint64
	NoShape                []string // remote countries with alerts but no shape
}

type kindCount struct {
	Kind string
	N    uint64
}

func (r *Report) view(world *World, in ReportInput) reportView {
	v := reportView{Title: in.Title, Version: in.Version, Sensor: in.Sensor, Generated: in.Generated.UTC().Format(time.RFC3339),
		Files: in.Files, Stats: in.Stats, Total: r.total, Left: r.left, MaxRows: r.MaxRows,
		Other: r.other, PointsLeft: r.pointsLeft}
	if v.Title == "" {
		v.Title = "borderwatch replay report"
	}
	var zones *geo.Zones
	if in.Table != nil {
		s := in.Table.Source()
		v.GeoDB = s.Name
		if !s.BuildTime.IsZero() {
			v.GeoDB += ", built " + s.BuildTime.UTC().Format("2006-01-02")
		}
		zones = in.Table.Zones()
	}
	v.Home, _ = jurisdictions(zones)
	for k, n := range r.kinds {
		v.Kinds = append(v.Kinds, kindCount{k, n})
	}
	slices.SortFunc(v.Kinds, func(a, b kindCount) int { return cmpCount(a.N, b.N, a.Kind, b.Kind) })
	// Traffic per remote country, in (inbound) and out (outbound) packets.
	var maxIn, maxAlerts uint64
	traffic := map[string]*trafficRow{}
	row := func(cc string) *trafficRow {
		t := traffic[cc]
		if t == nil {
			t = &trafficRow{Code: cc}
			if s, ok := world.Shape(cc); ok {
				t.Name = s.Name
			}
			traffic[cc] = t
		}
		return t
	}
	for id, n := range in.Stats.Countries[geo.DirInbound] {
		if n > 0 {
			row(codeOf(geo.CountryID(id))).In = n
		}
	}
	for id, n := range in.Stats.Countries[geo.DirOutbound] {
		if n > 0 {
			row(codeOf(geo.CountryID(id))).Out = n
		}
	}
	for cc, a := range r.countries {
		t := row(cc)
		t.AlertsIn, t.AlertsOut = a.In, a.Out
	}
	for _, t := range traffic {
		maxIn = max(maxIn, t.In+t.Out)
		maxAlerts = max(maxAlerts, t.AlertsIn)
		if _, ok := world.Shape(t.Code); !ok && t.AlertsIn+t.AlertsOut > 0 {
			v.NoShape = append(v.NoShape, t.Code)
		}
	}
	slices.Sort(v.NoShape)
	home := map[string]bool{}
	for _, h := range v.Home {
		home[h] = true
	}
	v.Map = world.mapSVG(func(s Shape) (string, string) {
		t := traffic[s.Code]
		var cls string
		title := s.Name + " (" + s.Code + ")"
		if t != nil {
			if b := bucket(t.AlertsIn, maxAlerts); b > 0 {
				cls += " a" + strconv.Itoa(b)
			}
			if b := bucket(t.In+t.Out, maxIn); b > 0 {
				cls += " t" + strconv.Itoa(b)
			}
			title += fmt.Sprintf(": %d inbound alerts, %d outbound alerts, %d packets in, %d packets out", t.AlertsIn, t.AlertsOut, t.In, t.Out)
		}
		if home[s.Code] {
			cls += " home"
			title += " — home"
		}
		return cls, title
	}, "World map: remote countries shaded by inbound attack alerts (or by traffic), home outlined")
	if h := firstShape(world, v.Home); h != nil {
		for _, t := range sortedTraffic(traffic) {
			s, ok := world.Shape(t.Code)
			if !ok || t.AlertsIn == 0 || home[t.Code] {
				continue
			}
			v.Map.Links = append(v.Map.Links, MapLink{X1: s.CX, Y1: s.CY, X2: h.CX, Y2: h.CY,
				Title: fmt.Sprintf("%s → home: %d inbound alerts", s.Name, t.AlertsIn)})
		}
	}
	rows := sortedTraffic(traffic)
	if len(rows) > maxTrafficRows {
		v.TrafficLeft = len(rows) - maxTrafficRows
		rows = rows[:maxTrafficRows]
	}
	v.Traffic = rows
	v.Rows = slices.Clone(r.rows)
	slices.SortStableFunc(v.Rows, func(a, b reportRow) int { return a.Time.Compare(b.Time) })
	for _, k := range r.groupOrder {
		v.Groups = append(v.Groups, r.groups[k])
	}
	slices.SortStableFunc(v.Groups, func(a, b *Group) int { return cmpCount(a.Alerts, b.Alerts, a.Kind, b.Kind) })
	v.ByKind, v.ByCountry, v.From, v.To = r.timelines()
	return v
}

func cmpCount(a, b uint64, as, bs string) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}

func sortedTraffic(m map[string]*trafficRow) []trafficRow {
	out := make([]trafficRow, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b trafficRow) int {
		return cmpCount(a.AlertsIn+a.AlertsOut, b.AlertsIn+b.AlertsOut, "", "")*4 + cmpCount(a.In+a.Out, b.In+b.Out, a.Code, b.Code)
	})
	return out
}

func firstShape(w *World, codes []string) *Shape {
	for _, c := range codes {
		if s, ok := w.Shape(c); ok {
			return &s
		}
	}
	return nil
}

// Timeline is a stacked bar chart: bars of equal time, one colour class
// per series (k0..k6, k7 other).
type Timeline struct {
	Width, Height int
	Bars          []Bar
	Series        []Series
	Max           uint64
}

// Bar is one time slot's stacked rectangles.
type Bar struct {
	Rects []Rect
}

// Rect is one series' part of a bar.
type Rect struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// Series is a legend entry.
type Series struct {
	Name  string
	Class string
	N     uint64
}

func (r *Report) timelines() (byKind, byCountry Timeline, from, to string) {
	if len(r.points) == 0 {
		return
	}
	lo, hi := r.points[0].ts, r.points[0].ts
	for _, p := range r.points {
		lo, hi = min(lo, p.ts), max(hi, p.ts)
	}
	from = time.Unix(0, lo).UTC().Format("2006-01-02 15:04:05")
	to = time.Unix(0, hi).UTC().Format("2006-01-02 15:04:05")
	span := uint64(hi) - uint64(lo) + 1 // in int64, hi-lo+1 can overflow
	if span == 0 {
		span = math.MaxUint64
	}
	byKind = chart(r.points, lo, span, func(p point) string {
		if int(p.kind) < len(r.kindNames) {
			return r.kindNames[p.kind]
		}
		return "other"
	})
	byCountry = chart(r.points, lo, span, func(p point) string {
		if s := geo.CountryID(p.country).String(); s != "" {
			return s
		}
		return "??"
	})
	return
}

// scale is x*num/den, the product in 128 bits: (ts-lo)*timelineBars
// overflows int64 for timestamps over 4.9 years apart (a bad clock in
// one capture). x < den, or x*num/den < 2^64.
func scale(x, num, den uint64) uint64 {
	hi, lo := bits.Mul64(x, num)
	q, _ := bits.Div64(hi, lo, den)
	return q
}

func chart(points []point, lo int64, span uint64, key func(point) string) Timeline {
	const w, h, pad = 900, 160, 2
	totals := map[string]uint64{}
	for _, p := range points {
		totals[key(p)]++
	}
	var series []Series
	for k, n := range totals {
		series = append(series, Series{Name: k, N: n})
	}
	slices.SortFunc(series, func(a, b Series) int { return cmpCount(a.N, b.N, a.Name, b.Name) })
	idx := map[string]int{}
	if len(series) > timelineSeries+1 {
		other := Series{Name: "other"}
		for _, s := range series[timelineSeries:] {
			other.N += s.N
		}
		series = append(series[:timelineSeries], other)
	}
	for i := range series {
		series[i].Class = "k" + strconv.Itoa(i)
		idx[series[i].Name] = i
	}
	counts := make([][]uint64, timelineBars)
	for i := range counts {
		counts[i] = make([]uint64, len(series))
	}
	for _, p := range points {
		b := int(min(scale(uint64(p.ts)-uint64(lo), timelineBars, span), timelineBars-1))
		i, ok := idx[key(p)]
		if !ok {
			i = len(series) - 1
		}
		counts[b][i]++
	}
	t := Timeline{Width: w, Height: h, Series: series}
	for _, c := range counts {
		var s uint64
		for _, n := range c {
			s += n
		}
		t.Max = max(t.Max, s)
	}
	bw := w / timelineBars
	for b, c := range counts {
		var bar Bar
		y := h
		t0 := time.Unix(0, lo+int64(scale(uint64(b), span, timelineBars))).UTC().Format("15:04:05")
		for i, n := range c {
			if n == 0 {
				continue
			}
			rh := max(int(uint64(h)*n/t.Max), 1)
			y -= rh
			bar.Rects = append(bar.Rects, Rect{X: b*bw + pad/2, Y: y, W: bw - pad, H: rh, Class: series[i].Class,
				Title: fmt.Sprintf("%s: %d alerts from %s", series[i].Name, n, t0)})
		}
		t.Bars = append(t.Bars, bar)
	}
	return t
}
