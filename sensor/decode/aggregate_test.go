package decode

import (
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

// TestDecodeByteReport checks how a kernel byte report (a frame with report
// counts) becomes an aggregate Packet: the reported totals, the flow of the
// packet it came with, reversed when the report says so.
func TestDecodeByteReport(t *testing.T) {
	// Ethernet 14 + IPv4 20 + TCP 20 + 100 bytes of data: 140 IP bytes.
	fin := &layers.TCP{SrcPort: 40000, DstPort: 22, Seq: 1, ACK: true, FIN: true, Window: 1024}
	data := serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), fin, gopacket.Payload(make([]byte, 100)))
	base := Packet{Timestamp: 7, Src: a4, Dst: b4, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP}
	cases := []struct {
		name string
		f    capture.Frame
		want Packet
	}{
		{"packet", capture.Frame{Data: data, Timestamp: 7, WireLen: 154, Link: layers.LinkTypeEthernet},
			func() Packet {
				p := base
				p.TCPFlags, p.WireLen, p.IPLen, p.PayloadLen = FlagFIN|FlagACK, 154, 140, 100
				return p
			}()},
		{"report", capture.Frame{Data: data, Timestamp: 7, WireLen: 154, Link: layers.LinkTypeEthernet,
			ReportPackets: 200, ReportBytes: 1_000_000},
			func() Packet {
				p := base
				// 40 header bytes and 14 link bytes per packet.
				p.TCPFlags, p.WireLen, p.IPLen, p.PayloadLen, p.Aggregate = FlagACK, 1_002_800, 1_000_000, 992_000, 200
				return p
			}()},
		{"reverse report", capture.Frame{Data: data, Timestamp: 7, WireLen: 154, Link: layers.LinkTypeEthernet,
			ReportPackets: 3, ReportBytes: 100, ReportReverse: true},
			func() Packet {
				p := base
				p.Src, p.Dst, p.SrcPort, p.DstPort = b4, a4, 22, 40000
				// Fewer bytes than headers: no payload.
				p.TCPFlags, p.WireLen, p.IPLen, p.PayloadLen, p.Aggregate = FlagACK, 142, 100, 0, 3
				return p
			}()},
	}
	d := NewDecoder()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p Packet
			if r := d.Decode(&tc.f, &p); r != OK {
				t.Fatalf("reason %v", r)
			}
			if p != tc.want {
				t.Errorf("\n got %+v\nwant %+v", p, tc.want)
			}
			if n, want := p.Count(), max(uint64(tc.want.Aggregate), 1); n != want {
				t.Errorf("count %d, want %d", n, want)
			}
		})
	}
}

// TestDecodeFloodSample checks how a kernel flood sample (a frame with
// sample counts) becomes an aggregate Packet: the sampled SYN's endpoints,
// ports and flags, standing for the packets it carries. A sample carrying
// only itself is a plain packet.
func TestDecodeFloodSample(t *testing.T) {
	// Ethernet 14 + IPv4 20 + TCP 20: a 40-byte SYN.
	syn := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1, SYN: true, Window: 1024}
	data := serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn)
	base := Packet{Timestamp: 7, Src: a4, Dst: b4, SrcPort: 40000, DstPort: 80, Proto: ProtoTCP, TCPFlags: FlagSYN}
	cases := []struct {
		name string
		f    capture.Frame
		want Packet
	}{
		{"sample of one", capture.Frame{Data: data, Timestamp: 7, WireLen: 60, Link: layers.LinkTypeEthernet, SamplePackets: 1, SampleBytes: 40},
			func() Packet { p := base; p.WireLen, p.IPLen = 60, 40; return p }()},
		{"sample of 900", capture.Frame{Data: data, Timestamp: 7, WireLen: 60, Link: layers.LinkTypeEthernet, SamplePackets: 900, SampleBytes: 36000},
			func() Packet {
				// 20 link bytes per packet (the 60-byte frame's 14 + padding).
				p := base
				p.WireLen, p.IPLen, p.Aggregate = 36000+900*20, 36000, 900
				return p
			}()},
	}
	d := NewDecoder()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p Packet
			if r := d.Decode(&tc.f, &p); r != OK {
				t.Fatalf("reason %v", r)
			}
			if p != tc.want {
				t.Errorf("\n got %+v\nwant %+v", p, tc.want)
			}
		})
	}
}
