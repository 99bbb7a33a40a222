package flow

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// State is the state of a flow.
type State uint8

// Flow states.
const (
	StateNew         State = iota // only the initiator has sent packets
	StateEstablished              // both sides have sent packets
	StateClosed                   // TCP: RST seen, or FIN seen from both sides
)

// String returns "new", "established" or "closed".
func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateEstablished:
		return "established"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// Config sizes the table and sets the idle timeouts. Zero values take the
// defaults of DefaultConfig.
type Config struct {
	Capacity int // maximum number of flows

	TCPNew           time.Duration
	TCPEstablished   time.Duration
	TCPClosed        time.Duration
	UDPNew           time.Duration
	UDPEstablished   time.Duration
	ICMPNew          time.Duration
	ICMPEstablished  time.Duration
	OtherNew         time.Duration
	OtherEstablished time.Duration
}

// DefaultConfig returns the defaults: 65536 flows and Suricata's default flow
// timeouts.
func DefaultConfig() Config {
	return Config{
		Capacity:         1 << 16,
		TCPNew:           60 * time.Second,
		TCPEstablished:   600 * time.Second,
		TCPClosed:        60 * time.Second,
		UDPNew:           30 * time.Second,
		UDPEstablished:   300 * time.Second,
		ICMPNew:          30 * time.Second,
		ICMPEstablished:  300 * time.Second,
		OtherNew:         30 * time.Second,
		OtherEstablished: 300 * time.Second,
	}
}

// Key is a normalized 5-tuple: endpoint A is the smaller (address, port).
type Key struct {
	A, B         [16]byte // addresses in 16-byte form (IPv4 mapped)
	APort, BPort uint16
	Proto        uint8
	V4           bool // both addresses are IPv4
}

// AddrA returns endpoint A's address.
func (k *Key) AddrA() netip.Addr { return keyAddr(k.A, k.V4) }

// AddrB returns endpoint B's address.
func (k *Key) AddrB() netip.Addr { return keyAddr(k.B, k.V4) }

func keyAddr(b [16]byte, v4 bool) netip.Addr {
	a := netip.AddrFrom16(b)
	if v4 {
		return a.Unmap()
	}
	return a
}

// Entry is one flow. Direction index 0 is initiator→responder (to server),
// 1 is responder→initiator (to client).
//
// The fields are laid out for the cache: an Entry is 128 bytes, the key and
// times (what a lookup compares and reads) in its first 64, the counters in
// the second. The flow id is not stored: ID computes it from the key.
type Entry struct {
	Key       Key
	FirstSeen int64 // capture time, ns since the Unix epoch
	LastSeen  int64
	Packets   [2]uint64
	Bytes     [2]uint64 // IP lengths
	// Payload is the transport payload bytes each way (retransmissions
	// included): Payload[0] > 0 tells that the initiator has sent data.
	Payload  [2]uint64
	TCPFlags [2]uint8 // union of the flags seen each way
	// InitiatorIsA tells which endpoint of Key started the flow.
	InitiatorIsA bool
	// InitiatorSYN is set when the initiator sent a SYN without ACK.
	InitiatorSYN bool
	State        State

	class uint8 // timeout class: the LRU list the entry is on
	_     [18]byte
}

// ID returns the flow id: Key.ID of the entry's key. It is computed on each
// call (five dependent mixing rounds, ~10 ns), for alerts and records; the
// table indexes entries by a cheaper hash.
func (e *Entry) ID() uint64 { return e.Key.ID() }

// Initiator returns the address and port of the side that started the flow.
func (e *Entry) Initiator() (netip.Addr, uint16) {
	if e.InitiatorIsA {
		return e.Key.AddrA(), e.Key.APort
	}
	return e.Key.AddrB(), e.Key.BPort
}

// Responder returns the address and port of the other side.
func (e *Entry) Responder() (netip.Addr, uint16) {
	if e.InitiatorIsA {
		return e.Key.AddrB(), e.Key.BPort
	}
	return e.Key.AddrA(), e.Key.APort
}

// Result is what Update returns for one packet.
type Result struct {
	// Entry is the packet's flow. It stays valid until the next Update or
	// Expire call on the table, which may evict or reuse it.
	Entry *Entry
	// IsNew is set when this packet created the flow.
	IsNew bool
	// ToServer is set when the packet goes from the initiator to the
	// responder (EVE direction "to_server"); otherwise it is "to_client".
	ToServer bool
}

// Stats are the table's counters.
type Stats struct {
	Flows    int    // flows in the table now
	Capacity int    // maximum flows
	Created  uint64 // flows created
	Expired  uint64 // flows removed after their idle timeout
	Evicted  uint64 // flows evicted because the table was full
	Reused   uint64 // closed TCP flows replaced by a new connection (SYN) on the same ports
}

// Add adds o's counters to s, as for the tables of several workers.
func (s *Stats) Add(o Stats) {
	s.Flows += o.Flows
	s.Capacity += o.Capacity
	s.Created += o.Created
	s.Expired += o.Expired
	s.Evicted += o.Evicted
	s.Reused += o.Reused
}

// Timeout classes: one LRU list each, so that every list is ordered by idle
// deadline and expiry only looks at list tails.
const (
	classTCPNew = iota
	classTCPEst
	classTCPClosed
	classUDPNew
	classUDPEst
	classICMPNew
	classICMPEst
	classOtherNew
	classOtherEst
	numClasses
)

const none = -1

// Table is a bounded flow table. Create it with New.
//
// Memory layout, for few cache misses per packet: entries is an array of
// 128-byte Entry values; slots is an open-addressing index (linear probing,
// at most half full) whose 8-byte slots hold the entry index and the low 32
// bits of the key's index hash (Key.index, not the flow id's hash), so that a probe compares hashes without touching
// an entry, and deletion finds a slot's home without touching one either;
// the LRU lists' links are a separate array of 24-byte records, so that
// moving an entry to the front of its list touches its neighbours' links,
// not their entries. A link also holds its entry's last-seen time, class and
// the low 32 bits of its index hash (the slot's tag and home), so that expiry and
// eviction walk the lists and clear the index without touching an entry.
type Table struct {
	entries  []Entry
	links    []link   // LRU list of each entry's class, or free list
	slots    []uint64 // hash<<32 | entry index+1; 0 empty
	mask     uint64
	free     int32
	n        int
	head     [numClasses]int32
	tail     [numClasses]int32
	timeouts [numClasses]int64
	stats    Stats
}

// link is an entry's place in its LRU list (or the free list: next only),
// with what expiry needs of the entry: its LastSeen, class and the low 32
// bits of its key's index hash.
type link struct {
	prev, next int32
	id         uint32 // low 32 bits of the key's index hash: its slot's tag and home
	class      uint8  // the LRU list the entry is on
	seen       int64  // the entry's LastSeen
}

// idMask keeps the 53 bits of a hash that make the flow id.
const idMask = 1<<53 - 1

// New returns an empty table with all its memory allocated.
func New(cfg Config) *Table {
	d := DefaultConfig()
	if cfg.Capacity <= 0 {
		cfg.Capacity = d.Capacity
	}
	pick := func(v, def time.Duration) int64 {
		if v <= 0 {
			v = def
		}
		return int64(v)
	}
	if cfg.Capacity > 1<<30 {
		cfg.Capacity = 1 << 30 // entry indexes are int32, the slot array 2× larger
	}
	t := &Table{entries: make([]Entry, cfg.Capacity)}
	t.timeouts = [numClasses]int64{
		classTCPNew:    pick(cfg.TCPNew, d.TCPNew),
		classTCPEst:    pick(cfg.TCPEstablished, d.TCPEstablished),
		classTCPClosed: pick(cfg.TCPClosed, d.TCPClosed),
		classUDPNew:    pick(cfg.UDPNew, d.UDPNew),
		classUDPEst:    pick(cfg.UDPEstablished, d.UDPEstablished),
		classICMPNew:   pick(cfg.ICMPNew, d.ICMPNew),
		classICMPEst:   pick(cfg.ICMPEstablished, d.ICMPEstablished),
		classOtherNew:  pick(cfg.OtherNew, d.OtherNew),
		classOtherEst:  pick(cfg.OtherEstablished, d.OtherEstablished),
	}
	size := 1
	for size < 2*cfg.Capacity {
		size <<= 1
	}
	t.slots = make([]uint64, size)
	t.mask = uint64(size - 1)
	t.links = make([]link, cfg.Capacity)
	for i := range t.links {
		t.links[i].next = int32(i + 1)
	}
	t.links[len(t.links)-1].next = none
	t.free = 0
	for c := range t.head {
		t.head[c], t.tail[c] = none, none
	}
	t.stats.Capacity = cfg.Capacity
	return t
}

// Len returns the number of flows in the table.
func (t *Table) Len() int { return t.n }

// Stats returns the table's counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Flows = t.n
	return s
}

// KeyOf returns the normalized key of a packet and whether the packet's
// source is endpoint A.
func KeyOf(p *decode.Packet) (Key, bool) {
	var k Key
	srcIsA := keyOf(p, &k)
	return k, srcIsA
}

// keyOf fills k with the normalized key of p and returns whether the
// packet's source is endpoint A. Endpoints are ordered as netip.Addr.Compare
// orders the unmapped addresses (IPv4 before IPv6, then by address), then
// by port.
func keyOf(p *decode.Packet, k *Key) bool {
	sp, dp := p.SrcPort, p.DstPort
	if p.Proto == decode.ProtoICMP || p.Proto == decode.ProtoICMPv6 {
		dp = sp // the echo identifier, the same both ways
	}
	if p.Fragment && !p.FirstFragment {
		sp, dp = 0, 0
	}
	// The words of the 16-byte form (As16: IPv4-mapped for IPv4 and
	// IPv4-mapped IPv6 alike), read without As16's array, whose 16-byte
	// copy into the key the CPU cannot forward from its two 8-byte stores.
	sh, sl := geo.AddrWords(p.Src)
	dh, dl := geo.AddrWords(p.Dst)
	s4 := p.Src.Is4() || p.Src.Is4In6()
	d4 := p.Dst.Is4() || p.Dst.Is4In6()
	var c int
	switch {
	case !p.Src.IsValid() || !p.Dst.IsValid():
		c = p.Src.Unmap().Compare(p.Dst.Unmap()) // the zero Addr first
	case s4 != d4:
		c = 1 // IPv6 after IPv4
		if s4 {
			c = -1
		}
	default:
		switch {
		case sh < dh || sh == dh && sl < dl:
			c = -1
		case sh > dh || sl > dl:
			c = 1
		default:
			c = p.Src.Unmap().Compare(p.Dst.Unmap()) // equal addresses: zones decide
		}
	}
	k.Proto, k.V4 = p.Proto, s4 && d4
	srcIsA := c < 0 || (c == 0 && sp <= dp)
	if !srcIsA {
		sh, sl, dh, dl, sp, dp = dh, dl, sh, sl, dp, sp
	}
	binary.BigEndian.PutUint64(k.A[0:8], sh)
	binary.BigEndian.PutUint64(k.A[8:16], sl)
	binary.BigEndian.PutUint64(k.B[0:8], dh)
	binary.BigEndian.PutUint64(k.B[8:16], dl)
	k.APort, k.BPort = sp, dp
	return srcIsA
}

// equal reports whether k and o are the same key, comparing 8 bytes at a time.
func (k *Key) equal(o *Key) bool {
	return binary.LittleEndian.Uint64(k.A[0:8]) == binary.LittleEndian.Uint64(o.A[0:8]) &&
		binary.LittleEndian.Uint64(k.A[8:16]) == binary.LittleEndian.Uint64(o.A[8:16]) &&
		binary.LittleEndian.Uint64(k.B[0:8]) == binary.LittleEndian.Uint64(o.B[0:8]) &&
		binary.LittleEndian.Uint64(k.B[8:16]) == binary.LittleEndian.Uint64(o.B[8:16]) &&
		k.APort == o.APort && k.BPort == o.BPort && k.Proto == o.Proto && k.V4 == o.V4
}

// Hash returns the deterministic 64-bit hash of a key, from which ID takes
// the flow id. It must not change: alerts carry the id.
func (k *Key) Hash() uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	h = Mix(h ^ binary.LittleEndian.Uint64(k.A[0:8]))
	h = Mix(h ^ binary.LittleEndian.Uint64(k.A[8:16]))
	h = Mix(h ^ binary.LittleEndian.Uint64(k.B[0:8]))
	h = Mix(h ^ binary.LittleEndian.Uint64(k.B[8:16]))
	var v4 uint64
	if k.V4 {
		v4 = 1
	}
	h = Mix(h ^ (uint64(k.APort) | uint64(k.BPort)<<16 | uint64(k.Proto)<<32 | v4<<40))
	return h
}

// ID returns the flow id of a key: its hash masked to 53 bits.
func (k *Key) ID() uint64 { return k.Hash() & idMask }

// index is the key's hash for the table's index (slot and tag). Each word
// is multiplied by its own odd constant and rotated, the products xored and
// mixed once: the five multiplications are independent, where Hash's chain
// of five mixes waits for each in turn, and the slot's load waits for the
// hash. It leaves the table only through its layout.
func (k *Key) index() uint64 {
	var v4 uint64
	if k.V4 {
		v4 = 1
	}
	h := binary.LittleEndian.Uint64(k.A[0:8])*0x9e3779b97f4a7c15 ^
		bits.RotateLeft64(binary.LittleEndian.Uint64(k.A[8:16])*0xc2b2ae3d27d4eb4f, 17) ^
		bits.RotateLeft64(binary.LittleEndian.Uint64(k.B[0:8])*0x165667b19e3779f9, 31) ^
		bits.RotateLeft64(binary.LittleEndian.Uint64(k.B[8:16])*0xd6e8feb86659fd93, 47) ^
		(uint64(k.APort)|uint64(k.BPort)<<16|uint64(k.Proto)<<32|v4<<40)*0xff51afd7ed558ccd
	return Mix(h)
}

// Mix is the splitmix64 finalizer: the hash mixer of flow keys, shared with
// the detection engine's key tables.
func Mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Update accounts a packet to its flow, creating the flow (and evicting the
// least recently used one when the table is full) if needed. It never
// allocates.
func (t *Table) Update(p *decode.Packet) Result {
	var k Key
	srcIsA := keyOf(p, &k)
	h := k.index()
	ts := p.Timestamp
	idx, slot := t.find(&k, h)
	var r Result
	if idx >= 0 {
		e := &t.entries[idx]
		if ts-e.LastSeen > t.timeouts[e.class] {
			// Idle past its timeout: the key starts a new flow.
			t.remove(idx, slot)
			t.stats.Expired++
			idx = none
		} else if e.State == StateClosed && p.Proto == decode.ProtoTCP &&
			p.TCPFlags&(decode.FlagSYN|decode.FlagACK|decode.FlagRST) == decode.FlagSYN {
			// A SYN on a closed connection: the port pair is reused.
			t.remove(idx, slot)
			t.stats.Reused++
			idx = none
		}
		if idx < 0 {
			slot = t.mask + 1 // removal moved slots: find again
		}
	}
	if idx < 0 {
		idx = t.insert(&k, h, slot)
		e := &t.entries[idx]
		e.InitiatorIsA = srcIsA
		if p.Proto == decode.ProtoTCP && p.TCPFlags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN|decode.FlagACK {
			e.InitiatorIsA = !srcIsA
		}
		e.FirstSeen, e.LastSeen = ts, ts
		e.class = classOf(k.Proto, StateNew)
		t.pushFront(idx, e.class)
		r.IsNew = true
	}
	e := &t.entries[idx]
	r.Entry = e
	r.ToServer = srcIsA == e.InitiatorIsA
	dir := 1
	if r.ToServer {
		dir = 0
	}
	if ts > e.LastSeen {
		e.LastSeen = ts
	}
	if ts < e.FirstSeen {
		e.FirstSeen = ts
	}
	e.Packets[dir] += p.Count()
	e.Bytes[dir] += uint64(p.IPLen)
	e.Payload[dir] += uint64(p.PayloadLen)
	if p.Proto == decode.ProtoTCP {
		e.TCPFlags[dir] |= p.TCPFlags
		if dir == 0 && p.TCPFlags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN {
			e.InitiatorSYN = true
		}
	}
	advanceState(e)
	c := classOf(k.Proto, e.State)
	if c != e.class || t.head[c] != idx {
		t.unlink(idx, e.class)
		e.class = c
		t.pushFront(idx, c)
	}
	t.links[idx].seen = e.LastSeen
	return r
}

func advanceState(e *Entry) {
	if e.State == StateClosed {
		return
	}
	if e.Key.Proto == decode.ProtoTCP {
		if (e.TCPFlags[0]|e.TCPFlags[1])&decode.FlagRST != 0 ||
			(e.TCPFlags[0]&e.TCPFlags[1])&decode.FlagFIN != 0 {
			e.State = StateClosed
			return
		}
	}
	if e.Packets[0] > 0 && e.Packets[1] > 0 {
		e.State = StateEstablished
	}
}

func classOf(proto uint8, s State) uint8 {
	switch proto {
	case decode.ProtoTCP:
		switch s {
		case StateEstablished:
			return classTCPEst
		case StateClosed:
			return classTCPClosed
		}
		return classTCPNew
	case decode.ProtoUDP:
		if s != StateNew {
			return classUDPEst
		}
		return classUDPNew
	case decode.ProtoICMP, decode.ProtoICMPv6:
		if s != StateNew {
			return classICMPEst
		}
		return classICMPNew
	}
	if s != StateNew {
		return classOtherEst
	}
	return classOtherNew
}

// Expire removes the flows idle for longer than their timeout at capture
// time now and returns how many it removed.
func (t *Table) Expire(now int64) int {
	removed := 0
	for c := range t.tail {
		for t.tail[c] != none {
			idx := t.tail[c]
			if now-t.links[idx].seen <= t.timeouts[c] {
				break
			}
			t.removeIdx(idx)
			t.stats.Expired++
			removed++
		}
	}
	return removed
}

// Lookup returns the flow of a packet without changing anything, or nil.
func (t *Table) Lookup(p *decode.Packet) *Entry {
	var k Key
	keyOf(p, &k)
	idx, _ := t.find(&k, k.index())
	if idx < 0 {
		return nil
	}
	return &t.entries[idx]
}

// find returns the entry index and slot of a key with index hash h, or none
// and the empty slot where it would go.
func (t *Table) find(k *Key, h uint64) (int32, uint64) {
	tag := h << 32
	s := h & t.mask
	for {
		v := t.slots[s]
		if v == 0 {
			return none, s
		}
		if v&^0xffffffff == tag {
			idx := int32(uint32(v)) - 1
			if e := &t.entries[idx]; e.Key.equal(k) {
				return idx, s
			}
		}
		s = (s + 1) & t.mask
	}
}

// insert adds an entry for key k with index hash h and returns its index.
// slot is the empty slot find returned for k, or beyond the slot array when
// unknown.
func (t *Table) insert(k *Key, h uint64, slot uint64) int32 {
	if t.free == none {
		t.evictLRU()
		slot = t.mask + 1
	}
	idx := t.free
	t.free = t.links[idx].next
	t.entries[idx] = Entry{Key: *k}
	t.links[idx].id = uint32(h)
	if slot > t.mask {
		_, slot = t.find(k, h)
	}
	t.slots[slot] = uint64(uint32(h))<<32 | uint64(idx+1)
	t.n++
	t.stats.Created++
	return idx
}

// evictLRU evicts the least recently used flow: the oldest of the class
// list tails.
func (t *Table) evictLRU() {
	victim := int32(none)
	var seen int64
	for c := range t.tail {
		i := t.tail[c]
		if i == none {
			continue
		}
		if ls := t.links[i].seen; victim == none || ls < seen {
			victim, seen = i, ls
		}
	}
	t.removeIdx(victim)
	t.stats.Evicted++
}

// removeIdx removes entry idx, found in the index by its link's id: the
// entry itself is not read.
func (t *Table) removeIdx(idx int32) {
	l := &t.links[idx]
	want := uint64(l.id)<<32 | uint64(idx+1)
	s := uint64(l.id) & t.mask
	for t.slots[s] != want {
		s = (s + 1) & t.mask
	}
	t.remove(idx, s)
}

// remove deletes entry idx stored at slot s, with backward-shift deletion
// so that probe chains stay intact without tombstones.
func (t *Table) remove(idx int32, s uint64) {
	t.unlink(idx, t.links[idx].class)
	t.links[idx].next = t.free
	t.free = idx
	t.n--
	t.slots[s] = 0
	i := s
	j := s
	for {
		j = (j + 1) & t.mask
		v := t.slots[j]
		if v == 0 {
			return
		}
		home := v >> 32 & t.mask // the slot holds the hash's low 32 bits
		// Move slot j back to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = v
			t.slots[j] = 0
			i = j
		}
	}
}

func (t *Table) pushFront(idx int32, c uint8) {
	l := &t.links[idx]
	h := t.head[c]
	l.class = c
	l.prev = none
	l.next = h
	if h != none {
		t.links[h].prev = idx
	} else {
		t.tail[c] = idx
	}
	t.head[c] = idx
}

func (t *Table) unlink(idx int32, c uint8) {
	l := &t.links[idx]
	if l.prev != none {
		t.links[l.prev].next = l.next
	} else {
		t.head[c] = l.next
	}
	if l.next != none {
		t.links[l.next].prev = l.prev
	} else {
		t.tail[c] = l.prev
	}
	l.prev, l.next = none, none
}
