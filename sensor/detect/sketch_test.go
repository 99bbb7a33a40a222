package detect

import "testing"

// TestPairSetFilter: the set's filter never hides a recorded value (contains
// stays exact through growth, reuse of stale slots and rebuilds), and it
// answers for most values never recorded without a probe of the table (a
// flooded key past its exact cap asks for every new spoofed source).
func TestPairSetFilter(t *testing.T) {
	const owners = 64
	bs := make([]bucket, owners)
	s := newPairSet(4096)
	val := func(o, g, i int) uint64 { return uint64(o)<<40 | uint64(g)<<20 | uint64(i) }
	for g := range 6 { // each round's values go stale at the next: reuse and rebuilds
		for o := range owners {
			for i := range 40 {
				if added, ok := s.insert(bs, int32(o), bs[o].gen, val(o, g, i)); !added || !ok {
					t.Fatalf("round %d owner %d value %d: added %v ok %v", g, o, i, added, ok)
				}
			}
		}
		for o := range owners {
			for i := range 40 {
				if !s.contains(int32(o), bs[o].gen, val(o, g, i)) {
					t.Fatalf("round %d owner %d value %d: recorded, contains says no", g, o, i)
				}
			}
		}
		for o := range owners {
			s.forget(40)
			bs[o].gen++
		}
	}
	if len(s.seen)*8 != len(s.slots) {
		t.Fatalf("filter of %d words for %d slots", len(s.seen), len(s.slots))
	}
	// Values never recorded: the filter alone answers for most of them.
	passed := 0
	const n = 100000
	for i := range n {
		h := pairHash(int32(i%owners), bs[i%owners].gen, uint64(i)|1<<62)
		if b := seenBits(h); *s.seenWord(h)&b == b {
			passed++
		}
		if s.contains(int32(i%owners), bs[i%owners].gen, uint64(i)|1<<62) {
			t.Fatalf("value %d never recorded, contains says yes", i)
		}
	}
	if passed > n/5 {
		t.Errorf("the filter let %d of %d unrecorded values through to the table", passed, n)
	}
	t.Logf("filter passes %d of %d unrecorded values (%d slots, %d used)", passed, n, len(s.slots), s.used)
}
