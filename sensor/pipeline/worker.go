package pipeline

import (
	"sync"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// advanceEvery is how often, in capture time, a worker expires idle flows and
// detector windows.
const advanceEvery = int64(1e9)

// worker owns one shard: a flow table and a detection engine.
type worker struct {
	p     *Pipeline
	flows *flow.Table
	eng   *detect.Engine
	table *geo.Table // snapshot for the current batch

	nextAdvance int64
	packets     uint64
	bytes       uint64

	mu   sync.Mutex // guards snap
	snap workerStats
}

type workerStats struct {
	Packets uint64
	Bytes   uint64
	Flow    flow.Stats
	Detect  detect.Stats
}

// process runs one packet through flow, geo and detection. It allocates nothing.
func (w *worker) process(pkt *decode.Packet) {
	if pkt.Timestamp >= w.nextAdvance {
		w.flows.Expire(pkt.Timestamp)
		w.eng.Advance(pkt.Timestamp)
		w.nextAdvance = pkt.Timestamp + advanceEvery
	}
	w.packets++
	w.bytes += uint64(pkt.WireLen)
	fr := w.flows.Update(pkt)
	src := w.table.Lookup(pkt.Src)
	dst := w.table.Lookup(pkt.Dst)
	w.eng.Process(pkt, fr, &src, &dst)
}

// emit is the engine's alert callback.
func (w *worker) emit(a *alert.Alert, src, dst *geo.Info) {
	w.p.emit(w.table, a, src, dst, w.p.basis[a.SignatureID])
}

// publish copies the worker's counters where Stats can read them.
func (w *worker) publish() {
	s := workerStats{Packets: w.packets, Bytes: w.bytes, Flow: w.flows.Stats(), Detect: w.eng.Stats()}
	w.mu.Lock()
	w.snap = s
	w.mu.Unlock()
}
