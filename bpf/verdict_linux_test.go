//go:build linux

package bpf

import (
	"maps"
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// Program return codes.
const (
	xdpDrop   = 1
	xdpPass   = 2
	tcActOK   = 0
	tcActShot = 2
)

// want is an expected record; the test adds wire length, data and times.
type want struct {
	reasons          Reason
	src, dst         uint16
	srcHome, dstHome bool
	dir              uint8
}

// sent is one packet of a case: its bytes, the expected counter key (nil:
// not counted, a parse error or non-IP) and the expected record (nil: none).
type sent struct {
	data []byte
	key  *CounterKey
	rec  *want
}

func key(country string, dir uint8, egress bool, p ProtoClass) *CounterKey {
	return &CounterKey{Country: cid(country), Direction: dir, Egress: egress, Proto: p}
}

func rec(r Reason, src, dst string, dir uint8) *want {
	w := &want{reasons: r, src: cid(src), dst: cid(dst), dir: dir}
	w.srcHome = dir == DirOutbound || dir == DirInternal
	w.dstHome = dir == DirInbound || dir == DirInternal
	return w
}

func TestVerdicts(t *testing.T) {
	requireRoot(t)
	const (
		us  = "198.51.100.7"
		us2 = "198.51.100.8"
		de  = "192.0.2.10"
		de2 = "192.0.2.20"
		at  = "192.0.2.200"
		cn  = "203.0.113.5"
		bad = "203.0.113.66"
		us6 = "2001:db8:2::5"
		de6 = "2001:db8:1::9"
	)
	noFlow := func(o *Options) { o.FlowPackets = 0 }
	dropRules := &Rules{Drop: []DropRule{
		{Slot: 5, Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}},
		{Slot: 7, Countries: []uint16{cid("CN")}},
	}}
	enforce := func(o *Options) { o.Enforce = true }
	first := TCPFlagsFirst

	type tcase struct {
		name    string
		opts    func(*Options)
		rules   *Rules
		egress  bool
		ret     uint32 // every packet's verdict
		pkts    func(t *testing.T) []sent
		globals Globals // expected beyond Packets, Bytes and Handoff
		drops   map[uint32]uint64
	}
	cases := []tcase{
		{name: "v4 syn inbound", ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{{v4tcp(t, us, de, 40000, 22, "S"), key("US", DirInbound, false, ProtoTCP), rec(first, "US", "DE", DirInbound)}}
		}},
		{name: "v4 ack inbound is counted only", opts: noFlow, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{{v4tcp(t, us, de, 40000, 22, "A"), key("US", DirInbound, false, ProtoTCP), nil}}
		}},
		{name: "syn-ack outbound", opts: noFlow, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{{v4tcp(t, de, us, 22, 40000, "SA"), key("US", DirOutbound, false, ProtoTCP), rec(ReasonTCPFlags, "DE", "US", DirOutbound)}}
		}},
		{name: "odd tcp flags", opts: noFlow, ret: xdpPass, pkts: func(t *testing.T) []sent {
			k := key("US", DirInbound, false, ProtoTCP)
			return []sent{
				{v4tcp(t, us, de, 1, 80, ""), k, rec(ReasonTCPFlags, "US", "DE", DirInbound)},    // NULL
				{v4tcp(t, us, de, 2, 80, "FPU"), k, rec(ReasonTCPFlags, "US", "DE", DirInbound)}, // Xmas
				{v4tcp(t, us, de, 3, 80, "RA"), k, rec(ReasonTCPFlags, "US", "DE", DirInbound)},  // RST
				{v4tcp(t, us, de, 4, 80, "FA"), k, rec(ReasonTCPFlags, "US", "DE", DirInbound)},  // FIN
				{v4tcp(t, us, de, 5, 80, "P"), k, rec(ReasonTCPFlags, "US", "DE", DirInbound)},   // no ACK
				{v4tcp(t, us, de, 6, 80, "PA"), k, nil},                                          // data
			}
		}},
		{name: "flow first n across both directions", opts: func(o *Options) { o.FlowPackets = 2 }, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4tcp(t, us, de, 40000, 443, "A"), key("US", DirInbound, false, ProtoTCP), rec(ReasonFlowFirst, "US", "DE", DirInbound)},
				{v4tcp(t, de, us, 443, 40000, "A"), key("US", DirOutbound, false, ProtoTCP), rec(ReasonFlowFirst, "DE", "US", DirOutbound)},
				{v4tcp(t, us, de, 40000, 443, "A"), key("US", DirInbound, false, ProtoTCP), nil},
				{v4tcp(t, us, de, 40001, 443, "A"), key("US", DirInbound, false, ProtoTCP), rec(ReasonFlowFirst, "US", "DE", DirInbound)},
			}
		}},
		// Byte reports (the FIN's flush of the PA packet) are tested in
		// report_linux_test.go.
		{name: "flagged packets do not use the flow's first packets", opts: func(o *Options) { o.FlowPackets, o.ReportBytes = 1, 0 }, ret: xdpPass, pkts: func(t *testing.T) []sent {
			k := key("US", DirInbound, false, ProtoTCP)
			return []sent{
				{v4tcp(t, us, de, 40002, 443, "S"), k, rec(ReasonTCPFlags, "US", "DE", DirInbound)},
				{v4tcp(t, de, us, 443, 40002, "SA"), key("US", DirOutbound, false, ProtoTCP), rec(ReasonTCPFlags, "DE", "US", DirOutbound)},
				{v4tcp(t, us, de, 40002, 443, "A"), k, rec(ReasonFlowFirst, "US", "DE", DirInbound)},
				{v4tcp(t, us, de, 40002, 443, "PA"), k, nil},
				{v4tcp(t, us, de, 40002, 443, "FA"), k, rec(ReasonTCPFlags, "US", "DE", DirInbound)},
			}
		}},
		{name: "internal and transit are counted only", ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4udp(t, de, de2, 10), key("DE", DirInternal, false, ProtoUDP), nil},
				{v4tcp(t, de, de2, 1, 2, "S"), key("DE", DirInternal, false, ProtoTCP), nil},
				{v4udp(t, us, cn, 10), key("US", DirTransit, false, ProtoUDP), nil},
				{v4udp(t, at, cn, 10), key("AT", DirTransit, false, ProtoUDP), nil},
			}
		}},
		{name: "listed addresses always", rules: &Rules{Listed: []Listed{{Prefix: netip.MustParsePrefix(bad + "/32")}}}, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4udp(t, us, bad, 10), key("US", DirTransit, false, ProtoUDP), rec(ReasonListedDst, "US", "CN", DirTransit)},
				{v4tcp(t, bad, us, 1, 2, "A"), key("CN", DirTransit, false, ProtoTCP), rec(ReasonListedSrc, "CN", "US", DirTransit)},
				{v4udp(t, us, cn, 10), key("US", DirTransit, false, ProtoUDP), nil},
			}
		}},
		{name: "handoff all", opts: func(o *Options) { o.HandoffAll = true }, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4tcp(t, de, de2, 1, 2, "A"), key("DE", DirInternal, false, ProtoTCP), rec(ReasonAll|ReasonFlowFirst, "DE", "DE", DirInternal)},
				{v4udp(t, us, cn, 10), key("US", DirTransit, false, ProtoUDP), rec(ReasonAll|ReasonBudget, "US", "CN", DirTransit)},
			}
		}},
		{name: "udp source budget", opts: func(o *Options) { o.SourceBudget, o.SourceBurst = 0, 3 }, ret: xdpPass,
			globals: Globals{BudgetDrops: 2}, pkts: func(t *testing.T) []sent {
				k := key("US", DirInbound, false, ProtoUDP)
				r := rec(ReasonBudget, "US", "DE", DirInbound)
				p := v4udp(t, us, de, 20)
				return []sent{{p, k, r}, {p, k, r}, {p, k, r}, {p, k, nil}, {p, k, nil}, {v4udp(t, us2, de, 20), k, r}}
			}},
		{name: "icmp and icmpv6 under budget", ret: xdpPass, pkts: func(t *testing.T) []sent {
			echo := pkt(t, eth(layers.EthernetTypeIPv4), ip4(us, de, layers.IPProtocolICMPv4),
				&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}, payload(8))
			echo6 := pkt(t, eth(layers.EthernetTypeIPv6), ip6(us6, de6, layers.IPProtocolICMPv6),
				&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}, payload(8))
			return []sent{
				{echo, key("US", DirInbound, false, ProtoICMP), rec(ReasonBudget, "US", "DE", DirInbound)},
				{echo6, key("US", DirInbound, false, ProtoICMP), rec(ReasonBudget, "US", "DE", DirInbound)},
			}
		}},
		{name: "ipv6 syn", ret: xdpPass, pkts: func(t *testing.T) []sent {
			p := pkt(t, eth(layers.EthernetTypeIPv6), ip6(de6, us6, layers.IPProtocolTCP), tcp(5000, 443, "S"))
			return []sent{{p, key("US", DirOutbound, false, ProtoTCP), rec(first, "DE", "US", DirOutbound)}}
		}},
		{name: "vlan and qinq", ret: xdpPass, globals: Globals{ParseErrors: ParseErrors{VLANDepth: 1, VLAN: 1}}, pkts: func(t *testing.T) []sent {
			one := pkt(t, eth(layers.EthernetTypeDot1Q), dot1q(10, layers.EthernetTypeIPv4), ip4(us, de, layers.IPProtocolTCP), tcp(1, 22, "S"))
			two := pkt(t, eth(layers.EthernetTypeQinQ), dot1q(100, layers.EthernetTypeDot1Q), dot1q(10, layers.EthernetTypeIPv4), ip4(us, de, layers.IPProtocolTCP), tcp(2, 22, "S"))
			three := pkt(t, eth(layers.EthernetTypeQinQ), dot1q(100, layers.EthernetTypeDot1Q), dot1q(10, layers.EthernetTypeDot1Q), dot1q(1, layers.EthernetTypeIPv4), ip4(us, de, layers.IPProtocolTCP), tcp(3, 22, "S"))
			cut := one[:14+2] // half a tag
			k := key("US", DirInbound, false, ProtoTCP)
			return []sent{{one, k, rec(first, "US", "DE", DirInbound)}, {two, k, rec(first, "US", "DE", DirInbound)}, {three, nil, nil}, {cut, nil, nil}}
		}},
		{name: "truncated and malformed headers", ret: xdpPass,
			globals: Globals{ParseErrors: ParseErrors{IPv4: 2, IPv4Hdr: 2, IPv6: 1, L4: 3}}, pkts: func(t *testing.T) []sent {
				full := v4tcp(t, us, de, 1, 22, "S")
				badIHL := slices.Clone(full)
				badIHL[14] = 0x44
				badVer := slices.Clone(full)
				badVer[14] = 0x65
				opts := slices.Clone(full)
				opts[14] = 0x4f // 60-byte header in a 54-byte packet
				v6 := pkt(t, eth(layers.EthernetTypeIPv6), ip6(us6, de6, layers.IPProtocolUDP), udp(1, 2))
				icmp := pkt(t, eth(layers.EthernetTypeIPv4), ip4(us, de, layers.IPProtocolICMPv4), payload(8))[:14+20+2]
				return []sent{
					{full[:14+10], nil, nil},    // IPv4 cut
					{badIHL, nil, nil},          // IHL 4
					{badVer, nil, nil},          // version 6 in an IPv4 frame
					{opts, nil, nil},            // options beyond the packet
					{full[:14+20+12], nil, nil}, // TCP cut
					{v6[:14+30], nil, nil},      // IPv6 cut
					{v6[:14+40+4], nil, nil},    // UDP cut
					{icmp, nil, nil},            // ICMP cut
					{pkt(t, eth(layers.EthernetTypeARP), payload(28)), nil, nil}, // not IP
				}
			}},
		{name: "ipv6 extension chains", opts: noFlow, ret: xdpPass,
			globals: Globals{ParseErrors: ParseErrors{IPv6Ext: 2}}, pkts: func(t *testing.T) []sent {
				syn := l4bytes(t, tcp(1, 22, "S"))
				ok := raw6(t, us6, de6, layers.IPProtocolIPv6HopByHop,
					ext6(layers.IPProtocolIPv6Destination), ext6(layers.IPProtocolIPv6Routing),
					ext6(layers.IPProtocolIPv6Fragment), frag6(layers.IPProtocolTCP, 0, true), syn)
				chain := [][]byte{}
				for range 6 {
					chain = append(chain, ext6(layers.IPProtocolIPv6Destination))
				}
				long := raw6(t, us6, de6, layers.IPProtocolIPv6Destination, append(chain, ext6(layers.IPProtocolTCP), syn)...)
				cut := raw6(t, us6, de6, layers.IPProtocolIPv6HopByHop, ext6(layers.IPProtocolTCP)[:4])
				return []sent{
					{ok, key("US", DirInbound, false, ProtoTCP), rec(ReasonTCPFlags, "US", "DE", DirInbound)},
					{long, nil, nil},
					{cut, nil, nil},
				}
			}},
		{name: "fragments", ret: xdpPass, globals: Globals{Fragments: 2}, pkts: func(t *testing.T) []sent {
			later := ip4(us, de, layers.IPProtocolUDP)
			later.FragOffset = 185
			firstFrag := ip4(us, de, layers.IPProtocolUDP)
			firstFrag.Flags = layers.IPv4MoreFragments
			v6later := raw6(t, us6, de6, layers.IPProtocolIPv6Fragment, frag6(layers.IPProtocolUDP, 100, false), payload(16))
			k := key("US", DirInbound, false, ProtoUDP)
			return []sent{
				{pkt(t, eth(layers.EthernetTypeIPv4), later, payload(40)), k, rec(ReasonFragment, "US", "DE", DirInbound)},
				{pkt(t, eth(layers.EthernetTypeIPv4), firstFrag, udp(1, 53), payload(40)), k, rec(ReasonBudget, "US", "DE", DirInbound)},
				{v6later, k, rec(ReasonFragment, "US", "DE", DirInbound)},
			}
		}},
		{name: "enforcement drops by prefix and country", opts: enforce, rules: dropRules, ret: xdpDrop,
			globals: Globals{EnforceDrops: 3}, drops: map[uint32]uint64{5: 2, 7: 1}, pkts: func(t *testing.T) []sent {
				return []sent{
					{v4tcp(t, us, de, 1, 22, "S"), key("US", DirInbound, false, ProtoTCP), rec(first|ReasonDropped, "US", "DE", DirInbound)},
					{v4tcp(t, de, us, 22, 1, "A"), key("US", DirOutbound, false, ProtoTCP), rec(ReasonFlowFirst|ReasonDropped, "DE", "US", DirOutbound)},
					// Transit, but dropped: still handed off under the budget.
					{v4udp(t, cn, at, 10), key("CN", DirTransit, false, ProtoUDP), rec(ReasonBudget|ReasonDropped, "CN", "AT", DirTransit)},
				}
			}},
		{name: "dropped packets are handed off within the budgets", opts: func(o *Options) {
			o.Enforce, o.SourceBudget, o.SourceBurst, o.FlowPackets = true, 0, 2, 2
		}, rules: dropRules, ret: xdpDrop, globals: Globals{EnforceDrops: 7, BudgetDrops: 1}, drops: map[uint32]uint64{7: 7},
			pkts: func(t *testing.T) []sent {
				k := key("CN", DirInbound, false, ProtoUDP)
				r := rec(ReasonBudget|ReasonDropped, "CN", "DE", DirInbound)
				kt := key("CN", DirTransit, false, ProtoTCP)
				u := v4udp(t, cn, de, 10)
				ack := v4tcp(t, cn, at, 5000, 443, "A")
				return []sent{
					{u, k, r}, {u, k, r}, {u, k, nil}, // burst 2, then over the budget
					{ack, kt, rec(ReasonFlowFirst|ReasonDropped, "CN", "AT", DirTransit)},
					{ack, kt, rec(ReasonFlowFirst|ReasonDropped, "CN", "AT", DirTransit)},
					{ack, kt, nil}, // past the first 2 of the flow
					{v4tcp(t, cn, at, 5000, 443, "R"), kt, rec(ReasonTCPFlags|ReasonDropped, "CN", "AT", DirTransit)},
				}
			}},
		{name: "enforcement passes the rest", opts: enforce, rules: dropRules, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{{v4udp(t, de, at, 10), key("AT", DirOutbound, false, ProtoUDP), rec(ReasonBudget, "DE", "AT", DirOutbound)}}
		}},
		{name: "sensor mode never drops", rules: dropRules, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4tcp(t, us, de, 1, 22, "S"), key("US", DirInbound, false, ProtoTCP), rec(first, "US", "DE", DirInbound)},
				{v4udp(t, cn, at, 10), key("CN", DirTransit, false, ProtoUDP), nil},
			}
		}},
		{name: "tc egress", egress: true, ret: tcActOK, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4udp(t, de, us, 30), key("US", DirOutbound, true, ProtoUDP), rec(ReasonBudget, "DE", "US", DirOutbound)},
				{v4tcp(t, de, de2, 1, 2, "S"), key("DE", DirInternal, true, ProtoTCP), nil},
			}
		}},
		{name: "tc egress enforcement", egress: true, opts: enforce, rules: dropRules, ret: tcActShot,
			globals: Globals{EnforceDrops: 1}, drops: map[uint32]uint64{5: 1}, pkts: func(t *testing.T) []sent {
				return []sent{{v4udp(t, de, us, 30), key("US", DirOutbound, true, ProtoUDP), rec(ReasonBudget|ReasonDropped, "DE", "US", DirOutbound)}}
			}},
		{name: "unknown addresses are home in home-unknown mode", opts: func(o *Options) { o.HomeMode = HomeUnknown }, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4tcp(t, "10.1.2.3", us, 1, 443, "S"), key("US", DirOutbound, false, ProtoTCP), rec(first, "", "US", DirOutbound)},
				{v4tcp(t, "10.1.2.3", de, 1, 443, "S"), key("", DirInternal, false, ProtoTCP), nil},
			}
		}},
		{name: "unknown addresses are foreign in zone mode", ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{
				{v4tcp(t, "10.1.2.3", us, 1, 443, "S"), key("", DirTransit, false, ProtoTCP), nil},
				{v4tcp(t, "10.1.2.3", de, 1, 443, "S"), key("", DirInbound, false, ProtoTCP), rec(first, "", "DE", DirInbound)},
			}
		}},
		{name: "snap length", opts: func(o *Options) { o.SnapLen = 64 }, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{{v4udp(t, us, de, 200), key("US", DirInbound, false, ProtoUDP), rec(ReasonBudget, "US", "DE", DirInbound)}}
		}},
		{name: "snap length zero", opts: func(o *Options) { o.SnapLen = 0 }, ret: xdpPass, pkts: func(t *testing.T) []sent {
			return []sent{{v4udp(t, us, de, 20), key("US", DirInbound, false, ProtoUDP), rec(ReasonBudget, "US", "DE", DirInbound)}}
		}},
	}

	lo := loIndex(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := loadLab(t, tc.opts)
			if tc.rules != nil {
				if err := o.LoadRules(*tc.rules); err != nil {
					t.Fatal(err)
				}
			}
			prog := o.objs.BwXdp
			if tc.egress {
				prog = o.objs.BwTcEgress
			}
			pkts := tc.pkts(t)
			wantG := tc.globals
			wantCounts := map[CounterKey]Count{}
			var wantRecs []Record
			for _, s := range pkts {
				wantG.Packets++
				wantG.Bytes += uint64(len(s.data))
				if s.key != nil {
					c := wantCounts[*s.key]
					c.Packets++
					c.Bytes += uint64(len(s.data))
					wantCounts[*s.key] = c
				}
				if s.rec != nil {
					wantG.Handoff++
					snap := min(len(s.data), int(o.opts.SnapLen))
					wantRecs = append(wantRecs, Record{
						Ifindex: lo, Egress: tc.egress, IPv6: s.data[12] == 0x86 || (len(s.data) > 17 && s.data[16] == 0x86 && s.data[17] == 0xdd),
						WireLen: uint32(len(s.data)), SrcCountry: s.rec.src, DstCountry: s.rec.dst,
						SrcHome: s.rec.srcHome, DstHome: s.rec.dstHome, Direction: s.rec.dir,
						Reasons: s.rec.reasons, Data: s.data[:snap],
					})
				}
			}
			if tc.name == "truncated and malformed headers" {
				wantG.NonIP = 1
			}
			before := monotonicCoarse() // records carry the coarse clock
			for i, s := range pkts {
				ret, err := prog.Run(&ebpf.RunOptions{Data: s.data})
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if ret != tc.ret {
					t.Errorf("packet %d: verdict %d, want %d", i, ret, tc.ret)
				}
			}
			after := monotonic()
			got := drain(t, o)
			if len(got) != len(wantRecs) {
				t.Fatalf("%d records, want %d: %+v", len(got), len(wantRecs), got)
			}
			for i := range got {
				g, w := got[i], wantRecs[i]
				if g.Monotonic < before || g.Monotonic > after {
					t.Errorf("record %d: timestamp %d outside the run [%d, %d]", i, g.Monotonic, before, after)
				}
				if g.Time.UnixNano()-int64(g.Monotonic) != o.wallOffset {
					t.Errorf("record %d: wall time %v not monotonic + offset", i, g.Time)
				}
				// The home zone bit agrees with home for addresses the table knows.
				if (w.SrcCountry != 0 && g.SrcZones&1 != b2z(w.SrcHome)) || (w.DstCountry != 0 && g.DstZones&1 != b2z(w.DstHome)) {
					t.Errorf("record %d: zones %#x/%#x disagree with home %v/%v", i, g.SrcZones, g.DstZones, w.SrcHome, w.DstHome)
				}
				g.Monotonic, g.Time, g.SrcZones, g.DstZones = 0, w.Time, 0, 0
				if !equalRecord(g, w) {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, strip(g), strip(w))
				}
			}
			g, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			g.Handoffs = HandoffPaths{} // by path: TestHandoffPaths
			if g != wantG {
				t.Errorf("globals\n got %+v\nwant %+v", g, wantG)
			}
			counts, err := o.ReadCounters()
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(counts, wantCounts) {
				t.Errorf("counters\n got %v\nwant %v", counts, wantCounts)
			}
			drops, err := o.RuleDrops()
			if err != nil {
				t.Fatal(err)
			}
			if tc.drops == nil {
				tc.drops = map[uint32]uint64{}
			}
			if !maps.Equal(drops, tc.drops) {
				t.Errorf("rule drops %v, want %v", drops, tc.drops)
			}
		})
	}
}

// TCPFlagsFirst is what a boundary-crossing SYN, FIN or RST is handed off
// for: its flags alone, as it is not counted in its flow.
const TCPFlagsFirst = ReasonTCPFlags

func b2z(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}

func equalRecord(a, b Record) bool {
	return slices.Equal(a.Data, b.Data) && strip(a) == strip(b)
}

// recView is a Record without its slices, comparable with ==.
type recView struct {
	Monotonic              uint64
	Time                   int64
	Ifindex                uint32
	Egress, IPv6           bool
	WireLen                uint32
	SrcCountry, DstCountry uint16
	SrcZones, DstZones     uint16
	SrcHome, DstHome       bool
	Direction              uint8
	Reasons                Reason
	CapLen                 int
}

func strip(r Record) recView {
	return recView{r.Monotonic, r.Time.UnixNano(), r.Ifindex, r.Egress, r.IPv6, r.WireLen,
		r.SrcCountry, r.DstCountry, r.SrcZones, r.DstZones, r.SrcHome, r.DstHome, r.Direction, r.Reasons, len(r.Data)}
}
