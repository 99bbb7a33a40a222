package detect

import (
	"net"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// reportFrame is a kernel byte report as the XDP source delivers it: the
// packet in hand (Ethernet/IPv4/TCP with 100 bytes of data) and the counts.
func reportFrame(t *testing.T, ts int64, src, dst netip.Addr, sp, dp uint16, flags string, pkts, bytes uint32, reverse bool) *decode.Packet {
	t.Helper()
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: 1, ACK: true, Window: 1024}
	for _, f := range flags {
		switch f {
		case 'F':
			tcp.FIN = true
		case 'P':
			tcp.PSH = true
		}
	}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(make([]byte, 100))); err != nil {
		t.Fatal(err)
	}
	f := capture.Frame{Data: buf.Bytes(), Timestamp: ts, WireLen: uint32(len(buf.Bytes())), Link: layers.LinkTypeEthernet,
		ReportPackets: pkts, ReportBytes: bytes, ReportReverse: reverse}
	var p decode.Packet
	if r := decode.NewDecoder().Decode(&f, &p); r != decode.OK {
		t.Fatalf("decoding the report: %v", r)
	}
	return &p
}

// TestByteReports feeds an upload whose data arrives as kernel byte
// reports: the volume rule counts the reported bytes, a packet-count flood
// the reported packets, and the scan, sweep, bruteforce and unsolicited
// flood rules, which the reports would trip if taken for packets, ignore
// them.
func TestByteReports(t *testing.T) {
	ru2 := netip.MustParseAddr("203.0.113.6")
	win := rules.Threshold{Window: 60 * time.Second}
	with := func(th rules.Threshold, f func(*rules.Threshold)) rules.Threshold { f(&th); return th }
	rs := []*rules.Rule{
		{ID: 1, Name: "scan", Kind: rules.KindScan, Protos: rules.ProtoTCP,
			Threshold: with(win, func(th *rules.Threshold) { th.Count = 2 })},
		{ID: 2, Name: "sweep", Kind: rules.KindSweep, Protos: rules.ProtoTCP,
			Threshold: with(win, func(th *rules.Threshold) { th.Count = 2 })},
		{ID: 3, Name: "bruteforce", Kind: rules.KindBruteforce, Protos: rules.ProtoTCP, DstPorts: ports(22),
			Threshold: with(win, func(th *rules.Threshold) { th.Count = 1 })},
		{ID: 4, Name: "unsolicited", Kind: rules.KindFlood, Protos: rules.ProtoTCP, Unsolicited: true,
			Threshold: with(win, func(th *rules.Threshold) { th.Count = 2; th.Track = rules.TrackSrc })},
		{ID: 5, Name: "packets", Kind: rules.KindFlood, Protos: rules.ProtoTCP,
			Threshold: with(win, func(th *rules.Threshold) { th.Count = 500 })},
		{ID: 6, Name: "upload to RU", Kind: rules.KindVolume, From: expr(t, "home"), To: expr(t, "RU"),
			Threshold: with(win, func(th *rules.Threshold) { th.Bytes = 4_000_000; th.Track = rules.TrackSrc })},
	}
	h := newHarness(t, rs, Config{})
	var last flow.Result
	feed := func(p *decode.Packet) {
		last = h.flows.Update(p)
		s, d := h.tab.Lookup(p.Src), h.tab.Lookup(p.Dst)
		h.eng.Process(p, last, &s, &d)
	}
	// The handshake, handed off as packets: no alert (one port, one host,
	// no data, one new flow).
	feed(tcpPkt(0, home, ruHost, 40000, 22, synOnly))
	feed(tcpPkt(sec/10, ruHost, home, 22, 40000, synAck))
	feed(tcpPkt(sec/5, home, ruHost, 40000, 22, decode.FlagACK))
	if len(h.alerts) != 0 {
		t.Fatalf("alerts on the handshake: %+v", h.alerts)
	}
	// Reports of 200 packets and 1 MB each: two of the flow, one of a flow
	// to another port and host (a new flow), one of a third flow given with
	// its FIN from RU (reversed: the bytes went home to RU).
	feed(reportFrame(t, 1*sec, home, ruHost, 40000, 22, "P", 200, 1_000_000, false))
	entry := *last.Entry
	feed(reportFrame(t, 2*sec, home, ru2, 40001, 23, "P", 200, 1_000_000, false))
	feed(reportFrame(t, 3*sec, ruHost, home, 24, 40002, "F", 200, 1_000_000, true))
	feed(reportFrame(t, 4*sec, home, ruHost, 40000, 22, "P", 200, 1_000_000, false))

	// The flow table counts the reported packets and bytes in the
	// direction the bytes went.
	if entry.Packets != [2]uint64{202, 1} || entry.Bytes != [2]uint64{1_000_120, 60} {
		t.Errorf("flow after one report: packets %v bytes %v", entry.Packets, entry.Bytes)
	}
	type got struct {
		sid              uint32
		src, dst         netip.Addr
		sport, dport     uint16
		packets, bytes   uint64
		observed, distin uint64
	}
	var gs []got
	for _, a := range h.alerts {
		gs = append(gs, got{a.SignatureID, a.SrcIP, a.DstIP, a.SrcPort, a.DstPort, a.Stats.Packets, a.Stats.Bytes, a.Threshold.Observed, uint64(a.Stats.DistinctSources)})
	}
	want := []got{
		// To ruHost: SYN, ACK and three reports of 200 (the reversed one
		// went to ruHost too): 602 ≥ 500, at the last report.
		{5, home, ruHost, 40000, 22, 602, 60 + 60 + 3_000_000, 602, 1},
		// From home to RU: SYN, ACK and 4 MB reported.
		{6, home, ruHost, 40000, 22, 802, 4_000_120, 4_000_120, 0},
	}
	if !reflect.DeepEqual(gs, want) {
		t.Errorf("alerts\n got %+v\nwant %+v", gs, want)
	}
	st := h.eng.Stats()
	for _, r := range st.Rules[:4] {
		// The handshake only: SYN and ACK for scan and sweep, the SYN for
		// the unsolicited flood.
		if want := map[uint32]uint64{1: 2, 2: 2, 3: 0, 4: 1}[r.ID]; r.Matched != want {
			t.Errorf("rule %d (%s) matched %d packets, want %d", r.ID, r.Kind, r.Matched, want)
		}
	}
}
