//go:build linux

package bpf

import (
	"fmt"
)

// IfaceSlots is the number of interfaces with their own counters
// (BW_IFACE_SLOTS).
const IfaceSlots = 64

// ifaceLow is BW_IFACE_LOW of the C program: interface indexes below it have
// their slot in the iface_low array, the others in the iface_slots hash.
const ifaceLow = 4096

// HookCount is what one program (XDP ingress or TC egress) counted on one
// interface.
type HookCount struct {
	Packets      uint64 // packets seen
	Bytes        uint64 // bytes seen (wire length)
	Handoff      uint64 // records submitted to the ring buffer (byte reports not included)
	RingbufFull  uint64 // records lost because the ring buffer was full
	EnforceDrops uint64 // packets dropped by enforcement
}

// IfaceCount are the counters of one interface, summed over CPUs.
type IfaceCount struct {
	Ifindex int // the interface's index when it was attached
	Ingress HookCount
	Egress  HookCount
}

// ifaceSlotEntry is an interface with a counter slot.
type ifaceSlotEntry struct {
	name    string
	ifindex int
}

// ifaceSlot gives the interface a counter slot, unless it has one, and
// writes ifindex → slot into the kernel. Slots are never freed: an
// interface's counters stay readable after detaching, and count on when it
// is attached again.
func (o *Objects) ifaceSlot(name string, ifindex int) error {
	o.ifmu.Lock()
	defer o.ifmu.Unlock()
	slot := -1
	for i, e := range o.ifaces {
		if e.ifindex != ifindex {
			continue
		}
		if e.name != name {
			return fmt.Errorf("interface index %d already counted as %s (renamed, or another network namespace?)", ifindex, e.name)
		}
		slot = i
	}
	if slot < 0 {
		if len(o.ifaces) >= IfaceSlots {
			return fmt.Errorf("counters of %d interfaces: no slot left for %s", IfaceSlots, name)
		}
		slot = len(o.ifaces)
	}
	var err error
	if ifindex < ifaceLow {
		err = o.objs.IfaceLow.Put(uint32(ifindex), uint32(slot+1))
	} else {
		err = o.objs.IfaceSlots.Put(uint32(ifindex), uint32(slot))
	}
	if err != nil {
		return fmt.Errorf("writing the counter slot of %s: %w", name, err)
	}
	if slot == len(o.ifaces) {
		o.ifaces = append(o.ifaces, ifaceSlotEntry{name: name, ifindex: ifindex})
	}
	return nil
}

// InterfaceCounters returns the counters of every interface attached to
// since Load, by name, summed over CPUs. An interface that was deleted and
// created again under its name is counted under the name once.
func (o *Objects) InterfaceCounters() (map[string]IfaceCount, error) {
	o.ifmu.Lock()
	ifaces := append([]ifaceSlotEntry(nil), o.ifaces...)
	o.ifmu.Unlock()
	out := make(map[string]IfaceCount, len(ifaces))
	vals := make([]borderwatchBwIfaceCount, o.ncpu)
	for slot, e := range ifaces {
		c := out[e.name]
		c.Ifindex = e.ifindex
		for hook, h := range []*HookCount{&c.Ingress, &c.Egress} {
			if err := o.objs.IfaceCounts.Lookup(uint32(slot*2+hook), &vals); err != nil {
				return nil, fmt.Errorf("reading the counters of %s: %w", e.name, err)
			}
			for _, v := range vals {
				h.Packets += v.Packets
				h.Bytes += v.Bytes
				h.Handoff += v.Handoff
				h.RingbufFull += v.RingbufFull
				h.EnforceDrops += v.EnforceDrop
			}
		}
		out[e.name] = c
	}
	return out, nil
}
