package geo

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"unsafe"
)

// within reports whether p points at an element of s.
func within[T any](p unsafe.Pointer, s []T) bool {
	if len(s) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(&s[0]))
	return uintptr(p) >= lo && uintptr(p) < lo+uintptr(len(s))*unsafe.Sizeof(s[0])
}

// TestPrefetchLines: the addresses IndexLine and RangeLine give for a
// prefetch are the index entry Lookup starts from and one of the ranges
// (or IPv6 sub-block) its search reads, for random IPv4 and IPv6
// addresses and the edges (zero Addr, first and last addresses,
// IPv4-mapped, zoned), in the default table and its location-only one.
func TestPrefetchLines(t *testing.T) {
	z, err := NewZones(Config{Home: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	full, err := OpenTable(Paths{}, z)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []netip.Addr{{}, netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("::"), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
		netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("2a02:8100::1")}
	r := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		var x [16]byte
		for j := range x {
			x[j] = byte(r.Uint32())
		}
		addrs = append(addrs, netip.AddrFrom4([4]byte(x[:4])))
		x[0] = 0x20 | x[0]&0x0f
		addrs = append(addrs, netip.AddrFrom16(x))
	}
	for _, tb := range []*Table{full, full.PerPacket(Needs{})} {
		var ranges, subs, none int
		for _, a := range addrs {
			u := a.Unmap()
			ix, rl := tb.IndexLine(a), tb.RangeLine(a)
			if u.Is4() {
				b := u.As4()
				e := &tb.v4idx[uint32(b[0])<<8|uint32(b[1])]
				if ix != unsafe.Pointer(e) {
					t.Fatalf("%v: IndexLine is not the /16's index entry", a)
				}
				switch {
				case rl == nil && e.n&auxInfo != 0:
					none++
				case rl != nil && e.n&auxInfo == 0 && within(rl, tb.v4[e.first:e.first+e.n]):
					ranges++
				default:
					t.Fatalf("%v: RangeLine %p is not among the block's ranges %d+%d (index %#x)", a, rl, e.first, e.n, e.n)
				}
				continue
			}
			hi, _ := AddrWords(u)
			e := &tb.v6idx[hi>>48]
			if ix != unsafe.Pointer(e) {
				t.Fatalf("%v: IndexLine is not the top-16-bit block's index entry", a)
			}
			switch {
			case rl == nil && e.aux&auxInfo != 0:
				none++
			case rl != nil && e.aux&auxInfo == 0 && e.aux&31 != 0 && within(rl, tb.v6sub):
				subs++
			case rl != nil && e.aux&auxInfo == 0 && e.aux&31 == 0 && within(rl, tb.v6[e.first:e.first+e.aux>>5]):
				ranges++
			default:
				t.Fatalf("%v: RangeLine %p is not what the search reads first (index %+v)", a, rl, *e)
			}
		}
		if ranges == 0 || subs == 0 || none == 0 {
			t.Errorf("ranges %d, sub-blocks %d, index only %d: some kind of block not tried", ranges, subs, none)
		}
	}
}
