//go:build linux

package bpf

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// pinCPU keeps the test on one CPU: the flood slots are per CPU, and a
// sequence of program runs must see one slot.
func pinCPU(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	var set unix.CPUSet
	set.Set(0)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		t.Fatalf("pinning to CPU 0: %v", err)
	}
	t.Cleanup(func() {
		var all unix.CPUSet
		for i := range runtime.NumCPU() {
			all.Set(i)
		}
		_ = unix.SchedSetaffinity(0, &all)
	})
}

// floodTally sums the records by hand-off kind: packets a flood sample
// stands for, samples, and other records.
type floodTally struct {
	samples, carried, normal int
	sampleBytes              uint64
}

func tally(recs []Record, dst netip.Addr) floodTally {
	var ft floodTally
	for _, r := range recs {
		if recDst(r) != dst {
			continue
		}
		if r.Reasons&ReasonFloodSample != 0 {
			ft.samples++
			ft.carried += int(r.SamplePackets)
			ft.sampleBytes += uint64(r.SampleBytes)
		} else {
			ft.normal++
		}
	}
	return ft
}

// recDst reads the destination address of a record's IPv4 or IPv6 packet
// (untagged Ethernet).
func recDst(r Record) netip.Addr {
	d := r.Data
	if r.IPv6 && len(d) >= 14+40 {
		return netip.AddrFrom16([16]byte(d[14+24 : 14+40]))
	}
	if len(d) >= 14+20 {
		return netip.AddrFrom4([4]byte(d[14+16 : 14+20]))
	}
	return netip.Addr{}
}

// TestFloodSampling: a SYN flood to one home host passes FloodPPS in a
// window and is then sampled, each sample carrying the packets kept back,
// so that the records account for every packet sent; a SYN to another home
// host and a segment of an established flow to the flooded host keep their
// normal hand-off.
func TestFloodSampling(t *testing.T) {
	pinCPU(t)
	const pps, samples = 100, 10 // a sample every 100 ms
	o := loadLab(t, func(o *Options) { o.FloodPPS, o.FloodSamples = pps, samples })
	const us, de, de2 = "198.51.100.7", "192.0.2.10", "192.0.2.20"
	run := func(p []byte, n int) {
		t.Helper()
		ret, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p, Repeat: uint32(n)})
		if err != nil {
			t.Fatal(err)
		}
		if ret != xdpPass {
			t.Fatalf("verdict %d", ret)
		}
	}
	syn := v4tcp(t, us, de, 40000, 80, "S")
	const ipLen = 40 // IPv4 and TCP headers; the frame is padded to 60
	run(syn, 1000)   // well within one window and one sample interval
	recs := drain(t, o)
	ft := tally(recs, mustAddr(de))
	// 100 packets under the threshold go up as SYNs, the 101st as the
	// first sample (carrying itself), the other 899 stay in the kernel.
	if ft.normal != pps || ft.samples != 1 || ft.carried != 1 {
		t.Fatalf("first burst: %d normal, %d samples carrying %d; want %d, 1, 1", ft.normal, ft.samples, ft.carried, pps)
	}
	g, err := o.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if g.FloodSuppressed != 899 || g.FloodSampled != 1 {
		t.Fatalf("suppressed %d, sampled %d; want 899, 1", g.FloodSuppressed, g.FloodSampled)
	}

	// Other traffic while the flood lasts: a SYN to another home host,
	// and an established flow's segment to the flooded one.
	run(v4tcp(t, us, de2, 40001, 80, "S"), 1)
	run(v4data(t, us, de, 40002, 443, "A", 100), 1)
	recs = drain(t, o)
	if ft2 := tally(recs, mustAddr(de2)); ft2.normal != 1 || ft2.samples != 0 {
		t.Errorf("SYN to another host: %+v, want one normal record", ft2)
	}
	if ft3 := tally(recs, mustAddr(de)); ft3.normal != 1 || ft3.samples != 0 {
		t.Errorf("established segment to the flooded host: %+v, want one normal record", ft3)
	}

	// The next sample, an interval later, carries the 899 and itself.
	time.Sleep(1000 / samples * time.Millisecond * 3 / 2)
	run(syn, 1)
	ft = tally(drain(t, o), mustAddr(de))
	if ft.samples != 1 || ft.carried != 900 || ft.sampleBytes != 900*ipLen {
		t.Fatalf("second sample: %+v; want 1 sample carrying 900 packets, %d bytes", ft, 900*ipLen)
	}
	fl, err := o.Floods()
	if err != nil {
		t.Fatal(err)
	}
	var got *FloodSlot
	for i := range fl {
		if fl[i].Dst == mustAddr(de) && fl[i].Class == FloodSYN {
			got = &fl[i]
		}
	}
	if got == nil {
		t.Fatalf("no SYN slot for %s in %+v", de, fl)
	}
	// Reconciliation: 1001 SYNs sent = 100 normal + 1 + 900 carried.
	if got.Packets != 1001 || got.Sampled != 2 || got.Suppressed != 899 || got.Pending != 0 ||
		got.Flooded != 1 || got.Sources != 1 || got.Bytes != 1001*ipLen {
		t.Errorf("slot %+v; want 1001 packets, 2 samples, 899 suppressed, none pending, flooded once, 1 source", *got)
	}
	if !got.UnderFlood && got.Window > pps {
		t.Errorf("window of %d packets not marked under flood", got.Window)
	}
}

// TestFloodCarried: a window that passed FloodPPS starts the next one
// under flood, so the flood's first FloodPPS packets of the next second are
// not handed off as normal records; a window at or below FloodPPS ends it.
func TestFloodCarried(t *testing.T) {
	pinCPU(t)
	const pps, samples = 100, 10
	o := loadLab(t, func(o *Options) { o.FloodPPS, o.FloodSamples = pps, samples })
	const us, de = "198.51.100.7", "192.0.2.10"
	run := func(p []byte, n int) {
		t.Helper()
		if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p, Repeat: uint32(n)}); err != nil {
			t.Fatal(err)
		}
	}
	syn := v4tcp(t, us, de, 40000, 80, "S")
	run(syn, 1000) // a flooded window
	if ft := tally(drain(t, o), mustAddr(de)); ft.normal != pps || ft.samples != 1 {
		t.Fatalf("first window: %+v; want %d normal, 1 sample", ft, pps)
	}
	// The next window (one second on, less than two): still under flood.
	time.Sleep(1100 * time.Millisecond)
	run(syn, pps/2)
	// Its first packet is a sample carrying the 899 kept back and
	// itself; the other pps/2-1 stay in the kernel.
	if ft := tally(drain(t, o), mustAddr(de)); ft.normal != 0 || ft.samples != 1 || ft.carried != 900 {
		t.Fatalf("window after the flooded one: %+v; want 0 normal, 1 sample carrying 900", ft)
	}
	if g, err := o.Counters(); err != nil || g.FloodSuppressed != 899+pps/2-1 {
		t.Fatalf("suppressed %d (%v); want %d", g.FloodSuppressed, err, 899+pps/2-1)
	}
	// That window stayed at pps/2: the one after it is normal again.
	time.Sleep(1100 * time.Millisecond)
	run(syn, 10)
	// All 10 go up; the first carries the pps/2-1 kept back and itself.
	if ft := tally(drain(t, o), mustAddr(de)); ft.normal != 9 || ft.samples != 1 || ft.carried != pps/2 {
		t.Fatalf("window after a quiet one: %+v; want 9 normal, 1 carrying %d", ft, pps/2)
	}
}

// TestFloodForwarded: a flooded packet the host forwards between two
// monitored interfaces passes XDP ingress and then TC egress on the same
// CPU; the egress copy is neither counted again nor handed off. A flood
// seen at egress only (a sensor on the LAN side) is tracked and sampled
// there.
func TestFloodForwarded(t *testing.T) {
	pinCPU(t)
	const pps, samples = 100, 10
	o := loadLab(t, func(o *Options) { o.FloodPPS, o.FloodSamples = pps, samples })
	const us, de, de2 = "198.51.100.7", "192.0.2.10", "192.0.2.20"
	run := func(prog *ebpf.Program, p []byte, n int) {
		t.Helper()
		for range n {
			if _, err := prog.Run(&ebpf.RunOptions{Data: p}); err != nil {
				t.Fatal(err)
			}
		}
	}
	syn := v4tcp(t, us, de, 40000, 80, "S")
	for range 300 { // each packet at ingress, then its forwarded copy
		run(o.objs.BwXdp, syn, 1)
		run(o.objs.BwTcEgress, syn, 1)
	}
	ft := tally(drain(t, o), mustAddr(de))
	g, err := o.Counters()
	if err != nil {
		t.Fatal(err)
	}
	// Up to the threshold both copies go up as before (100 each); from
	// the 101st on, the ingress copy is sampled (the first sample) or
	// kept back, and the 200 egress copies stay down, uncounted.
	if g.FloodForwarded != 200 || ft.samples != 1 || ft.normal != 200 {
		t.Errorf("forwarded %d, %+v; want 200 forwarded copies, 200 normal records, 1 sample", g.FloodForwarded, ft)
	}
	fl, err := o.Floods()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fl {
		if s.Dst == mustAddr(de) && (s.Packets != 400 || s.Suppressed != 199) {
			t.Errorf("slot %+v: want the 300 ingress and the first 100 egress packets counted, 199 kept back", s)
		}
	}

	// Egress only: tracked and sampled at egress.
	syn2 := v4tcp(t, us, de2, 40000, 80, "S")
	run(o.objs.BwTcEgress, syn2, 300)
	ft = tally(drain(t, o), mustAddr(de2))
	if ft.normal != pps || ft.samples != 1 || ft.carried != 1 {
		t.Errorf("egress-only flood: %+v; want %d normal records and a first sample", ft, pps)
	}
}

// TestFloodSources: a UDP flood from spoofed sources to an IPv6 home host;
// the slot's distinct-source estimate follows the sources sent, and the
// samples' counts add up to the packets.
func TestFloodSources(t *testing.T) {
	pinCPU(t)
	o := loadLab(t, func(o *Options) { o.FloodPPS, o.FloodSamples, o.SourceBurst = 50, 1, 1000 })
	for _, n := range []int{20, 120} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			// a subtest runs on its own goroutine: pin it too
			pinCPU(t)
			dst := fmt.Sprintf("2001:db8:1::%x", 0x100+n) // a fresh slot per case
			sent := 0
			var ps [][]byte
			for i := range n {
				src := fmt.Sprintf("2001:db8:2::%x", i+1)
				ps = append(ps, pkt(t, eth(layers.EthernetTypeIPv6), ip6(src, dst, layers.IPProtocolUDP), udp(1000, 53), payload(20)))
			}
			// All within a window or two (the estimate covers two): one
			// run per packet, a run with Repeat takes milliseconds.
			for range 3 {
				for _, p := range ps {
					if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
						t.Fatal(err)
					}
					sent++
				}
			}
			recs := drain(t, o)
			ft := tally(recs, mustAddr(dst))
			fl, err := o.Floods()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range fl {
				if s.Dst != mustAddr(dst) {
					continue
				}
				if s.Class != FloodUDP || s.Packets != uint64(sent) {
					t.Fatalf("slot %+v, want %d UDP packets", s, sent)
				}
				// Every packet is a normal record, a sample's count or pending.
				if got := uint64(ft.normal+ft.carried) + s.Pending; got != uint64(sent) {
					t.Errorf("records account for %d packets (%d normal, %d carried, %d pending), want %d", got, ft.normal, ft.carried, s.Pending, sent)
				}
				lo, hi := uint64(float64(n)*0.85), uint64(float64(n)*1.15)+1
				if s.Sources < lo || s.Sources > hi {
					t.Errorf("%d sources estimated, want %d ±15%%", s.Sources, n)
				}
				return
			}
			t.Fatalf("no slot for %s in %+v", dst, fl)
		})
	}
}
