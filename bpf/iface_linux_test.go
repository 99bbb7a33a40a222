//go:build linux

package bpf

import (
	"net"
	"testing"

	"github.com/cilium/ebpf"
)

// xdpMd is struct xdp_md, the context of an XDP test run.
type xdpMd struct {
	Data, DataEnd, DataMeta, IngressIfindex, RxQueueIndex, EgressIfindex uint32
}

// TestInterfaceCounters runs the XDP program as if on a veth of a lab
// namespace (through the run's xdp_md context) and on its loopback (the
// default of a test run), with a ring buffer small enough to fill, and
// checks each interface's and hook's counters against what was sent.
func TestInterfaceCounters(t *testing.T) {
	l := newLab(t)
	o := loadLab(t, func(o *Options) {
		o.Enforce = true
		o.HandoffAll = true
		o.RingBytes = 4096
	})
	if err := o.LoadRules(Rules{Drop: []DropRule{{Slot: 3, Countries: []uint16{cid("CN")}}}}); err != nil {
		t.Fatal(err)
	}
	const n = 40 // more records than a 4 KiB ring holds
	udp := v4udp(t, "198.51.100.7", "192.0.2.1", 20)
	cn := v4udp(t, "203.0.113.9", "192.0.2.1", 30)
	var vethIndex int
	var got map[string]IfaceCount
	var recs []Record
	err := inNetns(l.in, func() error {
		ifi, err := net.InterfaceByName(l.inIf)
		if err != nil {
			return err
		}
		vethIndex = ifi.Index
		if err := o.ifaceSlot(l.inIf, ifi.Index); err != nil {
			return err
		}
		if err := o.ifaceSlot("lo", 1); err != nil {
			return err
		}
		run := func(prog *ebpf.Program, data []byte, ctx any, want uint32) {
			ret, err := prog.Run(&ebpf.RunOptions{Data: data, Context: ctx})
			if err != nil {
				t.Fatalf("test run: %v", err)
			}
			if ret != want {
				t.Errorf("verdict %d, want %d", ret, want)
			}
		}
		veth := func(d []byte) any {
			return xdpMd{DataEnd: uint32(len(d)), IngressIfindex: uint32(ifi.Index)}
		}
		for range n {
			run(o.objs.BwXdp, udp, veth(udp), xdpPass)
		}
		run(o.objs.BwXdp, cn, veth(cn), xdpDrop)
		recs = drain(t, o) // room in the ring again
		for range 3 {
			run(o.objs.BwXdp, udp, nil, xdpPass)
		}
		for range 2 {
			run(o.objs.BwTcEgress, cn, nil, 2) // TC_ACT_SHOT
		}
		got, err = o.InterfaceCounters()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := o.Counters()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if int(r.Ifindex) != vethIndex || r.Egress {
			t.Errorf("record %+v: want ingress of ifindex %d", strip(r), vethIndex)
		}
	}
	vin := got[l.inIf].Ingress
	if vin.Packets != n+1 || vin.Bytes != uint64(n*len(udp)+len(cn)) || vin.EnforceDrops != 1 ||
		vin.Handoff != uint64(len(recs)) || vin.RingbufFull == 0 || vin.Handoff+vin.RingbufFull != n+1 {
		t.Errorf("%s ingress %+v: want %d packets, %d bytes, 1 enforcement drop, %d hand-offs and the rest ring-full",
			l.inIf, vin, n+1, n*len(udp)+len(cn), len(recs))
	}
	if got[l.inIf].Egress != (HookCount{}) || got[l.inIf].Ifindex != vethIndex {
		t.Errorf("%s: %+v, want ifindex %d and nothing on egress", l.inIf, got[l.inIf], vethIndex)
	}
	lo := got["lo"]
	wantLo := IfaceCount{
		Ifindex: 1,
		Ingress: HookCount{Packets: 3, Bytes: uint64(3 * len(udp)), Handoff: 3},
		Egress:  HookCount{Packets: 2, Bytes: uint64(2 * len(cn)), Handoff: 2, EnforceDrops: 2},
	}
	if lo != wantLo {
		t.Errorf("lo %+v, want %+v", lo, wantLo)
	}
	if len(got) != 2 {
		t.Errorf("interfaces %v, want %s and lo", got, l.inIf)
	}
	// Every packet ran on a counted interface: the sums are the globals.
	sum := func(f func(HookCount) uint64) (s uint64) {
		for _, c := range got {
			s += f(c.Ingress) + f(c.Egress)
		}
		return s
	}
	if sum(func(h HookCount) uint64 { return h.Packets }) != g.Packets ||
		sum(func(h HookCount) uint64 { return h.Handoff }) != g.Handoff ||
		sum(func(h HookCount) uint64 { return h.RingbufFull }) != g.RingbufFull ||
		sum(func(h HookCount) uint64 { return h.EnforceDrops }) != g.EnforceDrops {
		t.Errorf("interfaces %+v do not add up to globals %+v", got, g)
	}
}

// TestInterfaceSlots checks the slot bookkeeping: one slot per interface,
// kept across attachments, a clash of indexes refused, a bounded count.
func TestInterfaceSlots(t *testing.T) {
	o := loadLab(t, nil)
	for i := range IfaceSlots {
		index := 1000 + i
		if i == IfaceSlots-1 {
			index = ifaceLow + 1000 // beyond the array: the hash
		}
		if err := o.ifaceSlot("if"+string(rune('a'+i%26))+string(rune('a'+i/26)), index); err != nil {
			t.Fatalf("slot %d: %v", i, err)
		}
	}
	// What the program reads: slot+1 in the array below ifaceLow, the slot
	// in the hash above.
	var v uint32
	if err := o.objs.IfaceLow.Lookup(uint32(1026), &v); err != nil || v != 27 {
		t.Errorf("iface_low[1026] = %d, %v; want 27 (slot 26)", v, err)
	}
	if err := o.objs.IfaceSlots.Lookup(uint32(ifaceLow+1000), &v); err != nil || v != IfaceSlots-1 {
		t.Errorf("iface_slots[%d] = %d, %v; want %d", ifaceLow+1000, v, err, IfaceSlots-1)
	}
	if err := o.objs.IfaceSlots.Lookup(uint32(1026), &v); err == nil {
		t.Errorf("iface_slots has index 1026 (slot %d): low indexes belong in the array", v)
	}
	if err := o.ifaceSlot("ifaa", 1000); err != nil {
		t.Errorf("same interface again: %v", err)
	}
	if err := o.ifaceSlot("other", 1000); err == nil || err.Error() != "interface index 1000 already counted as ifaa (renamed, or another network namespace?)" {
		t.Errorf("index clash: %v", err)
	}
	if err := o.ifaceSlot("one-too-many", 5000); err == nil || err.Error() != "counters of 64 interfaces: no slot left for one-too-many" {
		t.Errorf("65th interface: %v", err)
	}
	got, err := o.InterfaceCounters()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != IfaceSlots || got["ifab"].Ifindex != 1026 {
		t.Errorf("%d interfaces, ifab %+v; want %d, ifindex 1026", len(got), got["ifab"], IfaceSlots)
	}
}

// TestParseXDPMode: the words of the configuration's capture.xdp_mode,
// which the CLI passes through ParseXDPMode.
func TestParseXDPMode(t *testing.T) {
	for word, m := range map[string]XDPMode{"auto": XDPAuto, "native": XDPDriver, "generic": XDPGeneric} {
		got, err := ParseXDPMode(word)
		if err != nil || got != m || m.String() != word {
			t.Errorf("ParseXDPMode(%q) = %v, %v; String %q", word, got, err, m.String())
		}
	}
	if _, err := ParseXDPMode("driver"); err == nil || err.Error() != `unknown xdp mode "driver" (want auto, native or generic)` {
		t.Errorf("bad mode: %v", err)
	}
}

func TestParseEgressMode(t *testing.T) {
	// The words of the configuration's capture.egress_mode.
	for word, m := range map[string]EgressMode{"auto": EgressAuto, "tcx": EgressTCX, "clsact": EgressClsact} {
		got, err := ParseEgressMode(word)
		if err != nil || got != m || m.String() != word {
			t.Errorf("ParseEgressMode(%q) = %v, %v; String %q", word, got, err, m.String())
		}
	}
	if _, err := ParseEgressMode("tc"); err == nil || err.Error() != `unknown egress mode "tc" (want auto, tcx or clsact)` {
		t.Errorf("bad mode: %v", err)
	}
	if err := checkOptions(&Options{RingBytes: 4096, FlowEntries: 1, SourceEntries: 1, EgressMode: 3}); err == nil || err.Error() != "bpf options: unknown egress mode 3" {
		t.Errorf("options: %v", err)
	}
}
