//go:build linux

package bpf

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/cilium/ebpf"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// embeddedTable is the geo table of the embedded DB-IP database with a home
// country, built once: what `borderwatch run` loads by default.
var embeddedTable = sync.OnceValues(func() (*geo.Table, error) {
	db, err := geo.Embedded()
	if err != nil {
		return nil, err
	}
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		return nil, err
	}
	return geo.Build(db, nil, z)
})

func embedded(tb testing.TB) *geo.Table {
	tb.Helper()
	t, err := embeddedTable()
	if err != nil {
		tb.Fatalf("building the embedded geo table: %v", err)
	}
	return t
}

// BenchmarkLoadGeoEmbedded: building and writing the kernel tables from the
// embedded database, as `borderwatch run` does at start and on reload.
func BenchmarkLoadGeoEmbedded(b *testing.B) {
	requireRoot(b)
	t := embedded(b)
	o, err := Load(DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	b.ReportAllocs()
	b.ResetTimer()
	var st GeoStats
	for range b.N {
		if st, err = o.LoadGeo(GeoRanges(t)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	gs := t.Stats()
	b.ReportMetric(float64(st.V4Ranges), "v4-ranges")
	b.ReportMetric(float64(st.V6Ranges), "v6-ranges")
	b.ReportMetric(float64(st.V4Chunks), "v4-chunks")
	b.ReportMetric(float64(st.V4Bytes)/(1<<20), "v4-MiB")
	b.ReportMetric(float64(st.V6Prefixes), "v6-prefixes")
	b.ReportMetric(float64(st.V6Chunks), "v6-chunks")
	b.ReportMetric(float64(st.V6Bytes)/(1<<20), "v6-MiB")
	b.ReportMetric(float64(st.V6Widened), "v6-widened")
	b.ReportMetric(float64(st.Build.Milliseconds()), "build-ms")
	b.ReportMetric(float64(st.Write.Milliseconds()), "write-ms")
	b.ReportMetric(float64(gs.Bytes)/(1<<20), "geo-table-MiB")
}

// TestKernelLookupMatchesEmbedded checks, on the embedded database, that the
// kernel tables give the country and zones of geo.Table.Lookup for every
// range boundary ±1 (the address before each range, its first, its last
// and the one after) and random addresses of both families (IPv6 at /64
// granularity: an address is compared with the first address of its /64,
// unless a range boundary falls inside that /64, where the kernel keeps the
// first range of the /64). Every IPv6 address is looked up twice: the
// first run walks the table (a miss of the kernel's leaf cache, unless an
// address of the same /64 came before), the second answers from the cache.
func TestKernelLookupMatchesEmbedded(t *testing.T) {
	requireRoot(t)
	if testing.Short() {
		t.Skip("builds the embedded table")
	}
	tbl := embedded(t)
	o, err := Load(func() Options { o := DefaultOptions(); o.HandoffAll = true; o.SnapLen = 0; return o }())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	st, err := o.LoadGeo(GeoRanges(tbl))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var addrs []netip.Addr
	split := map[[8]byte]bool{} // /64s a range boundary falls inside
	tbl.Ranges(func(from, to netip.Addr, _ *geo.Info) bool {
		if from.Is6() {
			f, e := u128From(from), u128From(to)
			if f.lo != 0 {
				split[f.top8()] = true
			}
			if e.lo != ^uint64(0) {
				split[e.top8()] = true
			}
		}
		addrs = append(addrs, from.Prev(), from, to, to.Next())
		return true
	})
	for range 5000 {
		addrs = append(addrs, v4addr(r.Uint32()))
		addrs = append(addrs, u128{0x2000_0000_0000_0000 + r.Uint64N(1<<61), r.Uint64()}.addr())
	}
	// Packets are templates with the source address patched in.
	p4 := pkt(t, eth(layers.EthernetTypeIPv4), ip4("0.0.0.0", "192.0.2.1", layers.IPProtocolUDP), udp(1, 2))
	p6 := pkt(t, eth(layers.EthernetTypeIPv6), ip6("::", "2001:db8::1", layers.IPProtocolUDP), udp(1, 2))
	var rec Record
	run := func(p []byte) {
		if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
			t.Fatal(err)
		}
		if err := o.ReadRecord(&rec); err != nil {
			t.Fatal(err)
		}
	}
	checked, boundaries := 0, 0
	for _, a := range addrs {
		if !a.IsValid() {
			continue
		}
		runs := 1
		var p []byte
		if a.Is4() {
			b := a.As4()
			copy(p4[14+12:], b[:])
			p = p4
		} else {
			u := u128From(a)
			if split[u.top8()] {
				continue
			}
			a = u128{u.hi, 0}.addr()
			b := a.As16()
			copy(p6[14+8:], b[:])
			p, runs = p6, 2
		}
		in := tbl.Lookup(a)
		want := leaf(uint16(in.Country), uint64(in.Zones))
		for i := range runs {
			run(p)
			if rec.SrcCountry != leafCountry(want) || rec.SrcZones != leafZones(want) {
				t.Fatalf("%s (run %d): kernel country %d zones %#x, geo %d %#x", a, i+1, rec.SrcCountry, rec.SrcZones, leafCountry(want), leafZones(want))
			}
		}
		checked++
	}
	boundaries = len(addrs) - 10000
	if checked < boundaries/2 {
		t.Fatalf("only %d of %d addresses checked", checked, len(addrs))
	}
	t.Logf("%d addresses agree (%d of them range boundaries ±1 before skipping; %d /64s split by a boundary skipped); %+v", checked, boundaries, len(split), st)
}

// embeddedObjects loads the programs with the kernel tables of the
// embedded database (home DE), as `borderwatch run` does by default.
func embeddedObjects(b *testing.B) (*Objects, *geo.Table) {
	return embeddedObjectsWith(b, nil)
}

// embeddedObjectsWith is embeddedObjects with the options changed by mod.
func embeddedObjectsWith(b *testing.B, mod func(*Options)) (*Objects, *geo.Table) {
	b.Helper()
	requireRoot(b)
	t := embedded(b)
	opts := DefaultOptions()
	if mod != nil {
		mod(&opts)
	}
	o, err := Load(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { o.Close() })
	if _, err := o.LoadGeo(GeoRanges(t)); err != nil {
		b.Fatal(err)
	}
	return o, t
}

// BenchmarkXDPCountedOnlyEmbedded: packets the kernel stage classifies and
// counts without handing them off, with the embedded database (home DE):
//   - internal: between two home (DE) hosts, which no hand-off decision
//     concerns;
//   - established: a TCP segment (ACK, 64 bytes of data) of a flow that
//     crosses the border (DE host to a US host) and is past its first
//     flow_packets packets: the flow map is looked up and counted, the
//     packet not handed off. Most of a gateway's packets are these.
//
// The first flow_packets iterations of "established" are handed off (the
// ring holds them); the rest are not.
func BenchmarkXDPCountedOnlyEmbedded(b *testing.B) {
	o, t := embeddedObjects(b)
	addrs := map[string][2]string{ // family: a DE host, another DE host or a US host
		"v4": {"78.46.10.20", "78.46.10.21"},
		"v6": {"2a01:4f8:c17:1::5", "2a01:4f8:c17:2::7"},
	}
	abroad := map[string]string{"v4": "3.80.10.20", "v6": "2600:1f18:4000:1::9"}
	for _, fam := range []string{"v4", "v6"} {
		de1, de2, us := addrs[fam][0], addrs[fam][1], abroad[fam]
		for a, want := range map[string]string{de1: "DE", de2: "DE", us: "US"} {
			if got := t.Lookup(mustAddr(a)).Country.String(); got != want {
				b.Fatalf("%s is %q in the embedded database, want %s", a, got, want)
			}
		}
		ipl := func(src, dst string, proto layers.IPProtocol) gopacket.SerializableLayer {
			if fam == "v4" {
				return ip4(src, dst, proto)
			}
			return ip6(src, dst, proto)
		}
		et := layers.EthernetTypeIPv4
		if fam == "v6" {
			et = layers.EthernetTypeIPv6
		}
		b.Run(fam+"-internal", func(b *testing.B) {
			p := pkt(b, eth(et), ipl(de1, de2, layers.IPProtocolUDP), udp(40000, 53), payload(64))
			runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
		})
		b.Run(fam+"-established", func(b *testing.B) {
			p := pkt(b, eth(et), ipl(de1, us, layers.IPProtocolTCP), tcp(40000, 443, "A"), payload(64))
			runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
		})
	}
}

// BenchmarkXDPGeo6MissEmbedded: the IPv6 packets of
// BenchmarkXDPCountedOnlyEmbedded with every lookup of the IPv6 leaf cache
// missing (the table walked, the answer stored), what an address new to
// the cache costs: a spoofed flood's sources. The difference to
// BenchmarkXDPCountedOnlyEmbedded is what the cache saves on a hit.
func BenchmarkXDPGeo6MissEmbedded(b *testing.B) {
	o, _ := embeddedObjectsWith(b, func(o *Options) { o.benchGeo6Miss = true })
	for name, p := range map[string][]byte{
		"v6-internal":    pkt(b, eth(layers.EthernetTypeIPv6), ip6("2a01:4f8:c17:1::5", "2a01:4f8:c17:2::7", layers.IPProtocolUDP), udp(40000, 53), payload(64)),
		"v6-established": pkt(b, eth(layers.EthernetTypeIPv6), ip6("2a01:4f8:c17:1::5", "2600:1f18:4000:1::9", layers.IPProtocolTCP), tcp(40000, 443, "A"), payload(64)),
	} {
		b.Run(name, func(b *testing.B) { runBench(b, o, o.objs.BwXdp, p, xdpPass, false) })
	}
}

// BenchmarkXDPBudgetIPv6Embedded: a UDP packet from a DE to a US host
// (embedded database), over and over from one source: past the source's
// burst every packet takes the per-source budget path and is refused (not
// handed off), so this times the budget's bucket lookup on top of
// classification.
func BenchmarkXDPBudgetIPv6Embedded(b *testing.B) {
	o, t := embeddedObjects(b)
	src, dst := "2a01:4f8:c17:1::5", "2600:1f18:4000:1::9"
	if t.Lookup(mustAddr(src)).Country == 0 || t.Lookup(mustAddr(dst)).Country == 0 {
		b.Fatal("benchmark addresses unknown to the embedded database")
	}
	p := pkt(b, eth(layers.EthernetTypeIPv6), ip6(src, dst, layers.IPProtocolUDP), udp(1, 2), payload(64))
	runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
}

// BenchmarkXDPStepsEmbedded times the kernel stage step by step: variants
// of the program that stop after 1 (global packet and byte counters), 2
// (+ interface counters), 3 (+ parsing), 4 (+ classification: the geo
// tables, both endpoints), 5 (+ the per-country counter) steps, and all
// (+ enforcement check, hand-off decision: listed-address tries, flow map
// for an established segment). Each step's cost is the difference to the
// previous variant; x-floor puts every variant against the floor program
// in the same run. Packets as in BenchmarkXDPCountedOnlyEmbedded.
func BenchmarkXDPStepsEmbedded(b *testing.B) {
	pkts := map[string][]byte{
		"v4-internal":    pkt(b, eth(layers.EthernetTypeIPv4), ip4("78.46.10.20", "78.46.10.21", layers.IPProtocolUDP), udp(40000, 53), payload(64)),
		"v4-established": pkt(b, eth(layers.EthernetTypeIPv4), ip4("78.46.10.20", "3.80.10.20", layers.IPProtocolTCP), tcp(40000, 443, "A"), payload(64)),
		"v6-internal":    pkt(b, eth(layers.EthernetTypeIPv6), ip6("2a01:4f8:c17:1::5", "2a01:4f8:c17:2::7", layers.IPProtocolUDP), udp(40000, 53), payload(64)),
		"v6-established": pkt(b, eth(layers.EthernetTypeIPv6), ip6("2a01:4f8:c17:1::5", "2600:1f18:4000:1::9", layers.IPProtocolTCP), tcp(40000, 443, "A"), payload(64)),
	}
	for _, steps := range []uint32{1, 2, 3, 4, 5, 0} {
		o, _ := embeddedObjectsWith(b, func(o *Options) { o.benchSteps = steps })
		name := fmt.Sprint(steps)
		if steps == 0 {
			name = "all"
		}
		for _, c := range []string{"v4-internal", "v4-established", "v6-internal", "v6-established"} {
			b.Run(c+"/steps="+name, func(b *testing.B) {
				runBench(b, o, o.objs.BwXdp, pkts[c], xdpPass, false)
			})
		}
	}
}
