package flow

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/borderwatch/borderwatch/internal/prefetch"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// TestUpdateAheadSameAsUpdate: flow keys computed ahead (Ahead, a few
// packets before their update, as the pipeline does), the prefetches of
// slots and entries in between, and UpdateAhead give the results and the
// table of Update, packet for packet: on the benchmark mix through a table
// the mix does not fill and through one it keeps evicting from, with
// short timeouts and expiry every quarter of a millisecond of capture time.
func TestUpdateAheadSameAsUpdate(t *testing.T) {
	pkts := mixPackets(t, 1<<14)
	const dist = 4
	for _, capacity := range []int{1 << 16, 1 << 9} {
		// Short timeouts, so that the mix's 16 k packets expire flows.
		cfg := Config{Capacity: capacity, TCPNew: ms, TCPEstablished: 5 * ms, TCPClosed: ms, UDPNew: ms, UDPEstablished: 5 * ms, ICMPNew: ms, ICMPEstablished: 5 * ms}
		ref, tb := New(cfg), New(cfg)
		var ring [8]Ahead
		next := int64(0)
		for j := range min(dist, len(pkts)) {
			tb.Ahead(&pkts[j], &ring[j%len(ring)])
		}
		for i := range pkts {
			p := &pkts[i]
			if p.Timestamp >= next {
				if a, b := ref.Expire(p.Timestamp), tb.Expire(p.Timestamp); a != b {
					t.Fatalf("capacity %d, packet %d: Expire removed %d, with ahead keys %d", capacity, i, a, b)
				}
				next = p.Timestamp + int64(ms/4)
			}
			if j := i + dist; j < len(pkts) {
				a := &ring[j%len(ring)]
				tb.Ahead(&pkts[j], a)
				prefetch.Line(tb.SlotLine(a))
			}
			if j := i + dist/2; j < len(pkts) {
				prefetch.Line(tb.EntryLine(&ring[j%len(ring)]))
			}
			want := ref.Update(p)
			got := tb.UpdateAhead(p, &ring[i%len(ring)])
			wi, gi := entryIndex(ref, want.Entry), entryIndex(tb, got.Entry)
			if wi != gi || want.IsNew != got.IsNew || want.ToServer != got.ToServer || *want.Entry != *got.Entry {
				t.Fatalf("capacity %d, packet %d: UpdateAhead gave entry %d %+v new %v to server %v; Update entry %d %+v new %v to server %v",
					capacity, i, gi, *got.Entry, got.IsNew, got.ToServer, wi, *want.Entry, want.IsNew, want.ToServer)
			}
		}
		if !reflect.DeepEqual(ref, tb) {
			t.Errorf("capacity %d: the tables differ after the mix", capacity)
		}
		if s := tb.Stats(); s.Created == 0 || capacity > 1<<10 && s.Expired == 0 || capacity < 1<<10 && s.Evicted == 0 {
			t.Errorf("capacity %d: %+v: the mix did not create flows and expire (large table) or evict (small) them", capacity, s)
		}
	}
}

// TestPrefetchChangesNothing: the prefetches of a key's slot and entry
// leave the table as it was, for a key in the table, a new key, and on an
// empty and a full table (no free entry).
func TestPrefetchChangesNothing(t *testing.T) {
	tb := New(Config{Capacity: 4})
	other := tcp(0, server, client, 80, 1000, 0)
	check := func(what string) {
		t.Helper()
		before := *tb
		before.entries = append([]Entry(nil), tb.entries...)
		before.links = append([]link(nil), tb.links...)
		before.slots = append([]uint64(nil), tb.slots...)
		for _, p := range pkts4(other) {
			var a Ahead
			tb.Ahead(p, &a)
			prefetch.Lines3(tb.SlotLine(&a), tb.EntryLine(&a), nil)
		}
		if !reflect.DeepEqual(&before, tb) {
			t.Errorf("%s: the prefetches changed the table", what)
		}
	}
	check("empty")
	for i, p := range pkts4(other) {
		p.Timestamp = int64(i)
		tb.Update(p)
	}
	check("full")
}

// pkts4 returns four packets of different flows, the last one o.
func pkts4(o *decode.Packet) []*decode.Packet {
	return []*decode.Packet{
		tcp(0, client, server, 1000, 80, 0),
		udp(0, client, server, 53, 53, 40),
		tcp(0, client, netip.MustParseAddr("203.0.113.9"), 1000, 22, 0),
		o,
	}
}

const ms = time.Millisecond

// entryIndex returns the index of e in tb's entries.
func entryIndex(tb *Table, e *Entry) uintptr {
	return (uintptr(unsafe.Pointer(e)) - uintptr(unsafe.Pointer(&tb.entries[0]))) / unsafe.Sizeof(*e)
}
