package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// TestTableLRUGrain: a key touched less than grain after its last move
// keeps its place; one touched later moves to the front; the victim of a
// full table is the key at the back.
func TestTableLRUGrain(t *testing.T) {
	const grain = int64(time.Second)
	tab := newTable(16, grain) // a touch moves a bucket after 4 pushes
	key := func(i byte) *tkey { return &tkey{a1: uint64(i), v4: true} }
	a, _ := tab.get(key(1), 0)
	b, _ := tab.get(key(2), 10)
	c, _ := tab.get(key(3), 20)
	// Order front to back: 3, 2, 1. Key 1 touched within the grain (and
	// within half the capacity of pushes) stays last.
	if idx, created := tab.get(key(1), grain-1); idx != a || created {
		t.Fatalf("get(1) = %d, %v; want %d, false", idx, created, a)
	}
	if tab.tail != a {
		t.Errorf("tail %d, want key 1 (%d): a touch within the grain moved it", tab.tail, a)
	}
	// Key 2 touched a grain after its creation moves to the front.
	tab.get(key(2), 10+grain)
	if tab.head != b || tab.tail != a {
		t.Errorf("head %d tail %d, want %d and %d", tab.head, tab.tail, b, a)
	}
	// Full (keys 4-16 fill it): key 17 evicts key 1, the back.
	for i := byte(4); i <= 16; i++ {
		tab.get(key(i), 2*grain)
	}
	d, created := tab.get(key(17), 2*grain)
	if !created || d != a || tab.evicted != 1 {
		t.Errorf("new key: bucket %d created %v evicted %d; want %d, true, 1", d, created, tab.evicted, a)
	}
	if tab.lookup(key(1)) != none || tab.lookup(key(3)) != c || tab.lookup(key(2)) != b {
		t.Errorf("after eviction: 1→%d 2→%d 3→%d", tab.lookup(key(1)), tab.lookup(key(2)), tab.lookup(key(3)))
	}
	// expire drops keys idle for longer than idle, oldest first, and stops
	// at the first one that is not.
	for i := range tab.b {
		tab.b[i].last = max(tab.b[i].last, tab.b[i].lruAt)
	}
	tab.expire(20+5*grain, 5*grain-1) // key 3 (last 20) is idle, the others not
	if tab.n != 15 || tab.expired != 1 || tab.lookup(key(3)) != none {
		t.Errorf("after expire: %d keys, %d expired, key 3 at %d", tab.n, tab.expired, tab.lookup(key(3)))
	}

	// A key touched within the grain but after more than a quarter of the
	// capacity of pushes moves too, so a busy key outlives a churn of new
	// keys (a spoofed flood) that passes through the table within a grain.
	churn := newTable(4, grain)
	busy, _ := churn.get(key(1), 0)
	for i := range byte(8) {
		churn.get(key(10+i), 1)
		churn.get(key(1), 1) // within the grain
		if churn.lookup(key(1)) != busy {
			t.Fatalf("busy key evicted after %d new keys", i+1)
		}
	}
	if churn.evicted != 5 {
		t.Errorf("churn: %d evicted, want 5 (8 new keys, 3 free buckets)", churn.evicted)
	}
}

// TestEvictSparesSuppressed: eviction passes over keys whose alert is
// suppressed, at most secondChances of them.
func TestEvictSparesSuppressed(t *testing.T) {
	const now = int64(time.Hour)
	tab := newTable(16, int64(time.Second))
	key := func(i int) *tkey { return &tkey{a1: uint64(i), v4: true} }
	quiet, _ := tab.get(key(0), 0)
	tab.b[quiet].quietUntil = 2 * now // alerted, suppressed
	for i := 1; i < 16; i++ {
		tab.get(key(i), 0)
	}
	// A churn of 100 one-packet keys: the quiet key is at the back each
	// time round, and passed over; the others go.
	for i := 100; i < 200; i++ {
		tab.get(key(i), now)
	}
	if tab.lookup(key(0)) != quiet {
		t.Errorf("the suppressed key was evicted")
	}
	if tab.evicted != 100 || tab.n != 16 {
		t.Errorf("evicted %d, %d keys; want 100 and 16", tab.evicted, tab.n)
	}
	// Once its suppression is over it is an ordinary key again.
	for i := 200; i < 216; i++ {
		tab.get(key(i), 3*now)
	}
	if tab.lookup(key(0)) != none {
		t.Errorf("the key whose suppression ended survived a full turn of the table")
	}
	// When more than secondChances keys at the back are suppressed, the
	// last one looked at goes.
	all := newTable(secondChances+2, int64(time.Second))
	for i := range secondChances + 2 {
		b, _ := all.get(key(i), 0)
		all.b[b].quietUntil = 2 * now
	}
	all.get(key(99), now)
	if all.evicted != 1 || all.n != secondChances+2 {
		t.Errorf("all suppressed: evicted %d, %d keys; want 1 and %d", all.evicted, all.n, secondChances+2)
	}
}

// TestFirstValueInline: a key's first distinct value takes room in the
// rule's distinct budget although it is held in the bucket, so MaxDistinct
// still bounds the exact values of all keys.
func TestFirstValueInline(t *testing.T) {
	r := &rules.Rule{ID: 1, Name: "scan", Kind: rules.KindScan, Protos: rules.ProtoTCP,
		Threshold: rules.Threshold{Count: 100, Window: time.Minute, Track: rules.TrackSrc, Distinct: rules.DistinctDstPort}}
	eng := New([]*rules.Rule{r}, Config{Limits: Limits{MaxKeys: 64, MaxDistinct: 8}}, nil)
	tab := lab(t)
	dst := netip.MustParseAddr("192.0.2.10")
	di := tab.Lookup(dst)
	// 10 sources, one port each, twice: 8 recorded, 2 not (the budget is
	// full), counted once per packet that could not be recorded.
	for i := range 10 {
		src := netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})
		si := tab.Lookup(src)
		eng.Process(tcpPkt(sec+int64(i), src, dst, 40000, 22, synOnly), flow.Result{}, &si, &di)
		eng.Process(tcpPkt(sec+int64(i)+1, src, dst, 40001, 22, synOnly), flow.Result{}, &si, &di) // same value again
	}
	st := eng.Stats().Rules[0]
	if st.Keys != 10 || st.Distinct != 8 || st.DistinctFull != 4 || st.Matched != 20 {
		t.Errorf("keys %d distinct %d full %d matched %d; want 10, 8, 4, 20", st.Keys, st.Distinct, st.DistinctFull, st.Matched)
	}
	eng.Flush()
	if st := eng.Stats().Rules[0]; st.Distinct != 0 {
		t.Errorf("after Flush: distinct %d, want 0", st.Distinct)
	}
}

// TestDistinctSourcesBeyondCap: past the exact per-key cap, only sources not
// recorded exactly go to the HyperLogLog, so sources that come back are not
// counted twice.
func TestDistinctSourcesBeyondCap(t *testing.T) {
	const exact, extra = 1024, 1000
	r := &rules.Rule{ID: 2, Name: "flood", Kind: rules.KindFlood, Protos: rules.ProtoTCP, TCPFlags: synNoAck,
		Threshold: rules.Threshold{Count: 3*exact + extra, Window: time.Minute}}
	var got []*alert.Alert
	eng := New([]*rules.Rule{r}, Config{Limits: Limits{MaxKeys: 16, MaxDistinctPerKey: exact}}, func(a *alert.Alert, _, _ *geo.Info) {
		got = append(got, a)
	})
	tab := lab(t)
	victim := netip.MustParseAddr("2001:db8:de::10")
	di := tab.Lookup(victim)
	ts := sec
	send := func(i uint32) {
		src := spoofedV6(i)
		si := tab.Lookup(src)
		ts += 1000
		eng.Process(&decode.Packet{Timestamp: ts, Src: src, Dst: victim, SrcPort: 1024, DstPort: 80, Proto: decode.ProtoTCP, TCPFlags: synOnly, IPLen: 60},
			flow.Result{}, &si, &di)
	}
	// The first 1024 sources three times over, then 1000 new ones: 2024
	// distinct. Counting the returning sources again would give ~3000.
	for range 3 {
		for i := range uint32(exact) {
			send(i)
		}
	}
	for i := range uint32(extra) {
		send(exact + i)
	}
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1", len(got))
	}
	est := float64(got[0].Stats.DistinctSources)
	if want := float64(exact + extra); est < 0.9*want || est > 1.1*want {
		t.Errorf("distinct sources %v, want about %v (exact %d + estimated %d)", est, want, exact, extra)
	}
	if got[0].Stats.Packets != 3*exact+extra {
		t.Errorf("packets %d, want %d", got[0].Stats.Packets, 3*exact+extra)
	}
}
