package detect

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// pairEntry is one distinct value of one bucket generation.
type pairEntry struct {
	owner int32 // bucket index+1; 0 is an empty slot
	gen   uint32
	val   uint64
}

// pairSet holds the exact distinct values of all the buckets of one rule in
// one open-addressing table. Entries whose bucket generation has moved on
// are stale: they are overwritten by inserts and removed in bulk by a
// rebuild when they take too much room. When the live values reach the
// capacity, new values are not recorded (counted in full). The table starts
// empty and doubles with the live values up to maxSize, the power of two at
// or above 1.5 × capacity; at that size it allocates nothing more.
//
// seen is a Bloom filter of the entries written since the last rebuild
// (live and stale), one 64-bit word per 8 slots with two bits per entry
// taken from the entry's hash: contains answers false from it, without
// probing the table, for a value the filter has not seen. A flooded
// key whose exact values reached the per-key cap asks contains for every
// new spoofed source (a miss into a table of up to 2 MiB, twice per
// packet with the two flood rules); the filter is 1/16 of the table and
// stays in cache.
type pairSet struct {
	slots, spare []pairEntry
	seen         []uint64
	mask         uint64
	maxSize      int // slots at most
	capacity     int // live values at most
	used         int // occupied slots, live and stale
	live         int // live values (maintained by the caller through forget)
	full         uint64
}

// minPairSlots is the size of a pair set's first table.
const minPairSlots = 64

func newPairSet(capacity int) *pairSet {
	return &pairSet{maxSize: pairSlotsFor(capacity), capacity: capacity}
}

// pairSlotsFor is the table size of a set of capacity live values.
func pairSlotsFor(capacity int) int {
	size := 1
	for size < capacity+capacity/2 {
		size <<= 1
	}
	return size
}

func pairHash(owner int32, gen uint32, val uint64) uint64 {
	return flow.Mix(val ^ uint64(uint32(owner))<<32 ^ uint64(gen)*0x9e3779b97f4a7c15)
}

// seenWord is the filter word of an entry of hash h, and seenBits its two
// bits in it (bits of the hash above those that index the table, for
// tables up to 2^20 slots).
func (s *pairSet) seenWord(h uint64) *uint64 {
	return &s.seen[(h>>40)&uint64(len(s.seen)-1)]
}

func seenBits(h uint64) uint64 { return 1<<(h>>20&63) | 1<<(h>>26&63) }

// mark adds an entry of hash h to the filter.
func (s *pairSet) mark(h uint64) { *s.seenWord(h) |= seenBits(h) }

// insert records val for bucket owner (index) of generation gen and reports
// whether it was new. ok is false when the set is full and val was not
// recorded.
func (s *pairSet) insert(bs []bucket, owner int32, gen uint32, val uint64) (added, ok bool) {
	// Below maxSize the table doubles when its live values would fill more
	// than 3/8 of it (half of the room before a rebuild): a set whose live
	// values reach its capacity is then at maxSize.
	if n := len(s.slots); n < s.maxSize && s.live+1 > n*3/8 {
		s.resize(min(max(2*n, minPairSlots), s.maxSize), bs)
	}
	o := owner + 1
	h := pairHash(owner, gen, val)
	i := h & s.mask
	reuse := int64(-1)
	for {
		e := &s.slots[i]
		if e.owner == 0 {
			break
		}
		if e.owner == o && e.gen == gen && e.val == val {
			return false, true
		}
		if reuse < 0 && bs[e.owner-1].gen != e.gen {
			reuse = int64(i)
		}
		i = (i + 1) & s.mask
	}
	if s.live >= s.capacity {
		s.full++
		return false, false
	}
	if reuse >= 0 {
		s.slots[reuse] = pairEntry{owner: o, gen: gen, val: val}
		s.mark(h)
		s.live++
		return true, true
	}
	// Rebuild at 3/4 occupancy (live and stale): linear probing at 7/8
	// walked ~30 slots per new value, each a cache miss plus a read of
	// the owner bucket's generation.
	if s.used+1 > len(s.slots)*3/4 {
		s.resize(len(s.slots), bs)
		return s.insert(bs, owner, gen, val)
	}
	s.slots[i] = pairEntry{owner: o, gen: gen, val: val}
	s.mark(h)
	s.used++
	s.live++
	return true, true
}

// reserve takes room for one value held outside the table (a bucket's
// first value) and reports whether there was room.
func (s *pairSet) reserve() bool {
	if s.live >= s.capacity {
		s.full++
		return false
	}
	s.live++
	return true
}

// contains reports whether val is recorded for bucket owner of generation gen.
func (s *pairSet) contains(owner int32, gen uint32, val uint64) bool {
	if s.slots == nil {
		return false
	}
	h := pairHash(owner, gen, val)
	if b := seenBits(h); *s.seenWord(h)&b != b {
		return false
	}
	o := owner + 1
	i := h & s.mask
	for {
		e := &s.slots[i]
		if e.owner == 0 {
			return false
		}
		if e.owner == o && e.gen == gen && e.val == val {
			return true
		}
		i = (i + 1) & s.mask
	}
}

// forget is called when a bucket's generation moves on: its n values
// become stale.
func (s *pairSet) forget(n uint32) { s.live -= int(n) }

// resize copies the live entries into a table of size slots (the spare
// one when it has that size), dropping stale ones.
func (s *pairSet) resize(size int, bs []bucket) {
	if len(s.spare) != size {
		s.spare = make([]pairEntry, size)
	} else {
		clear(s.spare)
	}
	if len(s.seen) != size/8 {
		s.seen = make([]uint64, size/8)
	} else {
		clear(s.seen)
	}
	mask := uint64(size - 1)
	used := 0
	for _, e := range s.slots {
		if e.owner == 0 || bs[e.owner-1].gen != e.gen {
			continue
		}
		h := pairHash(e.owner-1, e.gen, e.val)
		s.mark(h)
		i := h & mask
		for s.spare[i].owner != 0 {
			i = (i + 1) & mask
		}
		s.spare[i] = e
		used++
	}
	s.slots, s.spare = s.spare, s.slots
	s.mask = mask
	s.used = used
	if len(s.spare) != size {
		// Grown: the spare is taken now at the largest size, so that a
		// full set's rebuilds never allocate; below, by the next rebuild.
		s.spare = nil
		if size == s.maxSize {
			s.spare = make([]pairEntry, size)
		}
	}
}

// HyperLogLog with 256 one-byte registers per bucket (standard error about
// 6.5%), used to estimate distinct sources beyond the exact per-key cap.
const hllRegs = 256

func hllAdd(regs []uint8, h uint64) {
	i := h >> 56
	rank := uint8(bits.LeadingZeros64(h<<8|1<<7)) + 1
	if rank > regs[i] {
		regs[i] = rank
	}
}

func hllEstimate(regs []uint8) uint64 {
	const m = float64(hllRegs)
	sum, zeros := 0.0, 0
	for _, r := range regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return uint64(e + 0.5)
}

// topCountries counts packets per source country with the space-saving
// algorithm over topSlots counters: exact while at most topSlots countries
// are seen, otherwise an over-estimate for late newcomers. It is 64 bytes,
// one cache line of the page-aligned per-rule array; counts saturate at
// 2^32-1 packets per window.
const topSlots = 8

type topCountries struct {
	c    [topSlots]geo.CountryID
	n    [topSlots]uint32
	used uint8
	_    [64 - topSlots*2 - topSlots*4 - 1]byte
}

func (t *topCountries) add(c geo.CountryID) {
	for i := range t.used {
		if t.c[i] == c {
			if t.n[i] != math.MaxUint32 {
				t.n[i]++
			}
			return
		}
	}
	if t.used < topSlots {
		t.c[t.used], t.n[t.used] = c, 1
		t.used++
		return
	}
	m := 0
	for i := 1; i < topSlots; i++ {
		if t.n[i] < t.n[m] {
			m = i
		}
	}
	t.c[m] = c
	if t.n[m] != math.MaxUint32 {
		t.n[m]++
	}
}

// top returns the k largest counts, largest first, ties by country code.
// Unknown countries are reported as "".
func (t *topCountries) top(k int) []alert.CountryCount {
	out := make([]alert.CountryCount, 0, t.used)
	for i := range t.used {
		out = append(out, alert.CountryCount{Country: t.c[i].String(), Packets: uint64(t.n[i])})
	}
	slices.SortFunc(out, func(a, b alert.CountryCount) int {
		if c := cmp.Compare(b.Packets, a.Packets); c != 0 {
			return c
		}
		return cmp.Compare(a.Country, b.Country)
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}
