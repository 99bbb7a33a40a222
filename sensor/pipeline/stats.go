package pipeline

import (
	"maps"
	"slices"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// Stats are the pipeline's counters, summed over readers and workers.
type Stats struct {
	Capture    capture.Stats
	Decode     decode.Stats
	Packets    uint64 // packets processed by workers (a packet routed to two workers counts twice)
	Bytes      uint64
	Flow       flow.Stats
	Detect     detect.Stats
	QueueDrops uint64            // packets dropped because a worker's queue was full (live only)
	Alerts     map[string]uint64 // alerts written, by kind
	SinkErrors uint64            // alerts the sink failed to take
}

// Stats returns a snapshot of the counters; safe to call while Run runs.
func (p *Pipeline) Stats() Stats {
	var s Stats
	p.decMu.Lock()
	s.Capture = p.capStats
	s.Decode = p.decStats
	p.decMu.Unlock()
	for _, w := range p.workers {
		w.mu.Lock()
		ws := w.snap
		w.mu.Unlock()
		s.Packets += ws.Packets
		s.Bytes += ws.Bytes
		s.Flow.Flows += ws.Flow.Flows
		s.Flow.Capacity += ws.Flow.Capacity
		s.Flow.Created += ws.Flow.Created
		s.Flow.Expired += ws.Flow.Expired
		s.Flow.Evicted += ws.Flow.Evicted
		s.Flow.Reused += ws.Flow.Reused
		addDetect(&s.Detect, &ws.Detect)
	}
	s.QueueDrops = p.queueDrops.Load()
	p.sinkMu.Lock()
	s.Alerts = maps.Clone(p.alerts)
	p.sinkMu.Unlock()
	s.SinkErrors = p.sinkErrs.Load()
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
	s.NotOwned += o.NotOwned
	s.Alerts += o.Alerts
	s.Suppressed += o.Suppressed
	s.Keys += o.Keys
	s.MaxKeys += o.MaxKeys
	s.KeysEvicted += o.KeysEvicted
	s.KeysExpired += o.KeysExpired
	s.Distinct += o.Distinct
	s.MaxDistinct += o.MaxDistinct
	s.DistinctFull += o.DistinctFull
	s.DistinctCapped += o.DistinctCapped
}
