//go:build linux

package bpf

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// floodRows are the two candidate ingress rows of destination a in the
// floods array, as the kernel's addr_hash picks them (1024 rows).
func floodRows(a netip.Addr) (uint32, uint32) {
	b := a.As16()
	var x uint32
	for i := range 4 {
		x ^= binary.LittleEndian.Uint32(b[4*i:]) // network-order words, little-endian loads
	}
	h := x * 0x9e3779b1
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	h *= 0x297a2d39
	return h >> 22, (h >> 4) & 1023
}

// TestFloodSlotContest: two flooded home hosts A and B left one free row
// between them (their other rows held by busy hosts C and D) do not take
// it from each other at every packet. Before, a slot whose holder had
// fewer than 16 packets was free to take at once, so A and B reset it in
// turn (A, B, A, ... each packet finding the other's one-packet slot):
// neither ever passed FloodPPS, every packet of both took the normal path,
// and none was counted as untracked (the lab's spread flood's third run:
// 98 k such takings a run, 90 k records handed off past the cap). Now the
// row stays A's for its first BW_FLOOD_HOLD: A is sampled past FloodPPS,
// and B's packets are counted as untracked.
func TestFloodSlotContest(t *testing.T) {
	const (
		floodPPS = 100
		n        = 1000 // packets each of A and B, alternately
	)
	// A and B share their first row; C's first row is A's second, D's
	// first row B's second.
	first := map[uint32]netip.Addr{}
	var a, b, c, d netip.Addr
	addr := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("2001:db8:1::%x:%x", i>>16, i&0xffff)) }
	for i := 1; i < 1<<20 && !b.IsValid(); i++ {
		x := addr(i)
		r1, r2 := floodRows(x)
		if r1 == r2 {
			continue
		}
		if y, ok := first[r1]; ok {
			_, y2 := floodRows(y)
			if y2 != r2 && y2 != r1 {
				a, b = y, x
			}
			continue
		}
		first[r1] = x
	}
	if !b.IsValid() {
		t.Fatal("no two addresses sharing a first row")
	}
	_, a2 := floodRows(a)
	_, b2 := floodRows(b)
	for i := 1; i < 1<<22 && (!c.IsValid() || !d.IsValid()); i++ {
		x := addr(i)
		r1, r2 := floodRows(x)
		if x == a || x == b || r2 == r1 {
			continue
		}
		if r1 == a2 && !c.IsValid() {
			c = x
		} else if r1 == b2 && !d.IsValid() {
			d = x
		}
	}
	if !c.IsValid() || !d.IsValid() {
		t.Fatal("no addresses for the other rows")
	}
	syn := func(dst netip.Addr, i int) []byte {
		return pkt(t, eth(layers.EthernetTypeIPv6), ip6(fmt.Sprintf("2001:db8:2::%x", 1+i%200), dst.String(), layers.IPProtocolTCP),
			tcp(uint16(1024+i), 80, "S"))
	}
	var seq [][]byte
	for i := range 20 { // C and D take their rows and keep them (16 packets or more)
		seq = append(seq, syn(c, i), syn(d, i))
	}
	for i := range n {
		seq = append(seq, syn(a, i), syn(b, i))
	}
	inWindow(t, 3, func(t *testing.T) bool {
		o := loadLab(t, func(o *Options) { o.FloodPPS, o.FloodSamples, o.FloodTotalPPS = floodPPS, 1, 0 })
		start := monotonic()
		for _, p := range seq {
			if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
				t.Fatal(err)
			}
		}
		if monotonic()-start >= 900_000_000 {
			return false
		}
		recs := drain(t, o)
		ta, tb := tally(recs, a), tally(recs, b)
		g, err := o.Counters()
		if err != nil {
			t.Fatal(err)
		}
		// A: FloodPPS normal hand-offs, then one sample (one a second),
		// the rest kept in the kernel; B: untracked, every packet on the
		// normal path
		if ta.normal != floodPPS || ta.samples != 1 || g.FloodSuppressed != n-floodPPS-1 {
			t.Errorf("A %v: %d normal records, %d samples, %d kept in the kernel; want %d, 1, %d",
				a, ta.normal, ta.samples, g.FloodSuppressed, floodPPS, n-floodPPS-1)
		}
		if tb.normal != n || g.FloodCollisions != n {
			t.Errorf("B %v: %d normal records, %d untracked; want %d, %d", b, tb.normal, g.FloodCollisions, n, n)
		}
		return true
	})
}
