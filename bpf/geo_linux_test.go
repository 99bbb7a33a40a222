//go:build linux

package bpf

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// TestKernelLookupMatchesGo builds the kernel tables from synthetic ranges
// and checks, through the records of handed-off packets, that the kernel
// finds for many addresses the country and zones a binary search over the
// ranges finds.
func TestKernelLookupMatchesGo(t *testing.T) {
	requireRoot(t)
	rs := synthRanges(7, 30000, 5000)
	o, err := Load(func() Options { o := DefaultOptions(); o.HandoffAll = true; o.SnapLen = 0; return o }())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	st, err := o.LoadGeo(slices.Values(rs))
	if err != nil {
		t.Fatal(err)
	}
	if st.V4Ranges+st.V6Ranges != len(rs) || st.V4Chunks == 0 || st.V6Prefixes < st.V6Ranges {
		t.Fatalf("stats %+v for %d ranges", st, len(rs))
	}
	r := rand.New(rand.NewPCG(8, 9))
	var addrs []netip.Addr
	for _, rg := range rs { // boundaries
		if r.IntN(20) == 0 {
			addrs = append(addrs, rg.From, rg.To, rg.To.Next())
		}
	}
	for range 2000 {
		addrs = append(addrs, v4addr(r.Uint32()))
		addrs = append(addrs, u128{0x2001_0000_0000_0000 + r.Uint64N(1<<52), r.Uint64()}.addr())
	}
	// Twice: the kernel walks its IPv6 table for an address new to its
	// cache, and answers from the cache the second time.
	addrs = append(addrs, addrs...)
	dst4, dst6 := "192.0.2.1", "2001:db8::1" // not in the synthetic ranges
	var rec Record
	for i, a := range addrs {
		var p []byte
		if a.Is4() {
			p = pkt(t, eth(layers.EthernetTypeIPv4), ip4(a.String(), dst4, layers.IPProtocolUDP), udp(1, 2))
		} else {
			p = pkt(t, eth(layers.EthernetTypeIPv6), ip6(a.String(), dst6, layers.IPProtocolUDP), udp(1, 2))
		}
		// A fresh source each time, so the budget does not run out.
		if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
			t.Fatal(err)
		}
		if err := o.ReadRecord(&rec); err != nil {
			t.Fatal(err)
		}
		c, z, ok := refLookup(rs, a)
		want := leaf(c, z)
		if !ok {
			want = 0
		}
		if rec.SrcCountry != leafCountry(want) || rec.SrcZones != leafZones(want) || rec.SrcHome != (want&leafHome != 0) {
			t.Fatalf("address %d %s: kernel country %d zones %#x home %v, want %d %#x",
				i, a, rec.SrcCountry, rec.SrcZones, rec.SrcHome, leafCountry(want), leafZones(want))
		}
	}
	t.Logf("%d addresses agree; %+v", len(addrs), st)
}

// TestLoadGeoSwaps checks that a reload replaces the tables as a whole.
func TestLoadGeoSwaps(t *testing.T) {
	o := loadLab(t, func(o *Options) { o.HandoffAll = true })
	p4 := v4udp(t, "198.51.100.7", "192.0.2.10", 10)
	p6 := pkt(t, eth(layers.EthernetTypeIPv6), ip6("2001:db8:2::5", "2001:db8:1::9", layers.IPProtocolUDP), udp(1, 2))
	countries := func() [4]uint16 {
		var out [4]uint16
		for i, p := range [][]byte{p4, p6} {
			if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
				t.Fatal(err)
			}
			var rec Record
			if err := o.ReadRecord(&rec); err != nil {
				t.Fatal(err)
			}
			out[2*i], out[2*i+1] = rec.SrcCountry, rec.DstCountry
		}
		return out
	}
	if got, want := countries(), [4]uint16{cid("US"), cid("DE"), cid("US"), cid("DE")}; got != want {
		t.Fatalf("before reload: %v, want %v", got, want)
	}
	swapped := []Range{
		{From: mustAddr("198.51.100.0"), To: mustAddr("198.51.100.255"), Country: cid("FR")},
		{From: mustAddr("2001:db8:1::"), To: mustAddr("2001:db8:1:ffff:ffff:ffff:ffff:ffff"), Country: cid("IT")},
	}
	if _, err := o.LoadGeo(slices.Values(swapped)); err != nil {
		t.Fatal(err)
	}
	if got, want := countries(), [4]uint16{cid("FR"), 0, 0, cid("IT")}; got != want {
		t.Fatalf("after reload: %v, want %v", got, want)
	}
	bad := append(slices.Clone(labRanges), Range{From: mustAddr("10.0.0.2"), To: mustAddr("10.0.0.1")})
	if _, err := o.LoadGeo(slices.Values(bad)); err == nil {
		t.Fatal("a bad range was accepted")
	}
	if got, want := countries(), [4]uint16{cid("FR"), 0, 0, cid("IT")}; got != want {
		t.Fatalf("after a failed reload: %v, want the previous tables %v", got, want)
	}
}

// TestGeo6CacheFollowsReloads checks that the kernel's IPv6 leaf cache
// (geo6_cache) never answers from a table that was swapped out: an
// address looked up under one table is looked up again two reloads later
// (the same generation slot, another table) and gets the new table's
// country, and again after one more reload.
func TestGeo6CacheFollowsReloads(t *testing.T) {
	o := loadLab(t, func(o *Options) { o.HandoffAll = true })
	p := pkt(t, eth(layers.EthernetTypeIPv6), ip6("2001:db8:2::5", "2001:db8:1::9", layers.IPProtocolUDP), udp(1, 2))
	src := func() uint16 {
		t.Helper()
		var last uint16
		for range 2 { // the first run may walk the table, the second hits the cache
			if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
				t.Fatal(err)
			}
			var rec Record
			if err := o.ReadRecord(&rec); err != nil {
				t.Fatal(err)
			}
			last = rec.SrcCountry
		}
		return last
	}
	table := func(country string) []Range {
		return []Range{{From: mustAddr("2001:db8:2::"), To: mustAddr("2001:db8:2:ffff:ffff:ffff:ffff:ffff"), Country: cid(country)}}
	}
	if got := src(); got != cid("US") {
		t.Fatalf("lab table: source country %d, want US %d", got, cid("US"))
	}
	for i, c := range []string{"FR", "IT"} { // not looked up under FR
		if _, err := o.LoadGeo(slices.Values(table(c))); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	if got := src(); got != cid("IT") {
		t.Fatalf("two reloads later: source country %d, want IT %d", got, cid("IT"))
	}
	if _, err := o.LoadGeo(slices.Values(table("JP"))); err != nil {
		t.Fatal(err)
	}
	if got := src(); got != cid("JP") {
		t.Fatalf("one more reload: source country %d, want JP %d", got, cid("JP"))
	}
}
