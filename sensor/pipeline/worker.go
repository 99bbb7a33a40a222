package pipeline

import (
	"net/netip"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// advanceEvery is how often, in capture time, a worker expires idle flows and
// detector windows.
const advanceEvery = int64(1e9)

// CountrySlots is the length of the per-country counter arrays: one slot per
// geo.CountryID (0 unknown, 1..676 "AA".."ZZ").
const CountrySlots = 26*26 + 1

// Directions is the number of geo.Direction values counted.
const Directions = 4

// CountryCounts counts packets per jurisdiction direction (geo.Direction)
// and remote country: the destination's country for outbound packets, the
// source's otherwise (the kernel stage's convention).
type CountryCounts [Directions][CountrySlots]uint64

// worker owns one shard: a flow table and a detection engine.
type worker struct {
	p     *Pipeline
	dc    detect.Config
	flows *flow.Table
	eng   *detect.Engine
	gen   *ruleGen   // rule set eng was built from
	table *geo.Table // snapshot for the current batch
	// hot is the table the packets are looked up in: table's
	// location-only table unless the rules need its registration or AS
	// data (geo.Table.PerPacket).
	hot *geo.Table

	// src and dst are the geo lookups of the packet in process, in hot;
	// srcIP and dstIP its addresses, looked up again in table (full) when
	// it raises an alert. Until the next packet's lookups they are also
	// those of the last packet, which the next one reuses for an address
	// it shares (process) while reuse is set: sync clears it when hot
	// changes.
	src, dst     geo.Info
	srcIP, dstIP netip.Addr
	reuse        bool
	full         [2]geo.Info
	// from is the source of the packets in process and iface the
	// interface index of the packet in process, for the alert's origin.
	from  capture.Source
	iface uint16

	nextAdvance int64
	lastTS      int64 // capture time of the last packet
	packets     uint64
	bytes       uint64
	countries   CountryCounts
	batches     uint64

	mu   sync.Mutex // guards snap
	snap workerStats
}

type workerStats struct {
	Packets   uint64
	Bytes     uint64
	Flow      flow.Stats
	Detect    detect.Stats
	Countries CountryCounts
}

// sync picks up the current geo table and rule set; a new rule set gets a
// new engine.
func (w *worker) sync() {
	w.table = w.p.geo.Load()
	if g := w.p.rules.Load(); g != w.gen {
		w.gen = g
		w.eng = detect.New(g.set.Rules, w.dc, w.emit)
	}
	if hot := w.table.PerPacket(w.gen.needs); hot != w.hot {
		w.hot, w.reuse = hot, false
	}
}

// stealEvery is how often an idle live worker takes over the packets its
// readers left in partial batches.
const stealEvery = 50 * time.Millisecond

// loop is a worker goroutine: it processes batches until q is closed. Live,
// a ticker lets it take over packets left in partial batches while idle
// (steal) and advance its flows and detector windows when no packet came for
// IdleAdvance.
func (w *worker) loop(q <-chan *batch, free chan<- *batch, steal func(run func(b *batch, from, to int))) {
	var tick <-chan time.Time
	if w.p.cfg.Live {
		t := time.NewTicker(min(stealEvery, w.p.cfg.IdleAdvance))
		defer t.Stop()
		tick = t.C
	}
	busy := false
	run := func(b *batch, from, to int) {
		w.from = b.src
		w.sync()
		// A panic drops the packet in process (j); the batch goes on with
		// the next. When the guard fails the readers stop; the packets
		// already queued are still processed.
		for j := from; j < to; {
			if w.p.guard.try("worker", func() {
				for ; j < to; j++ {
					w.process(&b.pkts[j], b.own[j])
				}
			}) {
				j++
			}
		}
		w.batches++
		if len(q) == 0 || w.batches&15 == 0 {
			w.publish()
		}
		busy = true
	}
	var lastIdle time.Time
	for {
		select {
		case b, ok := <-q:
			if !ok {
				return
			}
			b.received(run)
			select {
			case free <- b:
			default:
			}
		case now := <-tick:
			steal(run)
			if now.Sub(lastIdle) >= w.p.cfg.IdleAdvance {
				if !busy {
					w.p.guard.try("worker", func() { w.idle(now.UnixNano()) })
				}
				busy = false
				lastIdle = now
			}
		}
	}
}

// idle advances flows and detector windows to now (wall clock, which is
// capture time for live sources) when no packet arrived for a tick.
func (w *worker) idle(now int64) {
	w.sync()
	if now > w.lastTS {
		w.flows.Expire(now)
		w.eng.Advance(now)
	}
	w.publish()
}

// Ownership flags of a routed packet: whether the worker's shard owns the
// packet's source address, its destination address, or both.
const (
	ownSrc  uint8 = 1 << 0
	ownDst  uint8 = 1 << 1
	ownBoth       = ownSrc | ownDst
)

// process runs one packet through flow, geo and detection; own says which
// of its addresses the worker owns (ownBoth with a single worker). It
// allocates nothing.
func (w *worker) process(pkt *decode.Packet, own uint8) {
	if pkt.Timestamp >= w.nextAdvance {
		w.flows.Expire(pkt.Timestamp)
		w.eng.Advance(pkt.Timestamp)
		w.nextAdvance = pkt.Timestamp + advanceEvery
	}
	w.lastTS = pkt.Timestamp
	w.iface = pkt.Iface
	fr := w.flows.Update(pkt)
	// The lookups live in the worker: the engine's emit callback makes
	// pointers to locals escape, an allocation per packet. An address of
	// the last packet (its source or destination: a flood's victim, a
	// scanner and its target, the two ends of a flow) takes that
	// packet's lookup instead of a new one: the same address in the same
	// table gives the same Info. Written out here: as a method it was not
	// inlined, and its call cost more than it saved where consecutive
	// packets share no address.
	switch s, d, ps, pd := pkt.Src, pkt.Dst, w.srcIP, w.dstIP; {
	case !w.reuse:
		w.src, w.dst = w.hot.Lookup(s), w.hot.Lookup(d)
		w.reuse = true
	case s == ps:
		switch d {
		case pd:
		case ps:
			w.dst = w.src
		default:
			w.dst = w.hot.Lookup(d)
		}
	case s == pd:
		switch d {
		case ps:
			w.src, w.dst = w.dst, w.src
		case pd:
			w.src = w.dst
		default:
			w.src = w.dst
			w.dst = w.hot.Lookup(d)
		}
	default:
		switch d {
		case pd:
		case ps:
			w.dst = w.src
		default:
			w.dst = w.hot.Lookup(d)
		}
		w.src = w.hot.Lookup(s)
	}
	w.srcIP, w.dstIP = pkt.Src, pkt.Dst
	src, dst := &w.src, &w.dst
	// A packet goes to the workers of both its addresses; the source's
	// worker counts it.
	if own&ownSrc != 0 {
		n := pkt.Count() // a kernel byte report stands for many
		w.packets += n
		w.bytes += uint64(pkt.WireLen)
		dir := geo.DirectionOf(src, dst)
		remote := src.Country
		if dir == geo.DirOutbound {
			remote = dst.Country
		}
		if int(dir) < Directions && int(remote) < CountrySlots {
			w.countries[dir][remote] += n
		}
	}
	w.eng.ProcessOwned(pkt, fr, src, dst, own&ownSrc != 0, own&ownDst != 0)
}

// emit is the engine's alert callback, called while the packet that fired
// is in process: src and dst are its lookups in w.hot. When that is the
// location-only table, the alert's endpoints come from the lookups of the
// same addresses in the full table, so that they carry the registration
// country and AS number (the fields the rules did not need).
func (w *worker) emit(a *alert.Alert, src, dst *geo.Info) {
	if w.hot != w.table {
		w.full[0], w.full[1] = w.table.Lookup(w.srcIP), w.table.Lookup(w.dstIP)
		src, dst = &w.full[0], &w.full[1]
	}
	w.p.emit(w.table, a, src, dst, w.gen.basis[a.SignatureID], w.gen.drop[a.SignatureID], w.from, w.iface)
}

// publish copies the worker's counters where Stats can read them.
func (w *worker) publish() {
	w.mu.Lock()
	w.snap.Packets, w.snap.Bytes = w.packets, w.bytes
	w.snap.Flow = w.flows.Stats()
	w.snap.Detect = w.eng.Stats()
	w.snap.Countries = w.countries
	w.mu.Unlock()
}
