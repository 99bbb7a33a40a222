//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// FloodClass is the class of packets the flood tracking counts.
type FloodClass uint8

// Flood classes.
const (
	FloodSYN  = FloodClass(borderwatchBwFloodClassBW_FLOOD_SYN) // TCP SYN without ACK
	FloodUDP  = FloodClass(borderwatchBwFloodClassBW_FLOOD_UDP)
	FloodICMP = FloodClass(borderwatchBwFloodClassBW_FLOOD_ICMP) // ICMP and ICMPv6
)

// String names the class as the metrics label it: syn, udp, icmp.
func (c FloodClass) String() string {
	switch c {
	case FloodSYN:
		return "syn"
	case FloodUDP:
		return "udp"
	case FloodICMP:
		return "icmp"
	}
	return fmt.Sprintf("class%d", uint8(c))
}

// floodBits is the size of a slot's distinct-source bitmap.
const floodBits = 256

// FloodSlot is the kernel's flood count of one home destination and class,
// summed over CPUs.
type FloodSlot struct {
	Dst   netip.Addr
	Class FloodClass
	// Packets and Bytes (IP) were counted since the destination took its
	// slot; Sampled samples of them were handed off and Suppressed were
	// kept in the kernel (carried by the samples' counts; Pending of them
	// not yet).
	Packets, Bytes, Sampled, Suppressed, Pending uint64
	// Window is the packets of the current one-second window (summed over
	// CPUs); Flooded counts the windows, per CPU, that passed
	// Options.FloodPPS; UnderFlood is set while a CPU's current window has.
	Window     uint64
	Flooded    uint64
	UnderFlood bool
	// Sources estimates the distinct sources of the last two windows (a
	// 256-bit linear-counting bitmap per CPU, merged): exact to a few per
	// cent below ~200, saturated (SourcesSaturated) above ~1400.
	Sources          uint64
	SourcesSaturated bool
}

// Floods returns the destinations the flood tracking holds, busiest first.
func (o *Objects) Floods() ([]FloodSlot, error) {
	const batch = 512
	if o.fvals == nil {
		o.fkeys = make([]uint32, batch)
		o.fvals = make([]borderwatchBwFlood, batch*o.ncpu)
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC_COARSE, &ts); err != nil {
		return nil, fmt.Errorf("reading the coarse clock: %w", err)
	}
	now := uint64(ts.Nano())
	type acc struct {
		s    FloodSlot
		srcs [4]uint64
	}
	merged := map[floodKey]*acc{} // the hooks' and CPUs' slots of a destination
	var cursor ebpf.MapBatchCursor
	n := int(o.objs.Floods.MaxEntries())
	for read := 0; read < n; {
		got, err := o.objs.Floods.BatchLookup(&cursor, o.fkeys, o.fvals, nil)
		for i := range got {
			for _, v := range o.fvals[i*o.ncpu : (i+1)*o.ncpu] {
				if v.WinStart == 0 {
					continue
				}
				k := floodKey{slotAddr(v.Addr), FloodClass(v.Class)}
				a := merged[k]
				if a == nil {
					a = &acc{s: FloodSlot{Dst: k.dst, Class: k.class}}
					merged[k] = a
				}
				addSlot(&a.s, &a.srcs, &v, now, uint64(o.opts.FloodPPS))
			}
		}
		read += got
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the flood slots: %w", err)
		}
	}
	out := make([]FloodSlot, 0, len(merged))
	for _, a := range merged {
		a.s.Sources, a.s.SourcesSaturated = linearCount(&a.srcs)
		out = append(out, a.s)
	}
	slices.SortFunc(out, func(a, b FloodSlot) int {
		if a.Packets != b.Packets {
			if a.Packets > b.Packets {
				return -1
			}
			return 1
		}
		if c := a.Dst.Compare(b.Dst); c != 0 {
			return c
		}
		return int(a.Class) - int(b.Class)
	})
	return out, nil
}

type floodKey struct {
	dst   netip.Addr
	class FloodClass
}

// addSlot adds one CPU's slot v to s and its source bitmap to srcs.
func addSlot(s *FloodSlot, srcs *[4]uint64, v *borderwatchBwFlood, now, pps uint64) {
	const window = 1_000_000_000
	s.Packets += v.Packets
	s.Bytes += v.Bytes
	s.Sampled += v.Sampled
	s.Suppressed += v.Suppressed
	s.Pending += v.Pending
	s.Flooded += v.Flooded
	if now-v.WinStart < window {
		s.Window += v.WinPackets
		if v.WinPackets > pps {
			s.UnderFlood = true
		}
	}
	for w := range 4 {
		srcs[w] |= v.Srcs[w] | v.PrevSrcs[w]
	}
}

// linearCount estimates the distinct values of a 256-bit bitmap: m ln(m/z)
// for z zero bits; all bits set saturates at the estimate for one.
func linearCount(b *[4]uint64) (uint64, bool) {
	set := 0
	for _, w := range b {
		set += bits.OnesCount64(w)
	}
	zero, saturated := floodBits-set, false
	if zero == 0 {
		zero, saturated = 1, true
	}
	return uint64(math.Round(floodBits * math.Log(floodBits/float64(zero)))), saturated
}

// slotAddr turns a kernel address (IPv4 as IPv4-mapped IPv6, network
// order words) into an address, IPv4 unmapped.
func slotAddr(w [4]uint32) netip.Addr {
	var b [16]byte
	for i, v := range w {
		// The words hold network-order bytes; on this little-endian
		// target the first byte is the low one.
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	return netip.AddrFrom16(b).Unmap()
}
