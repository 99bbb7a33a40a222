//go:build linux

package bpf

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// recSrc reads the source address of a record's IPv4 or IPv6 packet
// (untagged Ethernet).
func recSrc(r Record) netip.Addr {
	d := r.Data
	if r.IPv6 && len(d) >= 14+40 {
		return netip.AddrFrom16([16]byte(d[14+8 : 14+24]))
	}
	if len(d) >= 14+20 {
		return netip.AddrFrom4([4]byte(d[14+12 : 14+16]))
	}
	return netip.Addr{}
}

// TestFloodTotalCap: a SYN flood from spoofed sources spread over 500 home
// hosts, each far below FloodPPS (so no host is sampled), gets at most
// FloodTotalPPS records in its second; the rest is counted as capped. In
// the same second a 20-port SYN scan from another country, preceded by its
// host-discovery echo as nmap sends it, is handed off in full (the echo,
// from a source new in a capped window, is the packet kept back), a scan
// without discovery loses only its first SYN, and a brute force's
// connections go up. Without the cap the whole flood goes up.
func TestFloodTotalCap(t *testing.T) {
	const (
		dsts, perDst = 500, 4 // 2000 flood SYNs, 4 per home host
		capPPS       = 500
		flood        = dsts * perDst
		ports        = 20
	)
	var floodPkts [][]byte
	for i := range flood {
		// round robin over the hosts, a fresh spoofed source per packet
		dst := fmt.Sprintf("2001:db8:1::%x", 0x1000+i%dsts)
		src := fmt.Sprintf("2001:db8:2::%x:%x", 1+i/0x10000, i%0x10000)
		floodPkts = append(floodPkts, pkt(t, eth(layers.EthernetTypeIPv6),
			ip6(src, dst, layers.IPProtocolTCP), tcp(uint16(1024+i%60000), 80, "S")))
	}
	const scanner, scanner2, brute = "203.0.113.9", "203.0.113.10", "198.51.100.50"
	const target, target2, sshHost = "192.0.2.10", "192.0.2.11", "192.0.2.20"
	echo := pkt(t, eth(layers.EthernetTypeIPv4), ip4(scanner, target, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}, payload(8))

	for _, tc := range []struct {
		name string
		cap  uint32
	}{{"capped", capPPS}, {"uncapped", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			inWindow(t, 3, func(t *testing.T) bool {
				o := loadLab(t, func(o *Options) { o.FloodTotalPPS = tc.cap })
				run := func(p []byte) {
					t.Helper()
					ret, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p})
					if err != nil {
						t.Fatal(err)
					}
					if ret != xdpPass {
						t.Fatalf("verdict %d", ret)
					}
				}
				start := monotonic()
				for _, p := range floodPkts {
					run(p)
				}
				// the scan with discovery, the scan without, the brute force
				run(echo)
				for port := range uint16(ports) {
					run(v4tcp(t, scanner, target, 50000, 1+port, "S"))
				}
				for port := range uint16(ports) {
					run(v4tcp(t, scanner2, target2, 50000, 1+port, "S"))
				}
				const conns = 5
				for c := range uint16(conns) {
					run(v4tcp(t, brute, sshHost, 41000+c, 22, "S"))
					run(v4tcp(t, brute, sshHost, 41000+c, 22, "A"))
					run(pkt(t, eth(layers.EthernetTypeIPv4), ip4(brute, sshHost, layers.IPProtocolTCP), tcp(41000+c, 22, "PA"), payload(40)))
				}
				if monotonic()-start >= 900_000_000 {
					return false
				}
				recs := drain(t, o)
				var floodRecs, scanSYN, scan2SYN, echoes, bruteSYN, bruteData int
				home6 := netip.MustParsePrefix("2001:db8:1::/64")
				for _, r := range recs {
					src, dst := recSrc(r), recDst(r)
					switch {
					case home6.Contains(dst):
						floodRecs++
					case src == mustAddr(scanner) && r.Data[14+9] == 1:
						echoes++
					case src == mustAddr(scanner):
						scanSYN++
					case src == mustAddr(scanner2):
						scan2SYN++
					case src == mustAddr(brute) && r.Reasons&ReasonTCPFlags != 0:
						bruteSYN++
					case src == mustAddr(brute):
						bruteData++
					}
				}
				g, err := o.Counters()
				if err != nil {
					t.Fatal(err)
				}
				if tc.cap == 0 {
					// the defect the cap fixes: every spread SYN goes up
					if floodRecs != flood || g.FloodCapped != 0 {
						t.Errorf("uncapped: %d flood records, %d capped; want %d, 0", floodRecs, g.FloodCapped, flood)
					}
					return true
				}
				if floodRecs != capPPS {
					t.Errorf("spread flood: %d records in its second, want the cap %d", floodRecs, capPPS)
				}
				if scanSYN != ports || echoes != 0 {
					t.Errorf("scan with discovery: %d SYNs and %d echoes handed off, want all %d SYNs and no echo", scanSYN, echoes, ports)
				}
				if scan2SYN != ports-1 {
					t.Errorf("scan without discovery: %d SYNs handed off, want %d (all but the first)", scan2SYN, ports-1)
				}
				// the brute force: every connection's segments (first of
				// their flow), the SYNs after the first
				if bruteSYN != conns-1 || bruteData != 2*conns {
					t.Errorf("brute force: %d SYNs and %d segments handed off, want %d and %d", bruteSYN, bruteData, conns-1, 2*conns)
				}
				// kept back: the flood past the cap, the echo, scanner2's and
				// the brute force's first SYN
				if want := uint64(flood - capPPS + 3); g.FloodCapped != want {
					t.Errorf("capped %d, want %d", g.FloodCapped, want)
				}
				return true
			})
		})
	}
}

// TestFloodTotalCapForwarded: past the cap, a spoofed SYN the host
// forwards between two monitored interfaces passes XDP ingress, where its
// new source is kept back and gets a bucket, and then TC egress on the same
// CPU, where that source is known: the egress copy is kept back too (a
// forwarded copy), or the cap would hand off every forwarded flood packet.
func TestFloodTotalCapForwarded(t *testing.T) {
	const capPPS, n = 10, 50
	inWindow(t, 3, func(t *testing.T) bool {
		o := loadLab(t, func(o *Options) { o.FloodTotalPPS = capPPS })
		start := monotonic()
		for i := range n {
			p := pkt(t, eth(layers.EthernetTypeIPv6),
				ip6(fmt.Sprintf("2001:db8:2::%x", 0x100+i), fmt.Sprintf("2001:db8:1::%x", 0x100+i%7), layers.IPProtocolTCP),
				tcp(uint16(2000+i), 80, "S"))
			for _, prog := range []*ebpf.Program{o.objs.BwXdp, o.objs.BwTcEgress} {
				if _, err := prog.Run(&ebpf.RunOptions{Data: p}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if monotonic()-start >= 900_000_000 {
			return false
		}
		recs := drain(t, o)
		g, err := o.Counters()
		if err != nil {
			t.Fatal(err)
		}
		// Both copies of the first 5 packets count towards the cap (10); the
		// other 45 are capped at ingress and their egress copies recognised.
		if len(recs) != capPPS || g.FloodCapped != n-capPPS/2 || g.FloodForwarded != n-capPPS/2 {
			t.Errorf("%d records, %d capped, %d forwarded copies; want %d, %d, %d",
				len(recs), g.FloodCapped, g.FloodForwarded, capPPS, n-capPPS/2, n-capPPS/2)
		}
		return true
	})
}

// TestFloodCapReusedSource: past the cap, a source that keeps sending
// flood-class packets faster than SourceBudget gets its burst and then
// nothing (a spread flood's few hundred reused sources would otherwise get
// SourceBudget a second each past the cap: 25 k records a second from 256),
// while a source slower than SourceBudget, like a scanner's probes, keeps
// getting its packets up. After a pause of more than a second the blocked
// source gets one packet, not a new burst (the spread flood's hosts near
// FloodPPS send it past the cap in spells a few seconds apart: 31-59 k
// records a run from new bursts).
func TestFloodCapReusedSource(t *testing.T) {
	const (
		budget, burst = 100, 5
		span          = 250_000_000 // ns of flooding: 25 tokens' worth at budget
		slow          = 10          // the slow source's packets, one every 25 ms or more
	)
	inWindow(t, 3, func(t *testing.T) bool {
		o := loadLab(t, func(o *Options) {
			// no per-destination sampling: the cap alone
			o.FloodPPS, o.FloodTotalPPS = 0, 1
			o.SourceBudget, o.SourceBurst = budget, burst
		})
		// the window's one hand-off below the cap
		first := v4tcp(t, "198.51.100.7", "192.0.2.50", 1000, 80, "S")
		flood := v4tcp(t, "203.0.113.20", "192.0.2.51", 1001, 80, "S")
		scan := v4tcp(t, "203.0.113.21", "192.0.2.52", 1002, 22, "S")
		start := monotonic()
		for _, p := range [][]byte{first, scan} {
			if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
				t.Fatal(err)
			}
		}
		// the flood source: repeated as fast as the kernel runs it for
		// span, the slow one every span/slow in between
		next := start
		for sent := 0; monotonic()-start < span || sent < slow; {
			if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: flood, Repeat: 2000}); err != nil {
				t.Fatal(err)
			}
			if now := monotonic(); now >= next && sent < slow {
				if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: scan}); err != nil {
					t.Fatal(err)
				}
				sent++
				next = now + span/slow
			}
		}
		if monotonic()-start >= 900_000_000 {
			return false
		}
		recs := drain(t, o)
		var floodRecs, scanRecs int
		for _, r := range recs {
			switch recSrc(r) {
			case mustAddr("203.0.113.20"):
				floodRecs++
			case mustAddr("203.0.113.21"):
				scanRecs++
			}
		}
		g, err := o.Counters()
		if err != nil {
			t.Fatal(err)
		}
		// the flood source: its first packet is refused (a new bucket),
		// then its burst, then nothing while it keeps on
		if floodRecs != burst {
			t.Errorf("flood source past the cap: %d records in %d ms, want its burst %d and no more",
				floodRecs, span/1_000_000, burst)
		}
		// the slow source: all but its first packet (refused: a new bucket)
		if scanRecs != slow {
			t.Errorf("slow source past the cap: %d of %d packets handed off, want %d", scanRecs, slow+1, slow)
		}
		if g.Handoffs.CapBudget != uint64(burst+slow) || g.Handoffs.BelowCap != 1 {
			t.Errorf("hand-offs past the cap %d, below it %d; want %d, 1", g.Handoffs.CapBudget, g.Handoffs.BelowCap, burst+slow)
		}
		// a pause of 1.5 s (half a burst's refill past the block), then
		// the flood source again: the window's first flood-class packet
		// goes up below the cap, then one token, no burst
		time.Sleep(1500 * time.Millisecond)
		again := monotonic()
		if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: flood, Repeat: 2000}); err != nil {
			t.Fatal(err)
		}
		if monotonic()-again >= 900_000_000 {
			return false
		}
		n := 0
		for _, r := range drain(t, o) {
			if recSrc(r) == mustAddr("203.0.113.20") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("blocked flood source after a 1.5 s pause: %d records, want 2 (one below the cap, one token past it)", n)
		}
		return true
	})
}

// TestFloodTotalLegit: a busy gateway's legitimate load, thousands of
// distinct clients a second opening TCP connections (SYN, ACK, data) and
// sending UDP queries to 50 home hosts (each far below FloodPPS), with the
// reader keeping the ring empty. At FloodTotalPPS 10000 it is handed off in
// full; at the default, 1000, the first packet of each new source past the
// cap is kept back (the SYNs' connections still go up from their ACK, the
// UDP clients' one query is lost): the default trades these for a spread
// flood's records (docs/performance.md), and a busy gateway raises it. The
// "pressure" subtest: at the default, a ring nobody reads, a spread flood
// of fresh sources is held to the ring's first quarter whatever the rate.
func TestFloodTotalLegit(t *testing.T) {
	const clients = 1500 // each: a TCP connection, and another a UDP query
	var legit [][]byte
	for i := range clients {
		host := fmt.Sprintf("2001:db8:1::%x", 0x100+i%50)
		c := fmt.Sprintf("2001:db8:2:1::%x", 1+i)
		u := fmt.Sprintf("2001:db8:2:2::%x", 1+i)
		port := uint16(40000 + i%20000)
		legit = append(legit,
			pkt(t, eth(layers.EthernetTypeIPv6), ip6(c, host, layers.IPProtocolTCP), tcp(port, 443, "S")),
			pkt(t, eth(layers.EthernetTypeIPv6), ip6(c, host, layers.IPProtocolTCP), tcp(port, 443, "A")),
			pkt(t, eth(layers.EthernetTypeIPv6), ip6(c, host, layers.IPProtocolTCP), tcp(port, 443, "PA"), payload(200)),
			pkt(t, eth(layers.EthernetTypeIPv6), ip6(u, host, layers.IPProtocolUDP), udp(port, 53), payload(40)))
	}
	for _, tc := range []struct {
		pps    uint32
		capped int // first packets of new sources kept back
	}{{10000, 0}, {DefaultFloodTotalPPS, 2*clients - DefaultFloodTotalPPS}} {
		t.Run(fmt.Sprintf("empty-ring-%d", tc.pps), func(t *testing.T) {
			inWindow(t, 3, func(t *testing.T) bool {
				o := loadLab(t, func(o *Options) { o.FloodTotalPPS = tc.pps })
				var recs []Record
				start := monotonic()
				for i, p := range legit {
					if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
						t.Fatal(err)
					}
					if i%200 == 199 { // the reader keeps up
						recs = append(recs, drain(t, o)...)
					}
				}
				if monotonic()-start >= 900_000_000 {
					return false
				}
				recs = append(recs, drain(t, o)...)
				g, err := o.Counters()
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != len(legit)-tc.capped || g.FloodCapped != uint64(tc.capped) || g.BudgetDrops != 0 || g.FloodSuppressed != 0 {
					t.Errorf("flood_total_pps %d: %d of %d packets handed off, %d capped, %d budget drops, %d kept under a flood (want %d, %d, 0, 0); by path %+v",
						tc.pps, len(recs), len(legit), g.FloodCapped, g.BudgetDrops, g.FloodSuppressed, len(legit)-tc.capped, tc.capped, g.Handoffs)
				}
				return true
			})
		})
	}
	t.Run("pressure", func(t *testing.T) {
		const ring, n = 256 << 10, 3000
		var flood [][]byte
		for i := range n {
			flood = append(flood, pkt(t, eth(layers.EthernetTypeIPv6),
				ip6(fmt.Sprintf("2001:db8:2:3::%x", 1+i), fmt.Sprintf("2001:db8:1::%x", 0x1000+i%500), layers.IPProtocolTCP),
				tcp(uint16(1024+i), 80, "S")))
		}
		inWindow(t, 3, func(t *testing.T) bool {
			o := loadLab(t, func(o *Options) { o.RingBytes = ring })
			start := monotonic()
			for _, p := range flood { // nobody reads
				if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
					t.Fatal(err)
				}
			}
			if monotonic()-start >= 900_000_000 {
				return false
			}
			recs := drain(t, o)
			g, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			// each record takes at least its header, the packet's 74
			// bytes and the ring's 8-byte header: a quarter of the ring
			// holds fewer than ring/4/(40+74+8)
			most := ring / 4 / (40 + 74 + 8)
			if len(recs) == 0 || len(recs) > most || g.FloodCapped != uint64(n-len(recs)) || g.RingbufFull != 0 {
				t.Errorf("spread flood under ring pressure: %d records (want 1 to %d: a quarter of the ring), %d capped (want %d), %d ring full",
					len(recs), most, g.FloodCapped, n-len(recs), g.RingbufFull)
			}
			return true
		})
	})
}
