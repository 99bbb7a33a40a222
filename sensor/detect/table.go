package detect

import (
	"math/bits"
	"net/netip"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// tkey is what a rule tracks: one address, an address pair or a flow.
// Addresses are held as the two words of their 16-byte form
// (geo.AddrWords).
type tkey struct {
	a0, a1, b0, b1 uint64
	pa, pb         uint16
	proto          uint8
	v4             bool
}

// hash is the key's hash for the rule's table and doorkeeper (it leaves
// the engine only through their layout). Each word is multiplied by its
// own odd constant and rotated, the products xored and mixed once: the
// five multiplications are independent, where a chain of five mixes
// (flow.Key.Hash) waits for each in turn; a packet hashes a key for
// every rule it counts in (about 4 on the real-tool mix).
func (k *tkey) hash() uint64 {
	var v4 uint64
	if k.v4 {
		v4 = 1
	}
	h := k.a0*0x9e3779b97f4a7c15 ^
		bits.RotateLeft64(k.a1*0xc2b2ae3d27d4eb4f, 17) ^
		bits.RotateLeft64(k.b0*0x165667b19e3779f9, 31) ^
		bits.RotateLeft64(k.b1*0xd6e8feb86659fd93, 47) ^
		(uint64(k.pa)|uint64(k.pb)<<16|uint64(k.proto)<<32|v4<<40)*0xff51afd7ed558ccd
	return flow.Mix(h)
}

// equal compares field by field: inlined, where == on the struct calls the
// runtime's memequal.
func (k *tkey) equal(o *tkey) bool {
	return k.a0 == o.a0 && k.a1 == o.a1 && k.b0 == o.b0 && k.b1 == o.b1 &&
		k.pa == o.pa && k.pb == o.pb && k.proto == o.proto && k.v4 == o.v4
}

// addrHash is a deterministic hash of an address; IPv4-mapped IPv6
// addresses hash as IPv4.
func addrHash(a netip.Addr) uint64 {
	a = a.Unmap()
	hi, lo := geo.AddrWords(a)
	return wordsHash(hi, lo, a.Is4())
}

// wordsHash is addrHash of the unmapped address of words hi and lo
// (geo.AddrWords), IPv4 when v4.
func wordsHash(hi, lo uint64, v4 bool) uint64 {
	h := flow.Mix(0x51ed270b27a3c4e5 ^ hi)
	h = flow.Mix(h ^ lo)
	if v4 {
		h = flow.Mix(h ^ 4)
	}
	return h
}

// Shard returns the shard (0 ≤ shard < n) that owns state keyed by addr. The
// pipeline sends a packet to the workers owning Shard(src, n) and
// Shard(dst, n), once to a worker owning both. n ≤ 1 gives 0.
func Shard(addr netip.Addr, n int) int {
	if n <= 1 {
		return 0
	}
	return int(addrHash(addr) % uint64(n))
}

// bucket is the state of one tracked key of one rule: 128 bytes, so that a
// bucket spans two cache lines of one 128-byte pair (the bucket array is
// page-aligned).
type bucket struct {
	key        tkey
	prev, next int32
	// gen changes every time the bucket's distinct values are dropped (window
	// reset, firing, reuse for another key); distinct-set entries of an older
	// generation are stale. It is never reset, so a reused bucket cannot see
	// the values of the key that held it before.
	gen      uint32
	distinct uint32 // exact distinct values recorded in this window
	// one is the first distinct value of the window (when distinct > 0):
	// it is held here rather than in the rule's pairSet, which most keys,
	// seeing a single value, then never touch.
	one        uint64
	winStart   int64  // capture time of the first packet of the window
	last       int64  // capture time of the last packet
	lruAt      int64  // capture time the bucket last moved to the LRU front
	pushedAt   uint32 // the table's push count when it did
	packets    uint64
	bytes      uint64
	quietUntil int64  // suppressed until this capture time
	suppressed uint32 // occurrences suppressed since the last alert
	saturated  bool   // a distinct value could not be recorded exactly
}

// table is a bounded open-addressing hash table of buckets with one LRU list.
// Its memory grows with the keys it holds: it starts empty, allocates
// minBuckets buckets for its first key and doubles (copying the buckets,
// whose indexes stay, and re-placing the slots) until it holds capacity
// buckets; only then does a new key evict one. A table that reached its
// capacity allocates nothing more.
//
// The LRU list is not relinked on every touch: moving a bucket to the front
// touches its neighbours in the list, two more cache misses. A touched
// bucket moves when grain of capture time passed since its last move, or
// when more than a quarter of the table's capacity of buckets were pushed
// to the front since (the list's push count): so a busy key moves about
// once per grain, a key touched at least once every 3/4 of the capacity's
// pushes is never the eviction victim, and expire drops a key at most
// grain after it went idle. Eviction passes over keys whose alert is
// suppressed (evict).
type table struct {
	b []bucket
	// slots hold bucket index+1 in the low 32 bits (0 empty) and the low 32
	// bits of the key's hash in the high ones, so that probing and
	// backward-shift deletion compare and place keys without reading
	// buckets (a cache miss each); linear probing. len(slots) is the
	// power of two at or above 2*len(b).
	slots []uint64
	mask  uint64
	// capacity is the most buckets the table holds (len(b) grows to it).
	capacity int
	// free heads the list of dropped buckets; fresh is the first bucket
	// never used. Buckets are handed out from the list, then from fresh, so
	// that a table's memory is only touched (and faulted in) as keys come.
	free       int32
	fresh      int32
	n          int
	head, tail int32
	grain      int64
	pushes     uint32 // buckets pushed to the front so far (wraps)
	moveAfter  uint32 // capacity/4: pushes after which a touch moves a bucket
	evicted    uint64
	expired    uint64
	// onDrop is called for a bucket about to be removed or evicted.
	onDrop func(idx int32)
	// onGrow is called after the bucket array grew to n buckets, for the
	// arrays kept per bucket beside the table.
	onGrow func(n int)
}

// minBuckets is the number of buckets a table allocates for its first key.
const minBuckets = 64

// maxTableCapacity bounds capacity so that a slot's 32 hash bits address
// every slot.
const maxTableCapacity = 1 << 30

func newTable(capacity int, grain int64) *table {
	capacity = min(max(capacity, 1), maxTableCapacity)
	return &table{capacity: capacity, head: none, tail: none, free: none, grain: grain, moveAfter: uint32(capacity / 4)}
}

// slotsFor is the slot array size for n buckets: the power of two at or
// above 2n.
func slotsFor(n int) int {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return size
}

// grow doubles the bucket array (up to capacity) and re-places the slots
// in an array sized for it. Bucket indexes do not change.
func (t *table) grow() {
	n := min(max(2*len(t.b), minBuckets), t.capacity)
	nb := make([]bucket, n)
	copy(nb, t.b)
	t.b = nb
	if size := slotsFor(n); size > len(t.slots) {
		ns := make([]uint64, size)
		mask := uint64(size - 1)
		for _, v := range t.slots {
			if v == 0 {
				continue
			}
			s := v >> 32 & mask
			for ns[s] != 0 {
				s = (s + 1) & mask
			}
			ns[s] = v
		}
		t.slots, t.mask = ns, mask
	}
	if t.onGrow != nil {
		t.onGrow(n)
	}
}

const none = -1

// get returns the bucket of k touched at capture time ts, creating it (and
// evicting the least recently used bucket when full) if needed; a new
// bucket, or one last moved at least grain before ts, moves to the front of
// the LRU.
func (t *table) get(k *tkey, ts int64) (int32, bool) {
	return t.getHash(k, k.hash(), ts, true)
}

// getHash is get for a key of hash h; with create false, a key the table
// does not hold gives none.
func (t *table) getHash(k *tkey, h uint64, ts int64, create bool) (int32, bool) {
	if t.slots == nil {
		if !create {
			return none, false
		}
		t.grow()
	}
	idx, _ := t.find(k, h)
	if idx >= 0 {
		if b := &t.b[idx]; ts-b.lruAt >= t.grain || t.pushes-b.pushedAt > t.moveAfter {
			if t.head != idx {
				t.unlink(idx)
				t.pushFront(idx)
			}
			b.lruAt = ts
		}
		return idx, false
	}
	if !create {
		return none, false
	}
	switch {
	case t.free != none:
	case int(t.fresh) < len(t.b):
		t.free = t.fresh
		t.b[t.fresh].next = none
		t.fresh++
	case len(t.b) < t.capacity:
		t.grow()
		t.free = t.fresh
		t.b[t.fresh].next = none
		t.fresh++
	default:
		t.evict(ts)
	}
	idx = t.free
	b := &t.b[idx]
	t.free = b.next
	gen := b.gen + 1
	*b = bucket{key: *k, gen: gen, prev: none, next: none, lruAt: ts}
	_, s := t.find(k, h)
	t.slots[s] = slotOf(h, idx)
	t.n++
	t.pushFront(idx)
	return idx, true
}

// secondChances bounds how many suppressing keys evict passes over.
const secondChances = 8

// evict drops the least recently used bucket, passing over (moving to the
// front) up to secondChances buckets whose alert is suppressed at ts: a
// key that alerted keeps its suppression while a flood of one-packet keys
// (spoofed sources) churns the table, instead of alerting again as a new
// key when it comes back. Keys that never alerted go first.
func (t *table) evict(ts int64) {
	victim := t.tail
	for range secondChances {
		if t.b[victim].quietUntil <= ts || victim == t.head {
			break
		}
		t.unlink(victim)
		t.pushFront(victim)
		victim = t.tail
	}
	t.evicted++
	t.drop(victim)
}

// lookup returns the bucket of k without touching it, or none.
func (t *table) lookup(k *tkey) int32 { return t.lookupHash(k, k.hash()) }

// lookupHash is lookup for a key whose hash h the caller has.
func (t *table) lookupHash(k *tkey, h uint64) int32 {
	if t.n == 0 {
		return none
	}
	idx, _ := t.find(k, h)
	return idx
}

// slotOf is the slot value of bucket idx holding a key of hash h.
func slotOf(h uint64, idx int32) uint64 { return h<<32 | uint64(uint32(idx+1)) }

func (t *table) find(k *tkey, h uint64) (int32, uint64) {
	s := h & t.mask
	tag := h << 32
	for {
		v := t.slots[s]
		if v == 0 {
			return none, s
		}
		if v&^0xffffffff == tag {
			idx := int32(uint32(v)) - 1
			if t.b[idx].key.equal(k) {
				return idx, s
			}
		}
		s = (s + 1) & t.mask
	}
}

// expire drops the buckets not touched for longer than idle. It walks from
// the LRU tail and stops at the first bucket touched within idle: the ones
// after it moved later, and were touched less than grain before it.
func (t *table) expire(now, idle int64) {
	for t.tail != none && now-t.b[t.tail].last > idle {
		t.expired++
		t.drop(t.tail)
	}
}

// reset drops every bucket.
func (t *table) reset() {
	for t.tail != none {
		t.drop(t.tail)
	}
}

// drop removes bucket idx with backward-shift deletion.
func (t *table) drop(idx int32) {
	if t.onDrop != nil {
		t.onDrop(idx)
	}
	b := &t.b[idx]
	_, s := t.find(&b.key, b.key.hash())
	t.unlink(idx)
	b.gen++
	b.next = t.free
	t.free = idx
	t.n--
	t.slots[s] = 0
	i, j := s, s
	for {
		j = (j + 1) & t.mask
		v := t.slots[j]
		if v == 0 {
			return
		}
		home := v >> 32 & t.mask // the low bits of the hash
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = v
			t.slots[j] = 0
			i = j
		}
	}
}

func (t *table) pushFront(idx int32) {
	b := &t.b[idx]
	b.pushedAt = t.pushes
	t.pushes++
	b.prev = none
	b.next = t.head
	if t.head != none {
		t.b[t.head].prev = idx
	} else {
		t.tail = idx
	}
	t.head = idx
}

func (t *table) unlink(idx int32) {
	b := &t.b[idx]
	if b.prev != none {
		t.b[b.prev].next = b.next
	} else {
		t.head = b.next
	}
	if b.next != none {
		t.b[b.next].prev = b.prev
	} else {
		t.tail = b.prev
	}
	b.prev, b.next = none, none
}
