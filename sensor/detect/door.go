package detect

import (
	"math/bits"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
)

// door is a rule's doorkeeper (issue 16 §2): a key the rule's table does not
// hold gets a bucket only at its second packet. The first is held here, in
// a 4-way set-associative array indexed by the key's hash, with what it adds to a
// bucket (time, IP bytes, distinct value, source country); the second
// packet creates the bucket, replays the first into it and counts itself,
// so the bucket holds what it would have held without the door. One-packet
// keys (the sources of a spoofed flood) thus cost one 32-byte slot write
// instead of a bucket, an eviction and the LRU relinking of both.
//
// A slot holds the first packet of one key; a key's packet may go in any
// of the doorWays slots of its set. When the set is full, another key's
// first packet replaces the set's oldest (counted in FirstOverwritten when
// it was younger than the rule's idle time, after which the key would have
// expired anyway); that key then starts one packet later. So, as keys in
// the table's LRU, a first packet survives about as many other keys' first
// packets as the door has slots. The array starts at doorMin slots and
// doubles whenever a packet would replace one that is not stale, up to the
// power of two at or above the rule's MaxKeys (32 bytes a slot, a quarter
// of a bucket); only then are packets replaced.
//
// The door is for rules a single packet cannot fire (doorOK): rules
// tracking a source or a pair with a threshold over one packet or value,
// and, per packet, a packet (not a kernel byte report) under the bytes
// threshold. Matching is on the 63 bits of the key's hash kept (the key
// itself is not): two keys of one hash, which the table tells apart, share
// a slot here, so the second key's first packet would be credited with
// the first's: a chance of about 2^-63 per new key for traffic that does
// not choose its hashes; the hash, as the table's, is not keyed.
//
// The rules of an engine that track the same key (source or pair) with the
// same idle time and MaxKeys share one door, up to doorRules of them (New):
// a packet that is the first of its key for several of them is held in one
// slot, a bit per rule in its mask, and a packet counted by several looks
// its key up in one set (the first rule's miss brings the set's two cache
// lines; the others find them in cache), where each rule had its own door.
// A rule whose first packet of a key is another packet than the one held
// for other rules gets a slot of its own in the same set, so each rule's
// table holds what it would with a door of its own; only the replacement
// of held packets under pressure is shared (the set's oldest goes first,
// whichever rules hold it).
type door struct {
	e    []doorEntry
	max  int // largest len(e): the power of two at or above MaxKeys
	over [doorRules]uint64
	// rules is the number of rules sharing the door (bits of mask); dst
	// says whether one of them counts distinct destinations (the held
	// packet then keeps its destination's hash).
	rules int
	dst   bool
}

// doorEntry is a held first packet; h is 0 for an empty slot. It keeps
// what any rule of the door adds to a bucket for it, and mask says which
// rules hold it as their first packet of the key.
type doorEntry struct {
	h       uint64 // key hash | doorUsed
	ts      int64
	dstH    uint64 // addrHash of the destination (door.dst), else 0
	bytes   uint16 // IP bytes (packets over 65535 bytes do not wait)
	country geo.CountryID
	dport   uint16
	proto   uint8
	mask    uint8 // bit i: rule i of the door holds this packet
}

// doorRules is the most rules a door is shared by (bits of doorEntry.mask).
const doorRules = 8

const (
	doorUsed = 1 << 63
	doorMin  = 256
	doorWays = 4 // slots a hash may use: 128 bytes, two cache lines
)

func newDoor(maxKeys int) *door {
	n := doorMin
	for n < maxKeys && n < maxTableCapacity {
		n <<= 1
	}
	return &door{max: n, rules: 1}
}

// doorOK reports whether no single packet can fire rule state rs, so that
// a key's first packet may wait in the door; the per-packet part (a packet,
// not a byte report, and under the bytes threshold) is checked by count.
func doorOK(rs *ruleState) bool {
	if rs.track != rules.TrackSrc && rs.track != rules.TrackPair || rs.kind == rules.KindAmplification {
		return false
	}
	th := &rs.r.Threshold
	if rs.counts != rules.DistinctNone {
		return th.Count != 1 // 0 never fires; one packet adds one value
	}
	if th.Count == 0 && th.Bytes == 0 {
		return false // fires on every packet
	}
	return th.Count != 1 && (rs.burstWin == 0 || th.Burst != 1)
}

// take copies into *held the first packet of the key of hash f.h that the
// door holds for its rule bit, frees the rule's hold and returns true (the
// held packet is written through a pointer: returned by value, its fields
// came back in registers, were stored narrow on the caller's stack and read
// back wide, a store-forwarding stall on every key's second packet). Else it holds
// f as that rule's first packet and returns false and f's slot: merged
// into slot own (a slot the current packet wrote for another rule of the
// door, -1 for none) when own holds the key, else in a slot of its own.
// When the set is full, its oldest packet is replaced (counted, for each
// rule holding it, when it was not older than stale). alone reports that f
// went to a slot of its own and the set held no other packet of the key:
// the other rules of the door then hold none either, and one that counts
// the same packet can join f's slot without looking (join).
func (d *door) take(f doorEntry, bit uint8, own int, stale int64, held *doorEntry) (ok bool, slot int, alone bool) {
	if d.e == nil {
		d.e = make([]doorEntry, min(doorMin, d.max))
	}
	f.h |= doorUsed
	m := uint8(1) << bit
	base, set := d.set(f.h)
	seen := false // the set holds a packet of the key for another rule
	for i := range set {
		if set[i].h == f.h {
			if set[i].mask&m != 0 {
				*held = set[i]
				if set[i].mask &^= m; set[i].mask == 0 {
					set[i] = doorEntry{}
				}
				return true, own, false
			}
			seen = true
		}
	}
	if own >= 0 && own < len(d.e) && d.e[own].h == f.h {
		d.e[own].mask |= m
		return false, own, false
	}
	f.mask = m
	// Like the table, which grows to its capacity before it evicts, the
	// door grows before it replaces a packet that is not stale.
	for {
		v := victim(set)
		if set[v].h == 0 || set[v].ts <= stale {
			set[v] = f
			return false, base + v, !seen
		}
		if len(d.e) >= d.max {
			for r := set[v].mask; r != 0; r &= r - 1 {
				d.over[bits.TrailingZeros8(r)]++
			}
			set[v] = f
			return false, base + v, !seen
		}
		d.grow()
		base, set = d.set(f.h)
	}
}

// join adds rule bit to the holders of slot, which take filled with the
// packet being counted for another rule and reported alone: the set holds
// no other packet of the key, so the rule holds none to take back, and
// take would have merged it into the slot after looking through the set.
func (d *door) join(slot int, bit uint8) { d.e[slot].mask |= 1 << bit }

// set returns the doorWays slots of hash h and the index of the first.
func (d *door) set(h uint64) (int, []doorEntry) {
	i := int(h&uint64(len(d.e)/doorWays-1)) * doorWays
	return i, d.e[i : i+doorWays : i+doorWays]
}

// victim returns the slot of set to fill: an empty one, else the oldest.
func victim(set []doorEntry) int {
	v := 0
	for i := range set {
		if set[i].h == 0 {
			return i
		}
		if set[i].ts < set[v].ts {
			v = i
		}
	}
	return v
}

// grow doubles the array, re-placing the held packets: a set's packets go
// to the two sets it splits into, so none is lost.
func (d *door) grow() {
	old := d.e
	d.e = make([]doorEntry, 2*len(old))
	for _, x := range old {
		if x.h == 0 {
			continue
		}
		_, set := d.set(x.h)
		for i := range set {
			if set[i].h == 0 {
				set[i] = x
				break
			}
		}
	}
}

// reset forgets every held packet.
func (d *door) reset() { clear(d.e) }
