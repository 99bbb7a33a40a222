package pipeline

import (
	"net/netip"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/prefetch"
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
	// it raises an alert.
	src, dst     geo.Info
	srcIP, dstIP netip.Addr
	// ahead is the ring of flow keys runPackets computes ahead of the
	// packet in process.
	ahead [aheadRing]flow.Ahead
	full  [2]geo.Info
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
	w.hot = w.table.PerPacket(w.gen.needs)
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
		// A panic drops the packet in process; the batch goes on with the
		// next (runPackets). When the guard fails the readers stop; the
		// packets already queued are still processed.
		w.runPackets("worker", b.pkts[from:to], b.own[from:to])
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

// Prefetch distances of runPackets, in packets: the flow key of the packet
// aheadKey places ahead of the one in process is computed and its flow's
// index slot and the geo index entries of its addresses are prefetched;
// for the packet aheadLine ahead, whose slot and index entries have
// arrived by then, its flow entry and the geo ranges. aheadRing is the
// length of the ring of flow keys (a power of two above aheadKey).
const (
	aheadKey  = 8
	aheadLine = 4
	aheadRing = 16
)

// runPackets processes pkts in order; own[i] says which addresses of
// pkts[i] the worker owns (nil: ownBoth). While it processes a packet it
// prefetches what later packets will miss in the flow table and the geo
// table (a spoofed flood's new sources: the flow's index slot and entry,
// the index entries and ranges of both addresses), so that those cache
// misses overlap with the work on the packets before instead of each
// stalling its own packet. The prefetches change nothing; the packets are
// processed exactly as one at a time. A panic, counted under where, drops
// the packet in process; the others are processed. It allocates nothing.
func (w *worker) runPackets(where string, pkts []decode.Packet, own []uint8) {
	for next := 0; next < len(pkts); next++ { // next++: a panic dropped pkts[next]
		if !w.p.guard.try(where, func() {
			n := len(pkts)
			for j := next; j < min(next+aheadKey, n); j++ {
				w.prefetchSlots(&pkts[j], j)
			}
			for j := next; j < min(next+aheadLine, n); j++ {
				w.prefetchLines(&pkts[j], j)
			}
			for ; next < n; next++ {
				if j := next + aheadKey; j < n {
					w.prefetchSlots(&pkts[j], j)
				}
				if j := next + aheadLine; j < n {
					w.prefetchLines(&pkts[j], j)
				}
				o := ownBoth
				if own != nil {
					o = own[next]
				}
				w.process(&pkts[next], o, &w.ahead[next%aheadRing])
			}
		}) {
			return
		}
	}
}

// prefetchSlots computes the flow key of p, packet j of a run, into the
// ring and prefetches its flow's index slot and the first-level geo index
// entries of its addresses.
func (w *worker) prefetchSlots(p *decode.Packet, j int) {
	a := &w.ahead[j%aheadRing]
	w.flows.Ahead(p, a)
	prefetch.Lines3(w.flows.SlotLine(a), w.hot.IndexLine(p.Src), w.hot.IndexLine(p.Dst))
}

// prefetchLines prefetches the flow entry of p, packet j of a run, and
// the geo ranges of its addresses, found from the lines prefetchSlots
// prefetched.
func (w *worker) prefetchLines(p *decode.Packet, j int) {
	prefetch.Lines3(w.flows.EntryLine(&w.ahead[j%aheadRing]), w.hot.RangeLine(p.Src), w.hot.RangeLine(p.Dst))
}

// process runs one packet through flow, geo and detection, with its flow
// key a (flow.Table.Ahead); own says which of its addresses the worker
// owns (ownBoth with a single worker). It allocates nothing.
func (w *worker) process(pkt *decode.Packet, own uint8, a *flow.Ahead) {
	if pkt.Timestamp >= w.nextAdvance {
		w.flows.Expire(pkt.Timestamp)
		w.eng.Advance(pkt.Timestamp)
		w.nextAdvance = pkt.Timestamp + advanceEvery
	}
	w.lastTS = pkt.Timestamp
	w.iface = pkt.Iface
	fr := w.flows.UpdateAhead(pkt, a)
	// The lookups live in the worker: the engine's emit callback makes
	// pointers to locals escape, an allocation per packet.
	w.srcIP, w.dstIP = pkt.Src, pkt.Dst
	w.src = w.hot.Lookup(pkt.Src)
	w.dst = w.hot.Lookup(pkt.Dst)
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
