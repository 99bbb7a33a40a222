//go:build linux

package bpf

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// benchRanges are ~600k synthetic ranges, the size of the embedded
// DB-IP Lite country database; with -short (the CI smoke run of every
// benchmark) a fiftieth of that, so the smoke run checks the code paths
// without spending minutes filling tables.
var benchRanges = sync.OnceValue(func() []Range {
	if testing.Short() {
		return synthRanges(11, benchV4/50, benchV6/50)
	}
	return synthRanges(11, benchV4, benchV6)
})

// benchObjects loads the programs with the large table and the lab ranges
// painted over it, so the lab addresses classify as in the other tests.
func benchObjects(b *testing.B, mod func(*Options)) *Objects {
	b.Helper()
	requireRoot(b)
	opts := DefaultOptions()
	if mod != nil {
		mod(&opts)
	}
	o, err := Load(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { o.Close() })
	if _, err := o.LoadGeo(slices.Values(append(slices.Clone(benchRanges()), labRanges...))); err != nil {
		b.Fatal(err)
	}
	return o
}

// runBench runs prog on data b.N times in kernel batches and reports the
// kernel's time per packet; drain empties the ring between batches. Each
// batch is followed by as many runs of the floor program (bw_floor: return
// XDP_PASS) on the same packet, under the same harness: floor-ns/packet is
// what the harness costs, and x-floor the program's time as a multiple of
// it, measured in the same run (absolute figures move 2x between machines
// and hours on a shared VM; the ratio moves far less).
func runBench(b *testing.B, o *Objects, prog *ebpf.Program, data []byte, wantRet uint32, drain bool) {
	b.Helper()
	// A batch's records (the snap length plus under 64 bytes of record
	// and ring headers each) stay under a fifth of the ring: from a
	// quarter full, the flood cap keeps flood-class packets (the hand-off
	// benchmarks' SYNs) back.
	batch := max(1, int(o.opts.RingBytes)/(5*(int(o.opts.SnapLen)+64)))
	var total, floor float64
	runs := 0
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(batch, b.N-done)
		ret, d, err := prog.Benchmark(data, n, nil)
		if err != nil {
			b.Fatal(err)
		}
		if ret != wantRet {
			b.Fatalf("verdict %d, want %d", ret, wantRet)
		}
		b.StopTimer()
		_, fd, err := o.objs.BwFloor.Benchmark(data, n, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		total += float64(d.Nanoseconds()) * float64(n)
		floor += float64(fd.Nanoseconds()) * float64(n)
		runs += n
		done += n
		if drain {
			// Every run must have handed off its packet: read them all,
			// with a deadline, so that a change in the hand-off policy
			// fails the benchmark instead of blocking it.
			b.StopTimer()
			var rec Record
			o.SetReadDeadline(time.Now().Add(5 * time.Second))
			for i := range n {
				if err := o.ReadRecord(&rec); err != nil {
					g, _ := o.Counters()
					b.Fatalf("record %d of a batch of %d: %v (kernel: %+v)", i, n, err, g)
				}
			}
			o.SetReadDeadline(time.Time{})
			b.StartTimer()
		}
	}
	b.ReportMetric(total/float64(runs), "ns/packet")
	b.ReportMetric(floor/float64(runs), "floor-ns/packet")
	if floor > 0 {
		b.ReportMetric(total/floor, "x-floor")
	}
	g, err := o.Counters()
	if err != nil {
		b.Fatal(err)
	}
	if g.RingbufFull != 0 {
		b.Fatalf("%d ring-buffer drops during the benchmark", g.RingbufFull)
	}
}

// BenchmarkXDPFloor: the floor program alone (return XDP_PASS), the
// harness's own cost per run.
func BenchmarkXDPFloor(b *testing.B) {
	o := benchObjects(b, nil)
	p := v4udp(b, "192.0.2.10", "192.0.2.20", 64)
	runBench(b, o, o.objs.BwFloor, p, xdpPass, false)
}

// BenchmarkXDPCountedOnly: an internal IPv4 UDP packet, classified and
// counted, not handed off.
func BenchmarkXDPCountedOnly(b *testing.B) {
	o := benchObjects(b, nil)
	p := v4udp(b, "192.0.2.10", "192.0.2.20", 64)
	runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
}

// BenchmarkXDPCountedOnlyIPv6: the same over the IPv6 trie.
func BenchmarkXDPCountedOnlyIPv6(b *testing.B) {
	o := benchObjects(b, nil)
	p := pkt(b, eth(layers.EthernetTypeIPv6), ip6("2001:db8:1::9", "2001:db8:1::10", layers.IPProtocolUDP), udp(1, 2), payload(64))
	runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
}

// noFloodLimit counts the SYNs of the hand-off benchmarks in their
// destination's flood slot and in the cap's window without ever sampling
// or capping them (MaxFloodRate, 16.7 M a second, is above what a CPU runs
// the program at): the same SYN over and over is otherwise a flood, whose
// packets past FloodPPS are kept in the kernel (BenchmarkXDPFloodKept), and
// past FloodTotalPPS hand-offs a second capped (BenchmarkXDPFloodCapped).
func noFloodLimit(o *Options) { o.FloodPPS, o.FloodTotalPPS = MaxFloodRate, MaxFloodRate }

// BenchmarkXDPHandoff: an inbound SYN, handed off with the default snap
// length and ring, counted in its destination's flood slot.
func BenchmarkXDPHandoff(b *testing.B) {
	o := benchObjects(b, noFloodLimit)
	p := pkt(b, eth(layers.EthernetTypeIPv4), ip4("198.51.100.7", "192.0.2.10", layers.IPProtocolTCP), tcp(40000, 22, "S"), payload(300))
	runBench(b, o, o.objs.BwXdp, p, xdpPass, true)
}

// BenchmarkXDPHandoffNoFlood: the same without flood tracking (FloodPPS
// and FloodTotalPPS 0): the difference to BenchmarkXDPHandoff is the flood
// slot's and the cap window's cost.
func BenchmarkXDPHandoffNoFlood(b *testing.B) {
	o := benchObjects(b, func(o *Options) { o.FloodPPS, o.FloodTotalPPS = 0, 0 })
	p := pkt(b, eth(layers.EthernetTypeIPv4), ip4("198.51.100.7", "192.0.2.10", layers.IPProtocolTCP), tcp(40000, 22, "S"), payload(300))
	runBench(b, o, o.objs.BwXdp, p, xdpPass, true)
}

// BenchmarkXDPFloodKept: the SYN of BenchmarkXDPHandoff with the default
// flood settings: past the first FloodPPS of each second (and a sample per
// 10 ms) every packet is counted in its destination's slot and kept in the
// kernel, what a flood costs per packet. The few records are not read.
func BenchmarkXDPFloodKept(b *testing.B) {
	o := benchObjects(b, func(o *Options) { o.RingBytes = 64 << 20 })
	p := pkt(b, eth(layers.EthernetTypeIPv4), ip4("198.51.100.7", "192.0.2.10", layers.IPProtocolTCP), tcp(40000, 22, "S"), payload(300))
	runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
}

// BenchmarkXDPFloodCapped: the SYN of BenchmarkXDPHandoff never sampled
// (FloodPPS at its maximum) but past a FloodTotalPPS of 1: after the first
// hand-off and the source's burst, every packet finds the cap reached and
// its source's bucket empty, and is counted and kept in the kernel, what a
// spread flood's packet past the cap costs when its source is known (a new
// source adds an insert into the LRU sources map). The few records are not
// read.
func BenchmarkXDPFloodCapped(b *testing.B) {
	o := benchObjects(b, func(o *Options) { o.RingBytes, o.FloodPPS, o.FloodTotalPPS = 64<<20, MaxFloodRate, 1 })
	p := pkt(b, eth(layers.EthernetTypeIPv4), ip4("198.51.100.7", "192.0.2.10", layers.IPProtocolTCP), tcp(40000, 22, "S"), payload(300))
	runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
}

// BenchmarkXDPHandoffSmallRing: the same with a 256 KiB ring, which stays
// in cache: the difference to BenchmarkXDPHandoff is the cost of writing
// records into cold ring memory.
func BenchmarkXDPHandoffSmallRing(b *testing.B) {
	o := benchObjects(b, func(o *Options) { noFloodLimit(o); o.RingBytes = 256 << 10 })
	p := pkt(b, eth(layers.EthernetTypeIPv4), ip4("198.51.100.7", "192.0.2.10", layers.IPProtocolTCP), tcp(40000, 22, "S"), payload(300))
	runBench(b, o, o.objs.BwXdp, p, xdpPass, true)
}

// BenchmarkXDPHandoffSizes: the SYN of BenchmarkXDPHandoff for snap lengths
// and ring sizes, to weigh copy length and ring cache footprint.
func BenchmarkXDPHandoffSizes(b *testing.B) {
	p := pkt(b, eth(layers.EthernetTypeIPv4), ip4("198.51.100.7", "192.0.2.10", layers.IPProtocolTCP), tcp(40000, 22, "S"), payload(300))
	for _, snap := range []uint32{128, 160, 256} {
		for _, ring := range []uint32{256 << 10, 1 << 20, 4 << 20} {
			b.Run(fmt.Sprintf("snap=%d/ring=%dKiB", snap, ring>>10), func(b *testing.B) {
				o := benchObjects(b, func(o *Options) { noFloodLimit(o); o.SnapLen, o.RingBytes = snap, ring })
				runBench(b, o, o.objs.BwXdp, p, xdpPass, true)
			})
		}
	}
}

// BenchmarkXDPCountedOnlyListed: counted only, with a listed trie loaded.
func BenchmarkXDPCountedOnlyListed(b *testing.B) {
	o := benchObjects(b, nil)
	var l []Listed
	for _, r := range benchRanges()[:min(50000, len(benchRanges()))] {
		if r.From.Is4() {
			l = append(l, Listed{Prefix: netipPrefix(r.From, 32)})
		}
	}
	if err := o.LoadRules(Rules{Listed: l}); err != nil {
		b.Fatal(err)
	}
	p := v4udp(b, "192.0.2.10", "192.0.2.20", 64)
	runBench(b, o, o.objs.BwXdp, p, xdpPass, false)
}

// BenchmarkLoadGeo: building and writing the kernel tables for ~600k ranges.
func BenchmarkLoadGeo(b *testing.B) {
	requireRoot(b)
	o, err := Load(DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	rs := benchRanges()
	b.ReportAllocs()
	b.ResetTimer()
	var st GeoStats
	for range b.N {
		if st, err = o.LoadGeo(slices.Values(rs)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.V4Bytes)/(1<<20), "v4-MiB")
	b.ReportMetric(float64(st.V6Prefixes), "v6-prefixes")
	b.ReportMetric(float64(st.V6Bytes)/(1<<20), "v6-MiB")
	b.ReportMetric(float64(st.Build.Milliseconds()), "build-ms")
	b.ReportMetric(float64(st.Write.Milliseconds()), "write-ms")
}

// Sizes of the benchmark table.
var benchV4, benchV6 = 320000, 280000
