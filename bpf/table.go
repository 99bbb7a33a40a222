package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"slices"
)

// Layout of the geo tables and of their leaves; must match borderwatch.c.
const (
	v4Level1 = 65536       // first-level entries (top 16 bits), both tables
	leafPtr  = 1 << 31     // the entry points to a 256-entry chunk
	leafHome = 1 << 16     // zone 0 (home)
	zoneMask = 0x7fff      // zone bits kept in a leaf
	maxChunk = leafPtr - 1 // largest chunk index
)

// Range is one jurisdiction range for the kernel tables: [From, To]
// inclusive, both of one family, with the location country and zone bits
// (bit 0 = home) of every address in it.
type Range struct {
	From, To netip.Addr
	Country  uint16
	Zones    uint64
}

// leaf encodes a country and zone set as a table leaf.
func leaf(country uint16, zones uint64) uint32 {
	return uint32(country) | uint32(zones&zoneMask)<<16
}

// leafCountry returns the country id of a leaf.
func leafCountry(l uint32) uint16 { return uint16(l) }

// leafZones returns the zone bits of a leaf.
func leafZones(l uint32) uint16 { return uint16(l>>16) & zoneMask }

// dirTable is the layout both geo tables share over a key of width bits (32
// for IPv4, the first 64 bits of the address for IPv6): 65536 first-level
// entries indexed by the top 16 key bits, then 256-entry chunks, one level
// per further key byte, allocated only where a range boundary falls inside
// an entry's block. Entries [0, 65536) are the first level; chunk i
// occupies entries [65536+256*i, 65536+256*(i+1)).
type dirTable struct {
	Entries []uint32
	Chunks  int
}

// newDirTable returns an empty table: every key maps to leaf 0.
func newDirTable() *dirTable {
	return &dirTable{Entries: make([]uint32, v4Level1)}
}

// paint sets every key in [from, to] (from <= to) to leaf l.
func (t *dirTable) paint(width uint, from, to uint64, l uint32) error {
	shift := width - 16
	for hi := from >> shift; ; hi++ {
		if err := t.paintEntry(int(hi), hi<<shift, 1<<shift, from, to, l); err != nil {
			return err
		}
		if hi == to>>shift {
			return nil
		}
	}
}

// paintEntry paints [from, to] into entry idx, which covers [lo, lo+size).
// lo+size-1 is computed modulo 2^64, so the last block of a 64-bit key
// space works too.
func (t *dirTable) paintEntry(idx int, lo, size, from, to uint64, l uint32) error {
	last := lo + size - 1
	if from <= lo && to >= last {
		t.Entries[idx] = l
		return nil
	}
	base, err := t.split(idx)
	if err != nil {
		return err
	}
	sub := size / 256
	i0 := (max(from, lo) - lo) / sub
	i1 := (min(to, last) - lo) / sub
	for i := i0; i <= i1; i++ {
		if err := t.paintEntry(base+int(i), lo+i*sub, sub, from, to, l); err != nil {
			return err
		}
	}
	return nil
}

// split turns entry idx into a chunk pointer and returns the chunk's first
// entry; a leaf is copied into all 256 entries of the new chunk.
func (t *dirTable) split(idx int) (int, error) {
	e := t.Entries[idx]
	if e&leafPtr != 0 {
		return v4Level1 + int(e&^leafPtr)*256, nil
	}
	if t.Chunks >= maxChunk {
		return 0, errors.New("geo table: too many chunks")
	}
	n := t.Chunks
	t.Chunks++
	t.Entries = slices.Grow(t.Entries, 256)
	for range 256 {
		t.Entries = append(t.Entries, e)
	}
	t.Entries[idx] = leafPtr | uint32(n)
	return v4Level1 + n*256, nil
}

// lookup walks the table as the kernel does and returns the leaf of key a.
func (t *dirTable) lookup(width uint, a uint64) uint32 {
	v := t.Entries[a>>(width-16)]
	for shift := int(width) - 24; shift >= 0 && v&leafPtr != 0; shift -= 8 {
		v = t.Entries[v4Level1+int(v&^leafPtr)*256+int(a>>shift&0xff)]
	}
	return v
}

func v4addr(a uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
}

func v4uint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// v6Prefix is a prefix of the IPv6 table: the first 64 bits of the prefix,
// its length (at most 64) and the leaf.
type v6Prefix struct {
	addr [8]byte
	bits uint8
	leaf uint32
}

// geoTables is everything LoadGeo writes into the kernel.
type geoTables struct {
	v4       *dirTable  // 32-bit keys
	v6       []v6Prefix // in input order
	v4Ranges int
	v6Ranges int
	widened  int // IPv6 prefixes longer than /64 widened to /64
}

// buildGeo builds both tables from ranges.
func buildGeo(ranges iter.Seq[Range]) (*geoTables, error) {
	g := &geoTables{v4: newDirTable()}
	seen := make(map[[8]byte]struct{}) // /64s already holding a widened prefix
	var err error
	ranges(func(r Range) bool {
		from, to := r.From.Unmap(), r.To.Unmap()
		switch {
		case !from.IsValid() || !to.IsValid() || from.Is4() != to.Is4():
			err = fmt.Errorf("range %s-%s: invalid or mixed address families", r.From, r.To)
		case to.Less(from):
			err = fmt.Errorf("range %s-%s: start after end", r.From, r.To)
		case from.Is4():
			g.v4Ranges++
			err = g.v4.paint(32, uint64(v4uint(from)), uint64(v4uint(to)), leaf(r.Country, r.Zones))
		default:
			g.v6Ranges++
			g.addV6(from, to, leaf(r.Country, r.Zones), seen)
		}
		return err == nil
	})
	if err != nil {
		return nil, fmt.Errorf("building jurisdiction tables: %w", err)
	}
	return g, nil
}

// addV6 splits [from, to] into prefixes and adds them to the prefix list.
func (g *geoTables) addV6(from, to netip.Addr, l uint32, seen map[[8]byte]struct{}) {
	lo, hi := u128From(from), u128From(to)
	for {
		// The largest aligned block starting at lo that does not pass hi.
		bits := 128 - lo.trailingZeros()
		for bits < 128 && lo.lastOf(bits).greater(hi) {
			bits++
		}
		end := lo.lastOf(bits)
		var p v6Prefix
		p.addr = lo.top8()
		p.leaf = l
		if bits > 64 {
			g.widened++
			if _, dup := seen[p.addr]; !dup {
				seen[p.addr] = struct{}{}
				p.bits = 64
				g.v6 = append(g.v6, p)
			}
		} else {
			p.bits = uint8(bits)
			g.v6 = append(g.v6, p)
		}
		if !end.less(hi) {
			return
		}
		lo = end.inc()
	}
}

// u128 is an IPv6 address as two 64-bit halves.
type u128 struct{ hi, lo uint64 }

func u128From(a netip.Addr) u128 {
	b := a.As16()
	var u u128
	for i := range 8 {
		u.hi = u.hi<<8 | uint64(b[i])
		u.lo = u.lo<<8 | uint64(b[8+i])
	}
	return u
}

func (u u128) trailingZeros() int {
	if u.lo != 0 {
		return tz64(u.lo)
	}
	if u.hi != 0 {
		return 64 + tz64(u.hi)
	}
	return 128
}

func tz64(x uint64) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

// lastOf returns the last address of the /bits block starting at u.
func (u u128) lastOf(bits int) u128 {
	host := 128 - bits
	switch {
	case host == 0:
		return u
	case host <= 64:
		return u128{u.hi, u.lo | (^uint64(0) >> (64 - host))}
	default:
		return u128{u.hi | (^uint64(0) >> (128 - host)), ^uint64(0)}
	}
}

func (u u128) greater(v u128) bool { return u.hi > v.hi || (u.hi == v.hi && u.lo > v.lo) }
func (u u128) less(v u128) bool    { return v.greater(u) }

func (u u128) inc() u128 {
	if u.lo == ^uint64(0) {
		return u128{u.hi + 1, 0}
	}
	return u128{u.hi, u.lo + 1}
}

func (u u128) top8() [8]byte {
	var b [8]byte
	for i := range 8 {
		b[i] = byte(u.hi >> (56 - 8*i))
	}
	return b
}

// buildV6 paints the IPv6 prefixes into a table that gives each /64 the
// leaf of the longest prefix holding it (of equal prefixes, the last): the
// result of a longest-prefix match over ps. Prefixes are painted from the
// shortest to the longest, so a longer one overrides a shorter one.
func buildV6(ps []v6Prefix) (*dirTable, error) {
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(ps[a].bits) - int(ps[b].bits) })
	t := newDirTable()
	for _, i := range order {
		p := ps[i]
		from := binary.BigEndian.Uint64(p.addr[:])
		to := from | ^uint64(0)>>p.bits // a shift by 64 is 0 in Go
		if err := t.paint(64, from, to, p.leaf); err != nil {
			return nil, fmt.Errorf("building ipv6 table: %w", err)
		}
	}
	return t, nil
}

// The kernel holds a table as an array of pages of pageEntries entries
// each (4 MiB, the largest array value the kernel allows): the program
// looks a page up once and then reads entries of it directly, so a walk
// costs one map lookup per page it touches rather than one per level.
// Page 0 starts with the first level; chunk n occupies entries
// [v4Level1+256n, v4Level1+256(n+1)), which never straddle a page.
const (
	pageShift   = 20
	pageEntries = 1 << pageShift
	pageChunks  = pageEntries / 256              // chunks in a page
	page0Chunks = (pageEntries - v4Level1) / 256 // chunks after the first level
)

// pageLayout places a table's chunks into pages so that a walk stays in as
// few pages as possible: every first-level subtree that fits in a page is
// kept in one page; a larger one is split at its root, whose child
// subtrees are placed as separate items. Items are packed first-fit
// decreasing.
type pageLayout struct {
	pos   []uint32 // new chunk number of each chunk
	at    []int32  // chunk at each new chunk number, -1 for none
	pages int
	split int // subtrees larger than a page, split at their root
}

// chunkBase returns the first entry of chunk n.
func chunkBase(n int) int { return v4Level1 + 256*n }

// layout computes the paged placement of t's chunks.
func (t *dirTable) layout() *pageLayout {
	n := t.Chunks
	// A child is always created after its parent, so subtree sizes come
	// from one backward pass.
	size := make([]int32, n)
	for c := n - 1; c >= 0; c-- {
		size[c]++
		for _, e := range t.Entries[chunkBase(c) : chunkBase(c)+256] {
			if e&leafPtr != 0 {
				size[c] += size[e&^leafPtr]
			}
		}
	}
	children := func(c int, f func(int)) {
		for _, e := range t.Entries[chunkBase(c) : chunkBase(c)+256] {
			if e&leafPtr != 0 {
				f(int(e &^ leafPtr))
			}
		}
	}
	// Items: subtrees placed whole, or a lone root (split) whose children
	// are items of their own.
	l := &pageLayout{pos: make([]uint32, n)}
	split := make([]bool, n)
	var items, work []int
	for _, e := range t.Entries[:v4Level1] {
		if e&leafPtr != 0 {
			work = append(work, int(e&^leafPtr))
		}
	}
	for len(work) > 0 {
		c := work[len(work)-1]
		work = work[:len(work)-1]
		items = append(items, c)
		if size[c] > pageChunks {
			split[c] = true
			l.split++
			children(c, func(k int) { work = append(work, k) })
		}
	}
	itemSize := func(c int) int32 {
		if split[c] {
			return 1
		}
		return size[c]
	}
	slices.SortStableFunc(items, func(a, b int) int {
		if d := itemSize(b) - itemSize(a); d != 0 {
			return int(d)
		}
		return a - b
	})
	var used []int32 // chunks used in each page
	capacity := func(p int) int32 {
		if p == 0 {
			return page0Chunks
		}
		return pageChunks
	}
	for _, c := range items {
		s := itemSize(c)
		p := 0
		for p < len(used) && used[p]+s > capacity(p) {
			p++
		}
		if p == len(used) {
			used = append(used, 0)
		}
		next := int(used[p])
		if p > 0 {
			next += page0Chunks + (p-1)*pageChunks
		}
		used[p] += s
		// Pre-order, so a subtree is contiguous.
		work = append(work[:0], c)
		for len(work) > 0 {
			k := work[len(work)-1]
			work = work[:len(work)-1]
			l.pos[k] = uint32(next)
			next++
			if !split[k] {
				children(k, func(x int) { work = append(work, x) })
			}
		}
	}
	l.pages = max(1, len(used))
	l.at = make([]int32, page0Chunks+(l.pages-1)*pageChunks)
	for i := range l.at {
		l.at[i] = -1
	}
	for c, p := range l.pos {
		l.at[p] = int32(c)
	}
	return l
}

// writePaged passes t in layout l to put one page at a time, in native
// byte order as the kernel reads it: l.pages pages of pageEntries entries.
// The buffer is reused for the next page.
func (t *dirTable) writePaged(l *pageLayout, put func(p int, page []byte) error) error {
	buf := make([]byte, 4*pageEntries)
	fill := func(dst []byte, src []uint32) {
		for i, e := range src {
			if e&leafPtr != 0 {
				e = leafPtr | l.pos[e&^leafPtr]
			}
			binary.NativeEndian.PutUint32(dst[4*i:], e)
		}
	}
	for p := range l.pages {
		clear(buf)
		first := 0 // first chunk number of the page
		if p == 0 {
			fill(buf, t.Entries[:v4Level1])
		} else {
			first = page0Chunks + (p-1)*pageChunks
		}
		end := min(len(l.at), page0Chunks+p*pageChunks)
		for n := first; n < end; n++ {
			c := l.at[n]
			if c < 0 {
				continue
			}
			off := chunkBase(n) - p*pageEntries
			fill(buf[4*off:], t.Entries[chunkBase(int(c)):chunkBase(int(c))+256])
		}
		if err := put(p, buf); err != nil {
			return err
		}
	}
	return nil
}
