//go:build linux

package bpf

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// v4data is an Ethernet/IPv4/TCP packet with n payload bytes: IP length
// 40+n.
func v4data(tb testing.TB, src, dst string, sport, dport uint16, flags string, n int) []byte {
	return pkt(tb, eth(layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolTCP), tcp(sport, dport, flags), payload(n))
}

// v6data is an Ethernet/IPv6/TCP packet with n payload bytes: IP length
// 60+n.
func v6data(tb testing.TB, src, dst string, sport, dport uint16, flags string, n int) []byte {
	return pkt(tb, eth(layers.EthernetTypeIPv6), ip6(src, dst, layers.IPProtocolTCP), tcp(sport, dport, flags), payload(n))
}

// wantRec is an expected record: the packet it was built from (header
// fields, wire length and data), its reasons and, for a byte report, the
// counts.
type wantRec struct {
	from             []byte
	reasons          Reason
	src, dst         string
	dir              uint8
	packets, bytes   uint32
	reverse, egress  bool
	srcHome, dstHome bool
}

func checkRecords(t *testing.T, o *Objects, got []Record, want []wantRec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		snap := min(len(w.from), int(o.opts.SnapLen))
		type view struct {
			Reasons                Reason
			WireLen                uint32
			SrcCountry, DstCountry uint16
			Direction              uint8
			SrcHome, DstHome       bool
			Egress, IPv6           bool
			Packets, Bytes         uint32
			Reverse                bool
		}
		gv := view{g.Reasons, g.WireLen, g.SrcCountry, g.DstCountry, g.Direction, g.SrcHome, g.DstHome, g.Egress, g.IPv6,
			g.ReportPackets, g.ReportBytes, g.Reverse}
		wv := view{w.reasons, uint32(len(w.from)), cid(w.src), cid(w.dst), w.dir, w.srcHome, w.dstHome, w.egress,
			w.from[12] == 0x86, w.packets, w.bytes, w.reverse}
		if gv != wv {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, gv, wv)
		}
		if !slices.Equal(g.Data, w.from[:snap]) {
			t.Errorf("record %d: data is not the first %d bytes of its packet", i, snap)
		}
	}
}

// TestByteReports checks that the bytes of boundary-crossing TCP packets
// that are counted but not handed off reach user space as byte reports:
// exact counts at the threshold crossing and at FIN or RST, both
// directions, nothing counted twice.
func TestByteReports(t *testing.T) {
	requireRoot(t)
	const (
		us  = "198.51.100.7"
		de  = "192.0.2.10"
		de6 = "2001:db8:1::9"
		us6 = "2001:db8:2::5"
	)
	in := func(from []byte, r Reason, p, b uint32) wantRec {
		return wantRec{from: from, reasons: r, src: "US", dst: "DE", dir: DirInbound, dstHome: true, packets: p, bytes: b}
	}
	out := func(from []byte, r Reason, p, b uint32) wantRec {
		return wantRec{from: from, reasons: r, src: "DE", dst: "US", dir: DirOutbound, srcHome: true, packets: p, bytes: b}
	}
	rev := func(w wantRec) wantRec { w.reverse = true; return w }
	eg := func(w wantRec) wantRec { w.egress = true; return w }

	type tcase struct {
		name   string
		opts   func(*Options)
		rules  *Rules
		egress bool
		// pkts returns the packets, the expected records and globals
		// (beyond Packets and Bytes).
		pkts func(t *testing.T) ([][]byte, []wantRec, Globals)
	}
	cases := []tcase{
		{name: "threshold crossing and FIN flush", opts: func(o *Options) { o.FlowPackets, o.ReportBytes = 1, 1000 },
			pkts: func(t *testing.T) ([][]byte, []wantRec, Globals) {
				ack := v4tcp(t, us, de, 40000, 22, "A")
				up := v4data(t, de, us, 22, 40000, "PA", 360) // 400 IP bytes
				down := v4data(t, us, de, 40000, 22, "A", 60) // 100 IP bytes
				fin := v4tcp(t, us, de, 40000, 22, "FA")      // 40 IP bytes
				return [][]byte{ack, up, up, down, up, up, down, fin}, []wantRec{
					in(ack, ReasonFlowFirst, 0, 0),
					// The third upload packet crosses 1000: its bytes are in the report.
					out(up, ReasonBytes, 3, 1200),
					// FIN: first the packet's own direction, then the
					// opposite one, then the FIN itself.
					in(fin, ReasonBytes, 2, 200),
					rev(in(fin, ReasonBytes, 1, 400)),
					in(fin, ReasonTCPFlags, 0, 0),
				}, Globals{Handoff: 2, Reports: 3}
			}},
		{name: "rst flushes and an empty direction is not reported", opts: func(o *Options) { o.FlowPackets, o.ReportBytes = 0, 1<<20 },
			pkts: func(t *testing.T) ([][]byte, []wantRec, Globals) {
				up := v4data(t, de, us, 22, 40001, "PA", 960) // 1000 IP bytes
				rst := v4tcp(t, us, de, 40001, 22, "RA")
				return [][]byte{up, up, rst, rst}, []wantRec{
					rev(in(rst, ReasonBytes, 2, 2000)),
					in(rst, ReasonTCPFlags, 0, 0),
					in(rst, ReasonTCPFlags, 0, 0), // nothing left to report
				}, Globals{Handoff: 2, Reports: 1}
			}},
		{name: "ipv6 lengths", opts: func(o *Options) { o.FlowPackets, o.ReportBytes = 0, 300 },
			pkts: func(t *testing.T) ([][]byte, []wantRec, Globals) {
				up := v6data(t, de6, us6, 22, 40002, "A", 100) // 160 IP bytes
				return [][]byte{up, up, up}, []wantRec{
					{from: up, reasons: ReasonBytes, src: "DE", dst: "US", dir: DirOutbound, srcHome: true, packets: 2, bytes: 320},
				}, Globals{Reports: 1}
			}},
		{name: "tc egress", egress: true, opts: func(o *Options) { o.FlowPackets, o.ReportBytes = 2, 500 },
			pkts: func(t *testing.T) ([][]byte, []wantRec, Globals) {
				up := v4data(t, de, us, 22, 40003, "PA", 260) // 300 IP bytes
				return [][]byte{up, up, up, up}, []wantRec{
					eg(out(up, ReasonFlowFirst, 0, 0)),
					eg(out(up, ReasonFlowFirst, 0, 0)),
					eg(out(up, ReasonBytes, 2, 600)),
				}, Globals{Handoff: 2, Reports: 1}
			}},
		{name: "packets handed off anyway are not counted again", opts: func(o *Options) { o.FlowPackets, o.ReportBytes = 1, 100 },
			rules: &Rules{Listed: []Listed{{Prefix: netip.MustParsePrefix(us + "/32"), List: 3}}},
			pkts: func(t *testing.T) ([][]byte, []wantRec, Globals) {
				up := v4data(t, de, us, 22, 40004, "PA", 360)
				fin := v4tcp(t, us, de, 40004, 22, "FA")
				return [][]byte{up, up, fin}, []wantRec{
					out(up, ReasonListedDst|ReasonFlowFirst, 0, 0),
					out(up, ReasonListedDst, 0, 0),
					in(fin, ReasonListedSrc|ReasonTCPFlags, 0, 0),
				}, Globals{Handoff: 3}
			}},
		{name: "off", opts: func(o *Options) { o.FlowPackets, o.ReportBytes = 1, 0 },
			pkts: func(t *testing.T) ([][]byte, []wantRec, Globals) {
				up := v4data(t, de, us, 22, 40005, "PA", 360)
				fin := v4tcp(t, us, de, 40005, 22, "FA")
				return [][]byte{up, up, up, fin}, []wantRec{
					out(up, ReasonFlowFirst, 0, 0),
					in(fin, ReasonTCPFlags, 0, 0),
				}, Globals{Handoff: 2}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := loadLab(t, tc.opts)
			if tc.rules != nil {
				if err := o.LoadRules(*tc.rules); err != nil {
					t.Fatal(err)
				}
			}
			prog, ret := o.objs.BwXdp, uint32(xdpPass)
			if tc.egress {
				prog, ret = o.objs.BwTcEgress, tcActOK
			}
			pkts, want, wantG := tc.pkts(t)
			for i, p := range pkts {
				wantG.Packets++
				wantG.Bytes += uint64(len(p))
				r, err := prog.Run(&ebpf.RunOptions{Data: p})
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if r != ret {
					t.Errorf("packet %d: verdict %d, want %d", i, r, ret)
				}
			}
			checkRecords(t, o, drain(t, o), want)
			g, err := o.Counters()
			if err != nil {
				t.Fatal(err)
			}
			g.Handoffs = HandoffPaths{} // by path: TestHandoffPaths
			if g != wantG {
				t.Errorf("globals\n got %+v\nwant %+v", g, wantG)
			}
		})
	}
}

// TestByteReportRingFull checks that a byte report that finds the ring full
// is counted and its counts carried to the flow's next report.
func TestByteReportRingFull(t *testing.T) {
	// No flood cap: the cap keeps SYNs back from a ring past half full.
	o := loadLab(t, func(o *Options) { o.FlowPackets, o.ReportBytes, o.RingBytes, o.FloodTotalPPS = 0, 100, 4096, 0 })
	const us, de = "198.51.100.7", "192.0.2.10"
	run := func(p []byte) {
		t.Helper()
		if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
			t.Fatal(err)
		}
	}
	syn := v4tcp(t, us, de, 40000, 80, "S")
	for i := 0; i < 64; i++ { // fill the ring with SYN records
		run(syn)
	}
	g, err := o.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if g.RingbufFull == 0 {
		t.Fatalf("ring not full after 64 records: %+v", g)
	}
	up := v4data(t, de, us, 22, 40010, "PA", 160) // 200 IP bytes: crosses 100
	run(up)
	if g, _ = o.Counters(); g.ReportsFull != 1 || g.Reports != 0 {
		t.Fatalf("after a report with the ring full: reports %d, full %d; want 0, 1", g.Reports, g.ReportsFull)
	}
	recs := drain(t, o)
	if n := int(g.Handoff); len(recs) != n {
		t.Fatalf("%d records, want the %d SYNs", len(recs), n)
	}
	run(up)
	checkRecords(t, o, drain(t, o), []wantRec{{from: up, reasons: ReasonBytes, src: "DE", dst: "US", dir: DirOutbound, srcHome: true, packets: 2, bytes: 400}})
	if g, _ = o.Counters(); g.ReportsFull != 1 || g.Reports != 1 {
		t.Fatalf("reports %d, full %d; want 1, 1", g.Reports, g.ReportsFull)
	}
}
