package bpf

import (
	"encoding/binary"
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
		if got := g.v4.Lookup(a); got != want {
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

func TestV4TablePaint(t *testing.T) {
	tb := BuildV4()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tb.Paint(v4uint(netip.MustParseAddr("10.0.0.0")), v4uint(netip.MustParseAddr("10.255.255.255")), 7))
	if tb.Chunks != 0 {
		t.Fatalf("a /8 needs no chunks, got %d", tb.Chunks)
	}
	must(tb.Paint(v4uint(netip.MustParseAddr("10.1.2.3")), v4uint(netip.MustParseAddr("10.1.2.3")), 9))
	if tb.Chunks != 2 {
		t.Fatalf("a /32 inside a /8 needs 2 chunks, got %d", tb.Chunks)
	}
	for a, want := range map[string]uint32{"10.1.2.2": 7, "10.1.2.3": 9, "10.1.2.4": 7, "10.1.3.3": 7, "11.0.0.0": 0, "9.255.255.255": 0} {
		if got := tb.Lookup(v4uint(netip.MustParseAddr(a))); got != want {
			t.Errorf("%s: %d, want %d", a, got, want)
		}
	}
	must(tb.Paint(0xffffff00, 0xffffffff, 3))
	if got := tb.Lookup(0xffffffff); got != 3 {
		t.Errorf("255.255.255.255: %d, want 3", got)
	}
	if err := tb.Paint(5, 4, 1); err == nil {
		t.Error("a reversed range was accepted")
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
	if err != nil || g.v4Ranges != 1 || g.v4.Lookup(0x0a000080) != 3 {
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
