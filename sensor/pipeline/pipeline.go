package pipeline

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/flow"
	"github.com/rs/zerolog"
)

// Config sizes the pipeline.
type Config struct {
	Workers   int // detection workers; ≤ 1 runs everything on the reading goroutine (replay of one source)
	BatchSize int // packets per batch handed to a worker (default DefaultBatchSize)
	QueueSize int // batches queued per worker (default DefaultQueueSize)
	// Live marks live capture: tail drop when a worker's queue is full,
	// eager hand-over of partial batches to idle workers, idle advance on a
	// ticker, and closing the sources when the context of Run ends.
	Live bool
	// IdleAdvance is the live workers' ticker period (default 1s).
	IdleAdvance time.Duration
	// Enforce says the kernel drops the packets of rules with action drop:
	// their alerts say "blocked" instead of "allowed".
	Enforce bool
	// SensorName is written in every alert as EVE host and ECS
	// observer.name (default: the host name, alert.DefaultSensorName).
	SensorName string
	Flow       flow.Config
	Detect     detect.Config
	// Log receives the recovered panics of the per-packet path
	// (rate-limited; the zero Logger discards them).
	Log zerolog.Logger
}

// Defaults of Config: BatchSize and QueueSize everywhere, LiveWorkers the
// live sensor's workers (Config.Workers defaults to 1, for replay of one
// source).
const (
	DefaultBatchSize   = 256
	DefaultQueueSize   = 64
	DefaultLiveWorkers = 2
)

func (c *Config) defaults() {
	if c.Workers < 1 {
		c.Workers = 1
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Flow.Capacity == 0 {
		c.Flow = flow.DefaultConfig()
	}
	if c.SensorName == "" {
		c.SensorName = alert.DefaultSensorName()
	}
	if c.Live && c.IdleAdvance <= 0 {
		c.IdleAdvance = time.Second
	}
}

// Sink receives alerts. Write is called from one goroutine at a time.
type Sink interface {
	Write(a *alert.Alert) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(a *alert.Alert) error

// Write calls f(a).
func (f SinkFunc) Write(a *alert.Alert) error { return f(a) }

// ruleGen is one installed rule set with what emit needs per rule.
type ruleGen struct {
	set   *rules.Set
	basis map[uint32]geo.Basis
	drop  map[uint32]bool // rules with action drop
	needs geo.Needs       // what the rules match on beyond the location
}

func newRuleGen(set *rules.Set) *ruleGen {
	g := &ruleGen{set: set, basis: make(map[uint32]geo.Basis, len(set.Rules)), drop: map[uint32]bool{}, needs: set.GeoNeeds()}
	for _, r := range set.Rules {
		g.basis[r.ID] = r.Basis
		if r.Action == rules.ActionDrop {
			g.drop[r.ID] = true
		}
	}
	return g
}

// Pipeline runs sources through decode, flow, geo and detection.
type Pipeline struct {
	cfg   Config
	geo   *geo.Holder
	rules atomic.Pointer[ruleGen]

	sinkMu       sync.Mutex
	sink         Sink
	sinkErrs     atomic.Uint64
	alerts       map[string]uint64 // by kind, under sinkMu
	alertsByRule map[uint32]uint64 // by signature id, under sinkMu

	workers []*worker

	decMu    sync.Mutex
	decStats decode.Stats
	sources  []capture.Source // every source run so far, under decMu

	queueDrops atomic.Uint64

	// guard recovers the panics of readers and workers (guard.go).
	guard guard
}

// New builds a pipeline. The geo holder may be swapped while it runs; the
// rules are replaced with SetRules.
func New(cfg Config, g *geo.Holder, set *rules.Set, sink Sink) (*Pipeline, error) {
	cfg.defaults()
	if g == nil || g.Load() == nil {
		return nil, errors.New("pipeline: no geo table")
	}
	if set == nil {
		return nil, errors.New("pipeline: no rule set")
	}
	if err := detect.CheckState(set.Rules, cfg.Detect, cfg.Workers, 0); err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, geo: g, sink: sink, alerts: map[string]uint64{}, alertsByRule: map[uint32]uint64{}}
	p.guard.log = cfg.Log
	gen := newRuleGen(set)
	// Builds the per-packet table now, not on the first packet.
	g.Load().PerPacket(gen.needs)
	p.rules.Store(gen)
	for i := range cfg.Workers {
		dc := cfg.Detect
		dc.ShardIndex, dc.ShardCount = i, cfg.Workers
		w := &worker{p: p, dc: dc, flows: flow.New(cfg.Flow), gen: gen}
		w.eng = detect.New(set.Rules, dc, w.emit)
		p.workers = append(p.workers, w)
	}
	return p, nil
}

// SetRules installs a checked rule set. Workers switch to it between
// batches; alerts of the old set already emitted stay counted. set must not
// be modified afterwards.
func (p *Pipeline) SetRules(set *rules.Set) error {
	if set == nil {
		return errors.New("pipeline: no rule set")
	}
	if err := p.CheckRules(set); err != nil {
		return err
	}
	p.rules.Store(newRuleGen(set))
	return nil
}

// CheckRules reports whether set can be installed: whether the worst-case
// state of its rules in all the workers stays within detect.DefaultMaxState.
// SetRules checks it; a reload checks it before swapping anything.
func (p *Pipeline) CheckRules(set *rules.Set) error {
	return detect.CheckState(set.Rules, p.cfg.Detect, p.cfg.Workers, 0)
}

// Rules returns the installed rule set.
func (p *Pipeline) Rules() *rules.Set { return p.rules.Load().set }

// Geo returns the pipeline's geo holder.
func (p *Pipeline) Geo() *geo.Holder { return p.geo }

// Run reads src to its end (io.EOF) or until ctx is done, and returns once
// every packet read has been processed. It may be called again with another
// source: state (flows, detector windows) carries over, as for a capture
// split into several files.
func (p *Pipeline) Run(ctx context.Context, src capture.Source) error {
	return p.RunSources(ctx, src)
}

// RunSources reads every source concurrently, one goroutine each, until all
// end or ctx is done, and returns once every packet read has been processed.
// In live mode the sources are closed when ctx is done (a live source's Next
// blocks), and ErrClosed then counts as a clean end. The first source error
// other than io.EOF stops the other sources and is returned.
func (p *Pipeline) RunSources(ctx context.Context, srcs ...capture.Source) error {
	if len(srcs) == 0 {
		return errors.New("pipeline: no source")
	}
	if err := p.guard.fail(); err != nil {
		return err
	}
	p.decMu.Lock()
	p.sources = append(p.sources, srcs...)
	p.decMu.Unlock()
	if len(p.workers) == 1 && len(srcs) == 1 && !p.cfg.Live {
		return p.runInline(ctx, srcs[0])
	}
	return p.runSharded(ctx, srcs)
}

func (p *Pipeline) runInline(ctx context.Context, src capture.Source) error {
	dec := decode.NewDecoder()
	w := p.workers[0]
	var (
		f    capture.Frame
		pkt  decode.Packet
		err  error
		n    int
		done bool
	)
	w.from = src
	w.sync()
	// step reads until the source ends; a panic in it drops the frame in
	// process and step is called again for the next one.
	step := func() {
		for ; ; n++ {
			if n&1023 == 0 {
				if ctx.Err() != nil {
					err, done = ctx.Err(), true
					return
				}
				w.sync()
				p.publishDecode(&dec.Stats)
				if n&(64*1024-1) == 0 {
					w.publish()
				}
			}
			if err = src.Next(&f); err != nil {
				done = true
				return
			}
			if dec.Decode(&f, &pkt) != decode.OK {
				continue
			}
			w.process(&pkt, ownBoth)
		}
	}
	for !done {
		if p.guard.try("reader", step) {
			n++
			if err = p.guard.fail(); err != nil {
				break
			}
		}
	}
	capture.Publish(src)
	p.publishDecode(&dec.Stats)
	w.publish()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// publishDecode folds a reader's decoder counters into the pipeline's, as
// deltas since the last call.
func (p *Pipeline) publishDecode(s *decode.Stats) {
	p.decMu.Lock()
	p.decStats.Add(*s)
	*s = decode.Stats{}
	p.decMu.Unlock()
}

// Close ends every open detection window; alerts still pending are written.
// Call it after Run returned.
func (p *Pipeline) Close() {
	for _, w := range p.workers {
		p.guard.try("flush", w.eng.Flush)
		w.publish()
	}
}

// emit enriches an alert and writes it to the sink. With enforcement on,
// the alert of a drop rule says "blocked".
func (p *Pipeline) emit(t *geo.Table, a *alert.Alert, src, dst *geo.Info, basis geo.Basis, drop bool, from capture.Source, iface uint16) {
	enrich(t, a, src, dst, basis)
	p.origin(a, from, iface)
	if p.cfg.Enforce && drop {
		a.Action = "blocked"
	}
	if err := p.write(a); err != nil {
		p.sinkErrs.Add(1)
	}
}

// write counts the alert and hands it to the sink; the lock is released
// also when the sink panics (the worker's guard recovers it).
func (p *Pipeline) write(a *alert.Alert) error {
	p.sinkMu.Lock()
	defer p.sinkMu.Unlock()
	p.alerts[a.Kind]++
	p.alertsByRule[a.SignatureID]++
	return p.sink.Write(a)
}
