//go:build linux

package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// ProtoClass is the protocol dimension of the counters.
type ProtoClass uint8

// Protocol classes.
const (
	ProtoTCP   = ProtoClass(borderwatchBwProtoClassBW_PROTO_TCP)
	ProtoUDP   = ProtoClass(borderwatchBwProtoClassBW_PROTO_UDP)
	ProtoICMP  = ProtoClass(borderwatchBwProtoClassBW_PROTO_ICMP) // ICMP and ICMPv6
	ProtoOther = ProtoClass(borderwatchBwProtoClassBW_PROTO_OTHER)
)

// Jurisdiction directions; the values are those of geo.Direction.
const (
	DirTransit  = uint8(borderwatchBwDirectionBW_DIR_TRANSIT)
	DirInbound  = uint8(borderwatchBwDirectionBW_DIR_INBOUND)
	DirOutbound = uint8(borderwatchBwDirectionBW_DIR_OUTBOUND)
	DirInternal = uint8(borderwatchBwDirectionBW_DIR_INTERNAL)
)

// CounterKey is the dimension of the per-packet counters. Country is the
// remote end: the destination's country for outbound packets, the source's
// otherwise.
type CounterKey struct {
	Country   uint16 // geo.CountryID
	Direction uint8  // geo.Direction
	Egress    bool
	Proto     ProtoClass
}

// Count is a packet and byte count.
type Count struct {
	Packets, Bytes uint64
}

// counterKey decodes a kernel counter index:
// ((country*4 + direction)*2 + egress)*4 + proto.
func counterKey(i uint32) CounterKey {
	return CounterKey{
		Proto:     ProtoClass(i & 3),
		Egress:    i>>2&1 == 1,
		Direction: uint8(i >> 3 & 3),
		Country:   uint16(i >> 5),
	}
}

// ReadCounters returns the per-key sums over all CPUs of every non-zero
// counter.
func (o *Objects) ReadCounters() (map[CounterKey]Count, error) {
	const batch = 4096
	n := int(o.objs.Counters.MaxEntries())
	if o.ckeys == nil {
		o.ckeys = make([]uint32, batch)
		o.cvals = make([]borderwatchBwCount, batch*o.ncpu)
	}
	out := make(map[CounterKey]Count)
	var cursor ebpf.MapBatchCursor
	for read := 0; read < n; {
		got, err := o.objs.Counters.BatchLookup(&cursor, o.ckeys, o.cvals, nil)
		for i := range got {
			var c Count
			for cpu := range o.ncpu {
				v := o.cvals[i*o.ncpu+cpu]
				c.Packets += v.Packets
				c.Bytes += v.Bytes
			}
			if c.Packets != 0 {
				out[counterKey(o.ckeys[i])] = c
			}
		}
		read += got
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading counters: %w", err)
		}
	}
	return out, nil
}

// ParseErrors counts packets the parser gave up on, by kind.
type ParseErrors struct {
	Eth       uint64 // truncated Ethernet header
	VLAN      uint64 // truncated VLAN tag
	VLANDepth uint64 // more than two VLAN tags
	IPv4      uint64 // truncated IPv4 header
	IPv4Hdr   uint64 // bad IPv4 version or header length
	IPv6      uint64 // truncated IPv6 header
	IPv6Ext   uint64 // truncated or too long (more than 6) extension chain
	L4        uint64 // truncated TCP, UDP or ICMP header
}

// Globals are the program-wide counters, summed over CPUs.
type Globals struct {
	Packets      uint64 // packets seen
	Bytes        uint64 // bytes seen
	Handoff      uint64 // records submitted to the ring buffer: the sum of Handoffs
	RingbufFull  uint64 // records lost because the ring buffer was full
	BudgetDrops  uint64 // hand-offs refused by the per-source budget
	NonIP        uint64 // neither IPv4 nor IPv6
	Fragments    uint64 // non-first fragments
	EnforceDrops uint64 // packets dropped by enforcement
	Reports      uint64 // byte reports submitted to the ring buffer
	// ReportsFull counts byte reports that found the ring buffer full: their
	// counts went back to the flow, for its next report.
	ReportsFull uint64
	// FloodSampled counts flood samples handed off (ReasonFloodSample),
	// FloodSuppressed the packets of destinations under flood kept in the
	// kernel (each carried by a later sample's count), FloodCollisions the
	// flood-class packets not tracked because their destination's slot was
	// held by another busy host (they took the normal hand-off path), and
	// FloodSampleFull the samples lost to a full ring buffer (their count
	// went back to the slot, for the next sample).
	FloodSampled    uint64
	FloodSuppressed uint64
	FloodCollisions uint64
	FloodSampleFull uint64
	// FloodForwarded counts egress copies of packets the host forwards
	// between monitored interfaces that were counted at ingress, their
	// destination under flood there (neither counted again nor handed
	// off), or capped there by Options.FloodTotalPPS (kept back too).
	FloodForwarded uint64
	// FloodCapped counts flood-class packets kept in the kernel by the
	// per-CPU cap on flood-class hand-offs (Options.FloodTotalPPS): the
	// first packet of a source new in a capped window, and packets of a
	// source out of its budget then.
	FloodCapped uint64
	// FloodSampleBudget counts the samples of destinations under flood
	// refused by the per-CPU total of samples (Options.FloodSamplesPPS):
	// each such packet was kept in the kernel (counted in FloodSuppressed
	// too), its count carried by the destination's next sample.
	FloodSampleBudget uint64
	ParseErrors       ParseErrors
	// Handoffs are the records submitted (Handoff) by the path that sent
	// each up, one path a record: they sum to Handoff.
	Handoffs HandoffPaths
}

// HandoffPaths counts the records handed off by the path of the kernel's
// hand-off policy that sent each up.
type HandoffPaths struct {
	Listed      uint64 // a listed endpoint, or HandoffAll
	Dropped     uint64 // enforcement dropped the packet
	FloodSample uint64 // a sample of a destination under flood
	// CapBudget: a flood-class packet past the FloodTotalPPS cap (or the
	// ring's fill), sent up on a token of a source that held a bucket.
	CapBudget uint64
	// BelowCap: a flood-class packet on the normal path (its destination
	// not under flood) while the cap's window had room.
	BelowCap  uint64
	Fragment  uint64 // a non-first fragment within its source's budget
	TCPFlags  uint64 // SYN, FIN, RST or odd flags (not flood class)
	FlowFirst uint64 // among the first FlowPackets of its TCP flow
	BudgetNew uint64 // UDP, ICMP or other: a new source's first packet
	Budget    uint64 // UDP, ICMP or other: a known source's token
}

// Map returns the paths by their metric label.
func (h HandoffPaths) Map() map[string]uint64 {
	return map[string]uint64{
		"listed": h.Listed, "dropped": h.Dropped, "flood_sample": h.FloodSample, "cap_budget": h.CapBudget,
		"below_cap": h.BelowCap, "fragment": h.Fragment, "tcp_flags": h.TCPFlags, "flow_first": h.FlowFirst,
		"budget_new": h.BudgetNew, "budget": h.Budget,
	}
}

// Total is the records handed off: the sum over the paths.
func (h HandoffPaths) Total() uint64 {
	var n uint64
	for _, v := range h.Map() {
		n += v
	}
	return n
}

// Counters returns the global counters.
func (o *Objects) Counters() (Globals, error) {
	var g Globals
	fields := map[borderwatchBwGlobal]*uint64{
		borderwatchBwGlobalBW_G_PACKETS:             &g.Packets,
		borderwatchBwGlobalBW_G_BYTES:               &g.Bytes,
		borderwatchBwGlobalBW_G_RINGBUF_FULL:        &g.RingbufFull,
		borderwatchBwGlobalBW_G_BUDGET_DROP:         &g.BudgetDrops,
		borderwatchBwGlobalBW_G_NON_IP:              &g.NonIP,
		borderwatchBwGlobalBW_G_FRAGMENT:            &g.Fragments,
		borderwatchBwGlobalBW_G_ENFORCE_DROP:        &g.EnforceDrops,
		borderwatchBwGlobalBW_G_ERR_ETH:             &g.ParseErrors.Eth,
		borderwatchBwGlobalBW_G_ERR_VLAN:            &g.ParseErrors.VLAN,
		borderwatchBwGlobalBW_G_ERR_VLAN_DEPTH:      &g.ParseErrors.VLANDepth,
		borderwatchBwGlobalBW_G_ERR_IPV4:            &g.ParseErrors.IPv4,
		borderwatchBwGlobalBW_G_ERR_IPV4HDR:         &g.ParseErrors.IPv4Hdr,
		borderwatchBwGlobalBW_G_ERR_IPV6:            &g.ParseErrors.IPv6,
		borderwatchBwGlobalBW_G_ERR_IPV6EXT:         &g.ParseErrors.IPv6Ext,
		borderwatchBwGlobalBW_G_ERR_L4:              &g.ParseErrors.L4,
		borderwatchBwGlobalBW_G_REPORTS:             &g.Reports,
		borderwatchBwGlobalBW_G_REPORT_FULL:         &g.ReportsFull,
		borderwatchBwGlobalBW_G_FLOOD_SAMPLED:       &g.FloodSampled,
		borderwatchBwGlobalBW_G_FLOOD_SUPPRESSED:    &g.FloodSuppressed,
		borderwatchBwGlobalBW_G_FLOOD_COLLISION:     &g.FloodCollisions,
		borderwatchBwGlobalBW_G_FLOOD_SAMPLE_FULL:   &g.FloodSampleFull,
		borderwatchBwGlobalBW_G_FLOOD_FORWARDED:     &g.FloodForwarded,
		borderwatchBwGlobalBW_G_FLOOD_CAPPED:        &g.FloodCapped,
		borderwatchBwGlobalBW_G_FLOOD_SAMPLE_BUDGET: &g.FloodSampleBudget,
		borderwatchBwGlobalBW_G_HO_LISTED:           &g.Handoffs.Listed,
		borderwatchBwGlobalBW_G_HO_DROPPED:          &g.Handoffs.Dropped,
		borderwatchBwGlobalBW_G_HO_FLOOD_SAMPLE:     &g.Handoffs.FloodSample,
		borderwatchBwGlobalBW_G_HO_CAP_BUDGET:       &g.Handoffs.CapBudget,
		borderwatchBwGlobalBW_G_HO_BELOW_CAP:        &g.Handoffs.BelowCap,
		borderwatchBwGlobalBW_G_HO_FRAGMENT:         &g.Handoffs.Fragment,
		borderwatchBwGlobalBW_G_HO_TCP_FLAGS:        &g.Handoffs.TCPFlags,
		borderwatchBwGlobalBW_G_HO_FLOW_FIRST:       &g.Handoffs.FlowFirst,
		borderwatchBwGlobalBW_G_HO_BUDGET_NEW:       &g.Handoffs.BudgetNew,
		borderwatchBwGlobalBW_G_HO_BUDGET:           &g.Handoffs.Budget,
	}
	if len(fields) != int(borderwatchBwGlobalBW_G_MAX) {
		return g, fmt.Errorf("global counters: %d fields for %d kernel counters", len(fields), borderwatchBwGlobalBW_G_MAX)
	}
	vals := make([]uint64, o.ncpu)
	for idx, f := range fields {
		if err := o.objs.Globals.Lookup(uint32(idx), &vals); err != nil {
			return g, fmt.Errorf("reading global counter %d: %w", idx, err)
		}
		for _, v := range vals {
			*f += v
		}
	}
	g.Handoff = g.Handoffs.Total() // the kernel counts each record once, under its path
	return g, nil
}

// RuleDrops returns the packets dropped per rule slot (non-zero slots only).
func (o *Objects) RuleDrops() (map[uint32]uint64, error) {
	out := make(map[uint32]uint64)
	vals := make([]uint64, o.ncpu)
	for slot := range uint32(RuleSlots) {
		if err := o.objs.RuleDrops.Lookup(slot, &vals); err != nil {
			return nil, fmt.Errorf("reading rule drops: %w", err)
		}
		var n uint64
		for _, v := range vals {
			n += v
		}
		if n != 0 {
			out[slot] = n
		}
	}
	return out, nil
}
