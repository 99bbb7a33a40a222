package pipeline

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
)

// batch is a run of routed packets for one worker. Its slices have the
// batch size as length and never change, so that a live worker may read a
// published prefix while the reader fills the rest.
type batch struct {
	pkts []decode.Packet
	own  []uint8        // ownership flags (ownSrc, ownDst) of pkts[i]
	n    int            // packets filled; read by the worker once the batch is queued
	src  capture.Source // where the packets come from; set when a reader takes the batch

	// Live only. pub is n as the reader publishes it after each packet;
	// slot is the reader-worker pair the batch belongs to.
	pub  atomic.Int32
	slot *slot
	// done is how many packets the worker already took from the batch
	// while it was still being filled (steal); written by the worker only.
	done int
}

func newBatch(size int) *batch {
	return &batch{pkts: make([]decode.Packet, size), own: make([]uint8, size)}
}

// received is what a worker does with a batch from its queue: it runs the
// packets a steal has not taken, counts the batch for its slot and readies
// it for the free list.
func (b *batch) received(run func(b *batch, from, to int)) {
	run(b, b.done, b.n)
	if b.slot != nil {
		b.slot.recv++
	}
	b.n, b.done, b.slot, b.src = 0, 0, nil, nil
}

// slot is where a live reader shows one worker the batch it is filling.
//
// Hand-over protocol: the reader stores the next batch in cur before it
// queues the previous one, and counts the batches queued in sent after
// queueing; it publishes each packet with an atomic store of the batch's pub.
// A stealing worker loads cur, then the batch's pub, then sent: it takes the
// published packets only when it has processed every batch the slot queued
// (sent == recv). Packets it sees published in a batch made current by a
// later switch were published after that switch's sent increment, so it
// never takes packets ahead of a queued batch of the same reader; and a batch
// it processed from its queue was queued after cur moved on, so it never
// reads a recycled batch through cur.
type slot struct {
	cur  atomic.Pointer[batch]
	sent atomic.Uint64
	_    [48]byte // recv is the worker's: keep it off the reader's cache line
	recv uint64   // batches of this slot the worker processed
}

// shards are the worker queues of one RunSources call.
type shards struct {
	p      *Pipeline
	queues []chan *batch
	free   chan *batch
	wg     sync.WaitGroup

	mu    sync.Mutex
	slots [][]*slot // live readers' slots, per reader and worker; under mu
}

// newShards makes the queues and the free list.
func (p *Pipeline) newShards() *shards {
	n := len(p.workers)
	s := &shards{p: p, queues: make([]chan *batch, n), free: make(chan *batch, n*(p.cfg.QueueSize+2))}
	for range cap(s.free) - 1 {
		s.free <- newBatch(p.cfg.BatchSize)
	}
	for i := range s.queues {
		s.queues[i] = make(chan *batch, p.cfg.QueueSize)
	}
	return s
}

// startWorkers starts a goroutine per worker on new shards.
func (p *Pipeline) startWorkers() *shards {
	s := p.newShards()
	for i, w := range p.workers {
		s.wg.Add(1)
		go func(i int, w *worker, q <-chan *batch) {
			defer s.wg.Done()
			w.loop(q, s.free, func(run func(*batch, int, int)) { s.steal(i, run) })
		}(i, w, s.queues[i])
	}
	return s
}

func (s *shards) stop() {
	for _, q := range s.queues {
		close(q)
	}
	s.wg.Wait()
}

func (s *shards) getBatch() *batch {
	select {
	case b := <-s.free:
		return b
	default:
		return newBatch(s.p.cfg.BatchSize)
	}
}

// steal lets worker i process the packets its live readers published in
// the batches they are filling (see slot).
func (s *shards) steal(i int, run func(b *batch, from, to int)) {
	s.mu.Lock()
	readers := s.slots
	s.mu.Unlock()
	for _, sl := range readers {
		sl := sl[i]
		b := sl.cur.Load()
		if b == nil {
			continue
		}
		n := int(b.pub.Load())
		if sl.sent.Load() != sl.recv || n <= b.done {
			continue
		}
		run(b, b.done, n)
		b.done = n
	}
}

func (p *Pipeline) runSharded(ctx context.Context, srcs []capture.Source) error {
	s := p.startWorkers()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.guard.setCancel(cancel)
	defer p.guard.setCancel(nil)
	if p.cfg.Live {
		stop := context.AfterFunc(ctx, func() {
			for _, src := range srcs {
				src.Close()
			}
		})
		defer stop()
	}
	errs := make([]error, len(srcs))
	var rwg sync.WaitGroup
	for i, src := range srcs {
		rwg.Go(func() {
			errs[i] = p.read(ctx, s, src)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	rwg.Wait()
	s.stop()
	for _, w := range p.workers {
		w.publish()
	}
	if err := p.guard.fail(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// router is one reading goroutine's side of the queues: the batch it fills
// for each worker.
type router struct {
	s    *shards
	src  capture.Source
	live bool
	cur  []*batch
	// Live only: the reader's slot per worker, and a spare batch kept
	// when a hand-over failed (full queue).
	slots []*slot
	spare []*batch
	drops uint64 // packets dropped (tail drop), not yet added to the pipeline's count
}

func (s *shards) newRouter(src capture.Source) *router {
	n := len(s.queues)
	r := &router{s: s, src: src, live: s.p.cfg.Live, cur: make([]*batch, n)}
	for i := range r.cur {
		r.cur[i] = r.take()
	}
	if r.live {
		r.slots = make([]*slot, n)
		r.spare = make([]*batch, n)
		for i := range r.slots {
			r.slots[i] = &slot{}
			r.cur[i].slot = r.slots[i]
			r.cur[i].pub.Store(0)
			r.slots[i].cur.Store(r.cur[i])
		}
		s.mu.Lock()
		s.slots = append(s.slots, r.slots)
		s.mu.Unlock()
	}
	return r
}

// take gets an empty batch for the router's source.
func (r *router) take() *batch {
	b := r.s.getBatch()
	b.src = r.src
	return b
}

// add appends pkt to worker i's batch. Replay hands the batch over when it
// is full, waiting for room in the queue. Live hands it over when it is full
// or the worker's queue is empty, and drops pkt when the batch is full and
// the queue too.
func (r *router) add(i int, pkt *decode.Packet, own uint8) {
	b := r.cur[i]
	if !r.live {
		b.pkts[b.n], b.own[b.n] = *pkt, own
		if b.n++; b.n == len(b.pkts) {
			r.s.queues[i] <- b
			b = r.take()
			r.cur[i] = b
		}
		return
	}
	if b.n == len(b.pkts) {
		if !r.handOver(i, false) {
			r.drops++
			return
		}
		b = r.cur[i]
	}
	b.pkts[b.n], b.own[b.n] = *pkt, own
	b.n++
	b.pub.Store(int32(b.n))
	if b.n == len(b.pkts) || len(r.s.queues[i]) == 0 {
		r.handOver(i, false)
	}
}

// handOver queues live worker i's batch, waiting for room when wait is set,
// and starts a new one; it reports whether the batch was queued.
func (r *router) handOver(i int, wait bool) bool {
	b, sl, q := r.cur[i], r.slots[i], r.s.queues[i]
	next := r.spare[i]
	if next == nil {
		next = r.take()
	}
	r.spare[i] = nil
	next.slot = sl
	next.pub.Store(0)
	// The slot shows next before b is queued: a worker that got b from
	// its queue must not find b in cur afterwards (see slot).
	sl.cur.Store(next)
	if wait {
		q <- b
	} else {
		select {
		case q <- b:
		default:
			sl.cur.Store(b)
			r.spare[i] = next
			return false
		}
	}
	sl.sent.Add(1)
	r.cur[i] = next
	return true
}

// flush hands over every partial batch at the end of a source.
func (r *router) flush() {
	for i, b := range r.cur {
		if b.n == 0 {
			continue
		}
		if r.live {
			r.handOver(i, true)
		} else {
			r.s.queues[i] <- b
			r.cur[i] = r.take()
		}
	}
}

// read is one source's reading goroutine: it decodes and routes frames
// until the source ends. It returns nil at io.EOF (and, in live mode, at
// ErrClosed after ctx ended), ctx.Err() when ctx ended first.
func (p *Pipeline) read(ctx context.Context, s *shards, src capture.Source) error {
	n := len(p.workers)
	live := p.cfg.Live
	r := s.newRouter(src)
	dec := decode.NewDecoder()
	var (
		f    capture.Frame
		pkt  decode.Packet
		err  error
		k    int
		done bool
	)
	// step reads until the source ends; a panic in it (source, decoder,
	// routing) drops the frame in process and step is called again.
	step := func() {
		for ; ; k++ {
			if k&1023 == 0 || (live && k&63 == 0) {
				if ctx.Err() != nil {
					err, done = ctx.Err(), true
					return
				}
				p.publishDecode(&dec.Stats)
				if r.drops != 0 {
					p.queueDrops.Add(r.drops)
					r.drops = 0
				}
			}
			if err = src.Next(&f); err != nil {
				if live && errors.Is(err, capture.ErrIdle) {
					// Nothing arrived within the source's poll timeout:
					// publish now, so that an idle link shows exact counts
					// (not those of the last multiple of 64 frames).
					p.publishDecode(&dec.Stats)
					if ctx.Err() != nil {
						err, done = ctx.Err(), true
						return
					}
					continue
				}
				done = true
				return
			}
			if dec.Decode(&f, &pkt) != decode.OK {
				continue
			}
			a, b := detect.Shard(pkt.Src, n), detect.Shard(pkt.Dst, n)
			if a == b {
				r.add(a, &pkt, ownBoth)
			} else {
				r.add(a, &pkt, ownSrc)
				r.add(b, &pkt, ownDst)
			}
		}
	}
	for !done {
		if p.guard.try("reader", step) {
			k++
			if err = p.guard.fail(); err != nil {
				break
			}
		}
	}
	r.flush()
	capture.Publish(src)
	p.queueDrops.Add(r.drops)
	p.publishDecode(&dec.Stats)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case live && errors.Is(err, capture.ErrClosed) && ctx.Err() != nil:
		return nil
	}
	return err
}
