package pipeline

import (
	"maps"
	"slices"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// SourceStats are one source's counters.
type SourceStats struct {
	Name string
	capture.Stats
	// Links are the source's link types as numbered in its file, for
	// sources that know them (capture.LinkLister); nil otherwise.
	Links []uint32
}

// Stats are the pipeline's counters, summed over readers and workers.
type Stats struct {
	Capture      capture.Stats // summed over Sources
	Sources      []SourceStats // every source run, in order
	Decode       decode.Stats
	Packets      uint64 // packets processed (each once, also when routed to two workers)
	Bytes        uint64
	Countries    CountryCounts // packets by direction and remote country
	Flow         flow.Stats
	Detect       detect.Stats
	QueueDrops   uint64            // packets dropped because a worker's queue was full (live only)
	Alerts       map[string]uint64 // alerts written, by kind
	AlertsByRule map[uint32]uint64 // alerts written, by signature id
	SinkErrors   uint64            // alerts the sink failed to take
	Panics       uint64            // panics recovered in readers and workers, each dropping the packet in process
	RulesLoaded  int               // rules in the installed set
}

// CountryTotals returns the packets per remote country over all directions.
func (s *Stats) CountryTotals() [CountrySlots]uint64 {
	var t [CountrySlots]uint64
	for d := range s.Countries {
		for c, n := range s.Countries[d] {
			t[c] += n
		}
	}
	return t
}

// DirectionTotals returns the packets per jurisdiction direction
// (geo.Direction: transit, inbound, outbound, internal).
func (s *Stats) DirectionTotals() [Directions]uint64 {
	var t [Directions]uint64
	for d := range s.Countries {
		for _, n := range s.Countries[d] {
			t[d] += n
		}
	}
	return t
}

// Stats returns a snapshot of the counters; safe to call while Run runs.
// Worker counters are published between batches, so a running pipeline's
// snapshot lags by at most a few batches.
func (p *Pipeline) Stats() Stats {
	var s Stats
	p.decMu.Lock()
	s.Decode = p.decStats
	srcs := slices.Clone(p.sources)
	p.decMu.Unlock()
	for _, src := range srcs {
		cs := src.Stats()
		ss := SourceStats{Name: src.Name(), Stats: cs}
		if ll, ok := src.(capture.LinkLister); ok {
			ss.Links = ll.LinkTypes()
		}
		s.Sources = append(s.Sources, ss)
		s.Capture.Frames += cs.Frames
		s.Capture.Bytes += cs.Bytes
		s.Capture.Dropped += cs.Dropped
		s.Capture.Errors += cs.Errors
		s.Capture.Oversize += cs.Oversize
		s.Capture.Truncated += cs.Truncated
		s.Capture.BadLength += cs.BadLength
		s.Capture.BadTime += cs.BadTime
		s.Capture.WireClamped += cs.WireClamped
	}
	for _, w := range p.workers {
		w.mu.Lock()
		ws := &w.snap
		s.Packets += ws.Packets
		s.Bytes += ws.Bytes
		s.Flow.Add(ws.Flow)
		addDetect(&s.Detect, &ws.Detect)
		for d := range ws.Countries {
			for c, n := range ws.Countries[d] {
				s.Countries[d][c] += n
			}
		}
		w.mu.Unlock()
	}
	s.QueueDrops = p.queueDrops.Load()
	p.sinkMu.Lock()
	s.Alerts = maps.Clone(p.alerts)
	s.AlertsByRule = maps.Clone(p.alertsByRule)
	p.sinkMu.Unlock()
	s.SinkErrors = p.sinkErrs.Load()
	s.Panics = p.guard.total.Load()
	s.RulesLoaded = len(p.rules.Load().set.Rules)
	return s
}

// addDetect adds one engine's counters to the sum; rules are matched by id.
func addDetect(sum, o *detect.Stats) {
	sum.Packets += o.Packets
	sum.Alerts += o.Alerts
	sum.Suppressed += o.Suppressed
	for _, r := range o.Rules {
		i := slices.IndexFunc(sum.Rules, func(x detect.RuleStats) bool { return x.ID == r.ID })
		if i < 0 {
			sum.Rules = append(sum.Rules, r)
			continue
		}
		addRuleStats(&sum.Rules[i], &r)
	}
}

func addRuleStats(s, o *detect.RuleStats) {
	s.Matched += o.Matched
	s.Alerts += o.Alerts
	s.Suppressed += o.Suppressed
	s.SuppressedUnreported += o.SuppressedUnreported
	s.Keys += o.Keys
	s.MaxKeys += o.MaxKeys
	s.KeysEvicted += o.KeysEvicted
	s.KeysExpired += o.KeysExpired
	s.Distinct += o.Distinct
	s.MaxDistinct += o.MaxDistinct
	s.DistinctFull += o.DistinctFull
	s.DistinctCapped += o.DistinctCapped
	s.FirstOverwritten += o.FirstOverwritten
}
