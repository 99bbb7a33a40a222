package bpf

import (
	"math/rand/v2"
	"net/netip"
	"sort"

	"github.com/borderwatch/borderwatch/geo"
)

// cid returns the geo.CountryID of a two-letter code, 0 (unknown) for "".
func cid(code string) uint16 {
	if code == "" {
		return 0
	}
	c, ok := geo.ParseCountry(code)
	if !ok {
		panic("bad country code " + code)
	}
	return uint16(c)
}

// synthRanges returns n4 IPv4 and n6 IPv6 sorted, non-overlapping ranges
// shaped like a country database: most IPv4 boundaries on /24s, a share
// inside them; IPv6 ranges of /29 to /64 size with some odd boundaries.
// Gaps between ranges are left unassigned.
func synthRanges(seed uint64, n4, n6 int) []Range {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Range, 0, n4+n6)
	a := uint64(1 << 24) // 1.0.0.0
	for range n4 {
		size := uint64(1+r.IntN(32)) * 256
		if r.IntN(100) < 4 {
			size = uint64(1 + r.IntN(255)) // a boundary inside a /24
		}
		if r.IntN(10) == 0 {
			a += 256 * uint64(1+r.IntN(8)) // a gap
		}
		if a+size >= 0xe0000000 {
			break
		}
		out = append(out, Range{
			From: v4addr(uint32(a)), To: v4addr(uint32(a + size - 1)),
			Country: uint16(1 + r.IntN(676)), Zones: zonesFor(r),
		})
		a += size
		a = (a + 255) &^ 255 // the next range starts on a /24 again
	}
	hi := uint64(0x2001_0000_0000_0000)
	for range n6 {
		bits := 29 + r.IntN(36) // /29 .. /64
		size := uint64(1) << (64 - bits)
		if r.IntN(50) == 0 {
			size = 1 + r.Uint64N(size) // odd boundary
		}
		hi = (hi + size - 1) &^ (size - 1) // align the start
		if r.IntN(10) == 0 {
			hi += size
		}
		out = append(out, Range{
			From: u128{hi, 0}.addr(), To: u128{hi + size - 1, ^uint64(0)}.addr(),
			Country: uint16(1 + r.IntN(676)), Zones: zonesFor(r),
		})
		hi += size
	}
	return out
}

func zonesFor(r *rand.Rand) uint64 {
	z := r.Uint64() &^ 1
	if r.IntN(8) == 0 {
		z |= 1 // home
	}
	return z
}

func (u u128) addr() netip.Addr {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(u.hi >> (56 - 8*i))
		b[8+i] = byte(u.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

// refLookup finds a in sorted non-overlapping ranges by binary search: the
// reference the kernel tables are checked against. IPv6 is compared at /64
// granularity, as the kernel trie stores it.
func refLookup(rs []Range, a netip.Addr) (country uint16, zones uint64, ok bool) {
	// netip orders IPv4 before IPv6, as the ranges are.
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].To.Less(a) })
	if i < len(rs) && rs[i].From.Is4() == a.Is4() && !a.Less(rs[i].From) && !rs[i].To.Less(a) {
		return rs[i].Country, rs[i].Zones, true
	}
	return 0, 0, false
}

func netipPrefix(a netip.Addr, bits int) netip.Prefix { return netip.PrefixFrom(a, bits) }
