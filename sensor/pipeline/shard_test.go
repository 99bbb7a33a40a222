package pipeline

import (
	"slices"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// handOverRig is a live router with one worker whose side the test plays:
// no worker goroutine runs.
type handOverRig struct {
	t   *testing.T
	p   *Pipeline
	s   *shards
	r   *router
	got []int64 // timestamps of the packets the worker ran, in order
}

func newHandOverRig(t *testing.T, batchSize, queueLen int) *handOverRig {
	set := scanRule(t, 9000005, 100)
	p, err := New(Config{Workers: 1, Live: true, BatchSize: batchSize, QueueSize: queueLen}, labHolder(t, set), set,
		SinkFunc(func(*alert.Alert) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	s := p.newShards()
	return &handOverRig{t: t, p: p, s: s, r: s.newRouter(nil)}
}

func (h *handOverRig) run(b *batch, from, to int) {
	for j := from; j < to; j++ {
		h.got = append(h.got, b.pkts[j].Timestamp)
	}
}

func (h *handOverRig) add(ts ...int64) {
	for _, x := range ts {
		h.r.add(0, &decode.Packet{Timestamp: x}, ownBoth)
	}
}

// receive plays the worker taking one batch from its queue.
func (h *handOverRig) receive() {
	h.t.Helper()
	select {
	case b := <-h.s.queues[0]:
		b.received(h.run)
	default:
		h.t.Fatal("queue empty")
	}
}

func (h *handOverRig) want(ts ...int64) {
	h.t.Helper()
	if !slices.Equal(h.got, ts) {
		h.t.Fatalf("worker ran %v, want %v", h.got, ts)
	}
}

// TestLiveHandOver: an idle worker takes the packets a live reader left in
// a partial batch, never ahead of a batch still queued, and runs each packet
// once, in order.
func TestLiveHandOver(t *testing.T) {
	h := newHandOverRig(t, 4, 2)
	h.add(1) // the queue is empty: handed over at once
	if n := len(h.s.queues[0]); n != 1 {
		t.Fatalf("queued batches %d, want 1", n)
	}
	h.add(2, 3) // the queue is not empty: they wait in the partial batch
	h.s.steal(0, h.run)
	h.want() // batch 1 is still queued: nothing may be taken before it
	h.receive()
	h.want(1)
	h.s.steal(0, h.run)
	h.want(1, 2, 3)
	h.s.steal(0, h.run)
	h.want(1, 2, 3) // taken once
	h.add(4)        // the queue is empty: the partial batch goes, 2 and 3 already run
	h.receive()
	h.want(1, 2, 3, 4)
	if s := h.p.Stats(); s.QueueDrops != 0 {
		t.Errorf("queue drops %d, want 0", s.QueueDrops)
	}
}

// TestLiveTailDrop: while the worker's queue is full, the reader keeps its
// full batch and drops the newest packets, counting each.
func TestLiveTailDrop(t *testing.T) {
	h := newHandOverRig(t, 2, 1)
	h.add(1)       // handed over: the queue (length 1) is full
	h.add(2, 3)    // the batch is full, the queue too: kept
	h.add(4, 5, 6) // dropped
	if h.r.drops != 3 {
		t.Fatalf("drops %d, want 3", h.r.drops)
	}
	h.receive()
	h.want(1)
	h.add(7) // the queue has room: the full batch goes, 7 starts the next
	h.receive()
	h.want(1, 2, 3)
	h.r.flush()
	h.receive()
	h.want(1, 2, 3, 7)
	// A worker that took part of the full batch while the queue was full
	// runs only the rest once the batch is queued.
	h.add(8) // queue empty: handed over
	h.add(9, 10)
	h.s.steal(0, h.run)
	h.want(1, 2, 3, 7)
	h.receive()
	h.s.steal(0, h.run)
	h.want(1, 2, 3, 7, 8, 9, 10)
	h.add(11) // batch full and queue empty: the batch goes, 11 starts the next
	h.receive()
	h.r.flush()
	h.receive()
	h.want(1, 2, 3, 7, 8, 9, 10, 11)
}
