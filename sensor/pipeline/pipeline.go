// Package pipeline wires the sensor's stages: frames from a capture.Source are
// decoded, routed to detection workers, tracked in per-worker flow tables,
// looked up in the GeoIP table, run through the detection engine, and the
// alerts enriched and handed to a sink. Replay and live capture use the same
// Pipeline.
//
// # Workers and routing
//
// With one worker everything runs on the reading goroutine: no channel, no
// lock. With N workers the reading goroutine decodes each frame and appends
// the packet summary to the batch of the worker owning its source address and
// of the worker owning its destination address (detect.Shard), once when
// both are the same worker. Every detector key (source, destination, pair,
// flow) is owned by exactly one worker, and that worker sees every packet of
// every flow involving the address it owns, in capture order.
//
// # Queues
//
// Batches travel on bounded channels. In replay (Config.DropWhenFull false) a
// full queue blocks the reader: replay is lossless and as fast as the slowest
// worker. Live capture sets DropWhenFull: a batch that finds its worker's
// queue full is dropped and its packets counted in Stats.QueueDrops.
package pipeline

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// Config sizes the pipeline.
type Config struct {
	Workers      int // detection workers; ≤ 1 runs everything on the reading goroutine
	BatchSize    int // packets per batch handed to a worker (default 256)
	QueueLen     int // batches queued per worker (default 64)
	DropWhenFull bool
	Flow         flow.Config
	Detect       detect.Config
}

func (c *Config) defaults() {
	if c.Workers < 1 {
		c.Workers = 1
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 256
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 64
	}
	if c.Flow.Capacity == 0 {
		c.Flow = flow.DefaultConfig()
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

// Pipeline runs sources through decode, flow, geo and detection.
type Pipeline struct {
	cfg   Config
	geo   *geo.Holder
	rules *rules.Set

	sinkMu   sync.Mutex
	sink     Sink
	sinkErrs atomic.Uint64
	alerts   map[string]uint64 // by kind, under sinkMu
	basis    map[uint32]geo.Basis

	workers []*worker

	decMu    sync.Mutex
	decStats decode.Stats
	capStats capture.Stats

	queueDrops atomic.Uint64
}

// New builds a pipeline. The geo holder may be swapped while it runs; rules
// are fixed for the pipeline's life.
func New(cfg Config, g *geo.Holder, set *rules.Set, sink Sink) (*Pipeline, error) {
	cfg.defaults()
	if g == nil || g.Load() == nil {
		return nil, errors.New("pipeline: no geo table")
	}
	if set == nil {
		return nil, errors.New("pipeline: no rule set")
	}
	p := &Pipeline{cfg: cfg, geo: g, rules: set, sink: sink, alerts: map[string]uint64{}, basis: map[uint32]geo.Basis{}}
	for _, r := range set.Rules {
		p.basis[r.ID] = r.Basis
	}
	for i := range cfg.Workers {
		dc := cfg.Detect
		dc.ShardIndex, dc.ShardCount = i, cfg.Workers
		w := &worker{p: p, flows: flow.New(cfg.Flow)}
		w.eng = detect.New(set.Rules, dc, w.emit)
		p.workers = append(p.workers, w)
	}
	return p, nil
}

// Run reads src to its end (io.EOF) or until ctx is done, and returns once
// every packet read has been processed. It may be called again with another
// source: state (flows, detector windows) carries over, as for a capture
// split into several files.
func (p *Pipeline) Run(ctx context.Context, src capture.Source) error {
	if len(p.workers) == 1 {
		return p.runInline(ctx, src)
	}
	return p.runSharded(ctx, src)
}

func (p *Pipeline) runInline(ctx context.Context, src capture.Source) error {
	dec := decode.NewDecoder()
	w := p.workers[0]
	var (
		f   capture.Frame
		pkt decode.Packet
		err error
	)
	w.table = p.geo.Load()
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if ctx.Err() != nil {
				err = ctx.Err()
				break
			}
			w.table = p.geo.Load()
			p.publishDecode(src, &dec.Stats)
		}
		if err = src.Next(&f); err != nil {
			break
		}
		if dec.Decode(&f, &pkt) != decode.OK {
			continue
		}
		w.process(&pkt)
	}
	p.publishDecode(src, &dec.Stats)
	w.publish()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

type batch struct {
	pkts []decode.Packet
}

func (p *Pipeline) runSharded(ctx context.Context, src capture.Source) error {
	n := len(p.workers)
	var wg sync.WaitGroup
	queues := make([]chan *batch, n)
	free := make(chan *batch, n*(p.cfg.QueueLen+2))
	for i := range n*(p.cfg.QueueLen+2) - 1 {
		_ = i
		free <- &batch{pkts: make([]decode.Packet, 0, p.cfg.BatchSize)}
	}
	for i, w := range p.workers {
		queues[i] = make(chan *batch, p.cfg.QueueLen)
		wg.Add(1)
		go func(w *worker, q <-chan *batch) {
			defer wg.Done()
			for b := range q {
				w.table = p.geo.Load()
				for j := range b.pkts {
					w.process(&b.pkts[j])
				}
				w.publish()
				b.pkts = b.pkts[:0]
				free <- b
			}
		}(w, queues[i])
	}

	cur := make([]*batch, n)
	getBatch := func() *batch {
		select {
		case b := <-free:
			return b
		default:
			return &batch{pkts: make([]decode.Packet, 0, p.cfg.BatchSize)}
		}
	}
	for i := range cur {
		cur[i] = getBatch()
	}
	send := func(i int) {
		b := cur[i]
		if len(b.pkts) == 0 {
			return
		}
		if p.cfg.DropWhenFull {
			select {
			case queues[i] <- b:
			default:
				p.queueDrops.Add(uint64(len(b.pkts)))
				b.pkts = b.pkts[:0]
				return
			}
		} else {
			queues[i] <- b
		}
		cur[i] = getBatch()
	}

	dec := decode.NewDecoder()
	var (
		f   capture.Frame
		pkt decode.Packet
		err error
	)
	for k := 0; ; k++ {
		if k&1023 == 0 {
			if ctx.Err() != nil {
				err = ctx.Err()
				break
			}
			p.publishDecode(src, &dec.Stats)
		}
		if err = src.Next(&f); err != nil {
			break
		}
		if dec.Decode(&f, &pkt) != decode.OK {
			continue
		}
		a, b := detect.Shard(pkt.Src, n), detect.Shard(pkt.Dst, n)
		cur[a].pkts = append(cur[a].pkts, pkt)
		if len(cur[a].pkts) == cap(cur[a].pkts) {
			send(a)
		}
		if b != a {
			cur[b].pkts = append(cur[b].pkts, pkt)
			if len(cur[b].pkts) == cap(cur[b].pkts) {
				send(b)
			}
		}
	}
	for i := range cur {
		send(i)
		close(queues[i])
	}
	wg.Wait()
	p.publishDecode(src, &dec.Stats)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// publishDecode folds a reader's decoder and source counters into the
// pipeline's, as deltas since the last call.
func (p *Pipeline) publishDecode(src capture.Source, s *decode.Stats) {
	p.decMu.Lock()
	p.decStats.Add(*s)
	*s = decode.Stats{}
	p.capStats = src.Stats()
	p.decMu.Unlock()
}

// Close ends every open detection window; alerts still pending are written.
func (p *Pipeline) Close() {
	for _, w := range p.workers {
		w.eng.Flush()
		w.publish()
	}
}

// emit enriches an alert and writes it to the sink.
func (p *Pipeline) emit(t *geo.Table, a *alert.Alert, src, dst *geo.Info, basis geo.Basis) {
	enrich(t, a, src, dst, basis)
	p.sinkMu.Lock()
	p.alerts[a.Kind]++
	err := p.sink.Write(a)
	p.sinkMu.Unlock()
	if err != nil {
		p.sinkErrs.Add(1)
	}
}
