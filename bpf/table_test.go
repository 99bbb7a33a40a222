package bpf

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

func TestV4TableMatchesRanges(t *testing.T) {
	rs := synthRanges(1, 20000, 0)
	g, err := buildGeo(slices.Values(rs))
	if err != nil {
		t.Fatal(err)
	}
	if g.v4Ranges != len(rs) || g.v4.Chunks == 0 {
		t.Fatalf("built %d ranges with %d chunks, want %d ranges and some chunks", g.v4Ranges, g.v4.Chunks, len(rs))
	}
	r := rand.New(rand.NewPCG(2, 3))
	check := func(a uint32) {
		t.Helper()
		c, z, ok := refLookup(rs, v4addr(a))
		want := uint32(0)
		if ok {
			want = leaf(c, z)
		}
		if got := g.v4.lookup(32, uint64(a)); got != want {
			t.Fatalf("lookup %s: leaf %#x, want %#x", v4addr(a), got, want)
		}
	}
	for _, rg := range rs[:2000] { // every boundary and its neighbours
		f, l := v4uint(rg.From), v4uint(rg.To)
		for _, a := range []uint32{f - 1, f, f + 1, l - 1, l, l + 1} {
			check(a)
		}
	}
	for range 200000 {
		check(r.Uint32())
	}
}

func TestV4Paint(t *testing.T) {
	tb := newDirTable()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tb.paint(32, uint64(v4uint(netip.MustParseAddr("10.0.0.0"))), uint64(v4uint(netip.MustParseAddr("10.255.255.255"))), 7))
	if tb.Chunks != 0 {
		t.Fatalf("a /8 needs no chunks, got %d", tb.Chunks)
	}
	must(tb.paint(32, uint64(v4uint(netip.MustParseAddr("10.1.2.3"))), uint64(v4uint(netip.MustParseAddr("10.1.2.3"))), 9))
	if tb.Chunks != 2 {
		t.Fatalf("a /32 inside a /8 needs 2 chunks, got %d", tb.Chunks)
	}
	for a, want := range map[string]uint32{"10.1.2.2": 7, "10.1.2.3": 9, "10.1.2.4": 7, "10.1.3.3": 7, "11.0.0.0": 0, "9.255.255.255": 0} {
		if got := tb.lookup(32, uint64(v4uint(netip.MustParseAddr(a)))); got != want {
			t.Errorf("%s: %d, want %d", a, got, want)
		}
	}
	must(tb.paint(32, 0xffffff00, 0xffffffff, 3))
	if got := tb.lookup(32, 0xffffffff); got != 3 {
		t.Errorf("255.255.255.255: %d, want 3", got)
	}
}

func TestV6Prefixes(t *testing.T) {
	tests := []struct {
		from, to string
		want     []string // prefix/len of the first 64 bits
		widened  int
	}{
		{"2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", []string{"2001:db8::/32"}, 0},
		{"2001:db8:1::", "2001:db8:2:ffff:ffff:ffff:ffff:ffff", []string{"2001:db8:1::/48", "2001:db8:2::/48"}, 0},
		{"2001:db8:0:1::", "2001:db8:0:3:ffff:ffff:ffff:ffff", []string{"2001:db8:0:1::/64", "2001:db8:0:2::/63"}, 0},
		{"2001:db8::1", "2001:db8::2", []string{"2001:db8::/64"}, 2}, // two /128s in one /64
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"::/0"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.from+"-"+tc.to, func(t *testing.T) {
			g := &geoTables{}
			g.addV6(netip.MustParseAddr(tc.from), netip.MustParseAddr(tc.to), 5, map[[8]byte]struct{}{})
			var got []string
			for _, p := range g.v6 {
				var b [16]byte
				copy(b[:], p.addr[:])
				got = append(got, netip.PrefixFrom(netip.AddrFrom16(b), int(p.bits)).String())
				if p.leaf != 5 {
					t.Errorf("leaf %d, want 5", p.leaf)
				}
			}
			if !slices.Equal(got, tc.want) || g.widened != tc.widened {
				t.Errorf("prefixes %v widened %d, want %v widened %d", got, g.widened, tc.want, tc.widened)
			}
		})
	}
}

func TestBuildGeoRejects(t *testing.T) {
	for name, r := range map[string]Range{
		"reversed": {From: netip.MustParseAddr("10.0.0.2"), To: netip.MustParseAddr("10.0.0.1")},
		"mixed":    {From: netip.MustParseAddr("10.0.0.1"), To: netip.MustParseAddr("2001:db8::1")},
		"invalid":  {To: netip.MustParseAddr("10.0.0.1")},
	} {
		if _, err := buildGeo(slices.Values([]Range{r})); err == nil {
			t.Errorf("%s range accepted", name)
		}
	}
	// IPv4-mapped IPv6 ranges count as IPv4.
	g, err := buildGeo(slices.Values([]Range{{From: netip.MustParseAddr("::ffff:10.0.0.0"), To: netip.MustParseAddr("::ffff:10.0.0.255"), Country: 3}}))
	if err != nil || g.v4Ranges != 1 || g.v4.lookup(32, 0x0a000080) != 3 {
		t.Errorf("mapped range: err %v, %d v4 ranges", err, g.v4Ranges)
	}
}

// TestV6TableIsLongestPrefixMatch checks the IPv6 table against a longest
// prefix match over overlapping random prefixes (the semantics of the LPM
// trie it replaced), at and beside every prefix's edges and at random keys.
func TestV6TableIsLongestPrefixMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var ps []v6Prefix
	base := uint64(0x2001_0db8) << 32
	for i := range 3000 {
		bits := uint8(16 + r.IntN(49)) // /16 .. /64
		if i%500 == 0 {
			bits = uint8(r.IntN(16)) // a few very short ones, /0 included
		}
		a := (base + r.Uint64N(1<<36)<<8) &^ (^uint64(0) >> bits)
		var p v6Prefix
		p.addr = u128{a, 0}.top8()
		p.bits, p.leaf = bits, uint32(i+1)
		ps = append(ps, p)
	}
	ps = append(ps, ps[7]) // an exact duplicate: the later wins, as in the trie
	ps[len(ps)-1].leaf = 99999
	tb, err := buildV6(ps)
	if err != nil {
		t.Fatal(err)
	}
	ref := func(a uint64) uint32 {
		best, leaf := -1, uint32(0)
		for _, p := range ps {
			pa := binary.BigEndian.Uint64(p.addr[:])
			if int(p.bits) >= best && (p.bits == 0 || (a^pa)>>(64-p.bits) == 0) {
				best, leaf = int(p.bits), p.leaf
			}
		}
		return leaf
	}
	check := func(a uint64) {
		t.Helper()
		if got, want := tb.lookup(64, a), ref(a); got != want {
			t.Fatalf("lookup %x: leaf %d, want %d", a, got, want)
		}
	}
	for _, p := range ps[:600] {
		a := binary.BigEndian.Uint64(p.addr[:])
		end := a | ^uint64(0)>>p.bits
		for _, k := range []uint64{a - 1, a, a + 1, end - 1, end, end + 1} {
			check(k)
		}
	}
	for range 3000 {
		check(base + r.Uint64N(1<<44))
	}
	check(0)
	check(^uint64(0))
	if tb.Chunks == 0 || tb.Chunks > 7*len(ps) {
		t.Errorf("%d chunks for %d prefixes", tb.Chunks, len(ps))
	}
}

// memWriter collects the pages writePaged passes, in page order.
type memWriter struct{ b []byte }

func (m *memWriter) put(p int, page []byte) error {
	if len(m.b) != p*len(page) {
		return fmt.Errorf("page %d after %d bytes", p, len(m.b))
	}
	m.b = append(m.b, page...)
	return nil
}

// pagedLookup walks a paged table as borderwatch.c does and returns the
// leaf of the width-bit key a and the pages the walk looked up besides
// page 0.
func pagedLookup(b []byte, width uint, a uint64) (leaf uint32, lookups int) {
	entry := func(i uint64) uint32 { return binary.NativeEndian.Uint32(b[4*i:]) }
	v := entry(a >> (width - 16))
	page := uint64(0)
	for shift := int(width) - 24; shift >= 0 && v&leafPtr != 0; shift -= 8 {
		i := v4Level1 + uint64(v&^leafPtr)*256 + a>>shift&0xff
		if i>>pageShift != page {
			page = i >> pageShift
			lookups++
		}
		v = entry(i)
	}
	return v, lookups
}

func TestPagedLayout(t *testing.T) {
	// IPv6 ranges with /64 boundaries packed into one /16, so its subtree
	// is larger than a page and must be split at its root.
	var ps []v6Prefix
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		var p v6Prefix
		binary.BigEndian.PutUint64(p.addr[:], 0x2a01_0000_0000_0000|r.Uint64N(1<<48))
		p.bits, p.leaf = 64, uint32(i+1)
		ps = append(ps, p)
	}
	for _, rg := range synthRanges(7, 0, 20000) {
		var p v6Prefix
		p.addr = u128From(rg.From).top8()
		p.bits, p.leaf = 48, uint32(rg.Country)
		ps = append(ps, p)
	}
	t6, err := buildV6(ps)
	if err != nil {
		t.Fatal(err)
	}
	g, err := buildGeo(slices.Values(synthRanges(1, 100000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		tbl      *dirTable
		width    uint
		key      func() uint64
		maxPages int // most page lookups besides page 0 in a walk
	}{
		{"v4", g.v4, 32, func() uint64 { return uint64(r.Uint32()) }, 1},
		{"v6", t6, 64, func() uint64 {
			if r.IntN(2) == 0 {
				return 0x2a01_0000_0000_0000 | r.Uint64N(1<<48)
			}
			return 0x2001_0000_0000_0000 + r.Uint64N(1<<52)
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.tbl.layout()
			var w memWriter
			if err := tc.tbl.writePaged(l, w.put); err != nil {
				t.Fatal(err)
			}
			if len(w.b) != l.pages*4*pageEntries {
				t.Fatalf("wrote %d bytes for %d pages", len(w.b), l.pages)
			}
			if min := (v4Level1 + 256*tc.tbl.Chunks + pageEntries - 1) / pageEntries; l.pages > min+1 {
				t.Errorf("%d chunks in %d pages, at least %d needed", tc.tbl.Chunks, l.pages, min)
			}
			seen := map[uint32]bool{}
			for _, p := range l.pos {
				if seen[p] {
					t.Fatalf("chunk slot %d used twice", p)
				}
				seen[p] = true
			}
			most := 0
			for range 200000 {
				a := tc.key()
				got, n := pagedLookup(w.b, tc.width, a)
				if want := tc.tbl.lookup(tc.width, a); got != want {
					t.Fatalf("key %#x: paged leaf %#x, want %#x", a, got, want)
				}
				most = max(most, n)
			}
			if most > tc.maxPages {
				t.Errorf("a walk looked up %d pages, want at most %d", most, tc.maxPages)
			}
			if tc.name == "v6" && l.split == 0 {
				t.Error("the 2a01::/16 subtree, larger than a page, was not split")
			}
			t.Logf("%d chunks, %d pages, %d split, at most %d page lookups per walk", tc.tbl.Chunks, l.pages, l.split, most)
		})
	}
}
