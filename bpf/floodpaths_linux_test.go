//go:build linux

package bpf

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// inWindow runs try, pinned to one CPU (the flood slots and the cap's
// window are per CPU), at most tries times until it reports that its runs
// fitted in their one-second window (a loaded machine may stall a run),
// and fails the test when none did.
func inWindow(t *testing.T, tries int, try func(t *testing.T) bool) {
	t.Helper()
	for i := range tries {
		ok := false
		t.Run(fmt.Sprintf("try-%d", i+1), func(t *testing.T) {
			pinCPU(t) // each subtest has its own goroutine
			ok = try(t)
		})
		if ok {
			return
		}
		t.Logf("try %d: its runs took more than the one-second window allows to check; again", i+1)
	}
	t.Fatalf("none of %d tries ran within one window", tries)
}

// TestHandoffPaths: every record handed off is counted under the one path
// of the hand-off policy that sent it up, and the paths sum to the records.
// One window on one CPU: a listed source, packets enforcement drops, the
// first packets of an established TCP flow and its counted rest, outbound
// SYNs and an inbound RST, outbound UDP from a new source, IPv6 non-first
// fragments, a SYN flood to one host past FloodPPS (its normal packets,
// one sample, the rest kept), fresh spoofed SYN sources up to the
// FloodTotalPPS cap and past it, and then again from sources the cap has
// seen (their budget tokens).
func TestHandoffPaths(t *testing.T) {
	const (
		floodPPS = 10 // one host's flood: 10 normal, then sampled
		capPPS   = 30 // flood-class hand-offs in the window
		spread   = 20 // fresh SYN sources below the cap (10 + 20 = 30)
		capped   = 30 // fresh SYN sources past it
		again    = 5  // of those, sending again: a known source's token
	)
	inWindow(t, 3, func(t *testing.T) bool {
		o := loadLab(t, func(o *Options) {
			o.FloodPPS, o.FloodSamples, o.FloodTotalPPS = floodPPS, 1, capPPS
			o.Enforce = true
		})
		if err := o.LoadRules(Rules{
			Listed: []Listed{{Prefix: netip.MustParsePrefix("203.0.113.66/32"), List: 1}},
			Drop:   []DropRule{{Slot: 2, Prefixes: []netip.Prefix{netip.MustParsePrefix("203.0.113.99/32")}}},
		}); err != nil {
			t.Fatal(err)
		}
		// the packets, built first: the runs must fit in one window
		type sent struct {
			data    []byte
			verdict uint32
		}
		var seq []sent
		run := func(p []byte, want uint32) { seq = append(seq, sent{p, want}) }
		for range 3 { // listed: 3
			run(v4udp(t, "203.0.113.66", "192.0.2.10", 20), xdpPass)
		}
		for range 2 { // dropped: 2
			run(v4udp(t, "203.0.113.99", "192.0.2.10", 20), xdpDrop)
		}
		for range 10 { // flow_first: 8 (FlowPackets), 2 counted
			run(pkt(t, eth(layers.EthernetTypeIPv4), ip4("192.0.2.20", "198.51.100.5", layers.IPProtocolTCP),
				tcp(40000, 443, "PA"), payload(100)), xdpPass)
		}
		for i := range uint16(3) { // tcp_flags: 3 outbound SYNs, an inbound RST
			run(v4tcp(t, "192.0.2.21", "198.51.100.5", 41000+i, 443, "S"), xdpPass)
		}
		run(v4tcp(t, "198.51.100.5", "192.0.2.21", 443, 41000, "R"), xdpPass)
		for range 5 { // budget_new 1, budget 4
			run(v4udp(t, "192.0.2.30", "198.51.100.6", 20), xdpPass)
		}
		for i := range uint16(2) { // fragment: 2 IPv6 non-first fragments
			run(raw6(t, "2001:db8:1::30", "2001:db8:2::6", layers.IPProtocolIPv6Fragment,
				frag6(layers.IPProtocolUDP, 100+i, true), payload(16)), xdpPass)
		}
		// a flood to one host: floodPPS below_cap, 1 flood_sample, the
		// rest kept back (FloodSamples 1: one sample a second)
		for i := range uint16(floodPPS + 4) {
			run(v4tcp(t, "203.0.113.5", "192.0.2.99", 30000+i, 80, "S"), xdpPass)
		}
		src := func(i int) string { return fmt.Sprintf("2001:db8:2::%x", 0x100+i) }
		dst := func(i int) string { return fmt.Sprintf("2001:db8:1::%x", 0x100+i) }
		syn := func(i int) []byte {
			return pkt(t, eth(layers.EthernetTypeIPv6), ip6(src(i), dst(i), layers.IPProtocolTCP), tcp(uint16(2000+i), 80, "S"))
		}
		for i := range spread + capped { // below_cap 20, then 30 capped
			run(syn(i), xdpPass)
		}
		for i := range again { // capped sources again: cap_budget 5
			run(syn(spread+i), xdpPass)
		}
		start := monotonic()
		for i, p := range seq {
			ret, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p.data})
			if err != nil {
				t.Fatal(err)
			}
			if ret != p.verdict {
				t.Fatalf("packet %d: verdict %d, want %d", i, ret, p.verdict)
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
		want := HandoffPaths{Listed: 3, Dropped: 2, FloodSample: 1, CapBudget: again, BelowCap: floodPPS + spread,
			Fragment: 2, TCPFlags: 4, FlowFirst: 8, BudgetNew: 1, Budget: 4}
		if g.Handoffs != want {
			t.Errorf("hand-offs by path\n got %+v\nwant %+v", g.Handoffs, want)
		}
		// The records read against the paths' sum (Handoff): each record
		// counted once, under one path.
		if len(recs) != int(g.Handoff) || g.FloodCapped != capped || g.FloodSuppressed != 3 || g.RingbufFull != 0 {
			t.Errorf("%d records, %d handed off, %d capped, %d kept under flood, %d ring full; want %d, %d, %d, 3, 0",
				len(recs), g.Handoff, g.FloodCapped, g.FloodSuppressed, g.RingbufFull, g.Handoff, g.Handoff, capped)
		}
		return true
	})
}
