package decode

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	v4A  = net.IP{198, 51, 100, 7}
	v4B  = net.IP{192, 0, 2, 10}
	v6A  = net.ParseIP("2001:db8:1::7")
	v6B  = net.ParseIP("2001:db8:de::10")
)

// serialize builds a frame with gopacket, fixing lengths and checksums.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.TCP:
			for _, n := range ls {
				if ip, ok := n.(gopacket.NetworkLayer); ok {
					_ = l.SetNetworkLayerForChecksum(ip)
				}
			}
		case *layers.ICMPv6:
			for _, n := range ls {
				if ip, ok := n.(gopacket.NetworkLayer); ok {
					_ = l.SetNetworkLayerForChecksum(ip)
				}
			}
		case *layers.UDP:
			for _, n := range ls {
				if ip, ok := n.(gopacket.NetworkLayer); ok {
					_ = l.SetNetworkLayerForChecksum(ip)
				}
			}
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: t}
}

func ip4(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: v4A, DstIP: v4B}
}

func ip6(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: v6A, DstIP: v6B}
}

func syn() *layers.TCP {
	return &layers.TCP{SrcPort: 40000, DstPort: 22, Seq: 1, SYN: true, Window: 1024,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}}
}

func udp(sport, dport layers.UDPPort) *layers.UDP { return &layers.UDP{SrcPort: sport, DstPort: dport} }

// ext6 is an IPv6 extension header of 8 bytes with the given next header.
func ext6(next layers.IPProtocol) gopacket.Payload {
	return gopacket.Payload{byte(next), 0, 1, 4, 0, 0, 0, 0} // PadN option filling 6 bytes
}

// frag6 is an IPv6 fragment header.
func frag6(next layers.IPProtocol, offset uint16, more bool) gopacket.Payload {
	b := gopacket.Payload{byte(next), 0, 0, 0, 0, 0, 0x12, 0x34}
	v := offset << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:4], v)
	return b
}

var (
	a4 = netip.MustParseAddr("198.51.100.7")
	b4 = netip.MustParseAddr("192.0.2.10")
	a6 = netip.MustParseAddr("2001:db8:1::7")
	b6 = netip.MustParseAddr("2001:db8:de::10")
)

func TestDecode(t *testing.T) {
	const ts = 1_700_000_000_123_456_789
	type tc struct {
		name   string
		link   layers.LinkType
		data   []byte
		reason Reason
		want   Packet // Timestamp and WireLen are filled in by the test
	}
	payload := gopacket.Payload(make([]byte, 100))

	// An IPv4 first fragment of a UDP datagram and a later one.
	ipFirst := ip4(layers.IPProtocolUDP)
	ipFirst.Flags = layers.IPv4MoreFragments
	ipLater := ip4(layers.IPProtocolUDP)
	ipLater.FragOffset = 185 // 1480 bytes
	udpFirst := udp(53, 33000)
	udpFirst.Length = 2008 // whole datagram; FixLengths is off for it below

	firstFrag := func() []byte {
		// FixLengths would rewrite the UDP length; serialize UDP by hand.
		u := make([]byte, 8+92)
		binary.BigEndian.PutUint16(u[0:2], 53)
		binary.BigEndian.PutUint16(u[2:4], 33000)
		binary.BigEndian.PutUint16(u[4:6], 2008)
		return serialize(t, eth(layers.EthernetTypeIPv4), ipFirst, gopacket.Payload(u))
	}()

	sll := func(et layers.EthernetType, rest ...gopacket.SerializableLayer) []byte {
		l := &layers.LinuxSLL{PacketType: layers.LinuxSLLPacketTypeHost, AddrType: 1, AddrLen: 6, Addr: macA, EthernetType: et}
		hdr := make([]byte, 16)
		binary.BigEndian.PutUint16(hdr[0:2], uint16(l.PacketType))
		binary.BigEndian.PutUint16(hdr[2:4], l.AddrType)
		binary.BigEndian.PutUint16(hdr[4:6], l.AddrLen)
		copy(hdr[6:], l.Addr)
		binary.BigEndian.PutUint16(hdr[14:16], uint16(et))
		return append(hdr, serialize(t, rest...)...)
	}
	sll2 := func(et layers.EthernetType, rest ...gopacket.SerializableLayer) []byte {
		hdr := make([]byte, 20)
		binary.BigEndian.PutUint16(hdr[0:2], uint16(et))
		binary.BigEndian.PutUint32(hdr[4:8], 3)
		binary.BigEndian.PutUint16(hdr[8:10], 1)
		hdr[10] = 4 // outgoing
		hdr[11] = 6
		copy(hdr[12:], macA)
		return append(hdr, serialize(t, rest...)...)
	}

	synFrame := serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn())
	synPkt := Packet{Src: a4, Dst: b4, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, IPLen: 44}

	cases := []tc{
		{"ethernet ipv4 tcp syn", layers.LinkTypeEthernet, synFrame, OK, synPkt},
		{"ipv4 tcp psh-ack with payload", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP),
				&layers.TCP{SrcPort: 443, DstPort: 50000, PSH: true, ACK: true}, payload),
			OK, Packet{Src: a4, Dst: b4, SrcPort: 443, DstPort: 50000, Proto: ProtoTCP, TCPFlags: FlagPSH | FlagACK, IPLen: 140, PayloadLen: 100}},
		{"ethernet padding ignored", layers.LinkTypeEthernet, append(serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP),
			&layers.TCP{SrcPort: 1, DstPort: 2, RST: true}), make([]byte, 6)...),
			OK, Packet{Src: a4, Dst: b4, SrcPort: 1, DstPort: 2, Proto: ProtoTCP, TCPFlags: FlagRST, IPLen: 40}},
		{"802.1q udp", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4},
				ip4(layers.IPProtocolUDP), udp(5353, 53), payload),
			OK, Packet{Src: a4, Dst: b4, SrcPort: 5353, DstPort: 53, Proto: ProtoUDP, VLAN: 100, IPLen: 128, PayloadLen: 100}},
		{"802.1ad qinq keeps outer vlan", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeDot1Q},
				&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}, ip4(layers.IPProtocolTCP), syn()),
			OK, Packet{Src: a4, Dst: b4, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, VLAN: 200, IPLen: 44}},
		{"0x9100 qinq", layers.LinkTypeEthernet,
			serialize(t, eth(0x9100), &layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv6}, ip6(layers.IPProtocolUDP), udp(1, 2)),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 1, DstPort: 2, Proto: ProtoUDP, VLAN: 7, IPLen: 48}},
		{"ipv6 tcp", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolTCP), syn()),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, IPLen: 64}},
		{"icmpv4 echo request", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
				&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 0xbeef, Seq: 1}, gopacket.Payload(make([]byte, 56))),
			OK, Packet{Src: a4, Dst: b4, SrcPort: 0xbeef, Proto: ProtoICMP, ICMPType: 8, IPLen: 84, PayloadLen: 56}},
		{"icmpv4 port unreachable has no identifier", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
				&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3), Id: 0x1111}, gopacket.Payload(make([]byte, 28))),
			OK, Packet{Src: a4, Dst: b4, Proto: ProtoICMP, ICMPType: 3, ICMPCode: 3, IPLen: 56, PayloadLen: 28}},
		{"icmpv6 echo reply", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolICMPv6),
				&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(129, 0)}, gopacket.Payload{0x12, 0x34, 0, 9, 1, 2, 3, 4}),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 0x1234, Proto: ProtoICMPv6, ICMPType: 129, IPLen: 52, PayloadLen: 4}},
		{"ipv4 first fragment keeps ports", layers.LinkTypeEthernet, firstFrag,
			OK, Packet{Src: a4, Dst: b4, SrcPort: 53, DstPort: 33000, Proto: ProtoUDP, Fragment: true, FirstFragment: true, IPLen: 120, PayloadLen: 92}},
		{"ipv4 later fragment has no ports", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv4), ipLater, payload),
			OK, Packet{Src: a4, Dst: b4, Proto: ProtoUDP, Fragment: true, IPLen: 120, PayloadLen: 100}},
		{"ipv6 first fragment", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Fragment), frag6(layers.IPProtocolUDP, 0, true),
				gopacket.Payload{0, 53, 0x80, 0xe8, 0x07, 0xd8, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 53, DstPort: 33000, Proto: ProtoUDP, Fragment: true, FirstFragment: true, IPLen: 64, PayloadLen: 8}},
		{"ipv6 later fragment", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Fragment), frag6(layers.IPProtocolUDP, 181, false), payload),
			OK, Packet{Src: a6, Dst: b6, Proto: ProtoUDP, Fragment: true, IPLen: 148, PayloadLen: 100}},
		{"ipv6 atomic fragment is whole", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Fragment), frag6(layers.IPProtocolTCP, 0, false), syn()),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, IPLen: 72}},
		{"ipv6 destination options and routing", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Destination), ext6(layers.IPProtocolIPv6Routing),
				ext6(layers.IPProtocolTCP), syn()),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, IPLen: 80}},
		{"ipv6 hop-by-hop", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6HopByHop), ext6(layers.IPProtocolUDP), udp(9, 10), payload),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 9, DstPort: 10, Proto: ProtoUDP, IPLen: 156, PayloadLen: 100}},
		{"gre is delivered without ports", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolGRE), gopacket.Payload{0, 0, 0x08, 0}, payload),
			OK, Packet{Src: a4, Dst: b4, Proto: 47, IPLen: 124, PayloadLen: 104}},
		{"ip-in-ip reports the outer header", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolIPv4), &layers.IPv4{Version: 4, IHL: 5, TTL: 9, Protocol: layers.IPProtocolTCP,
				SrcIP: net.IP{203, 0, 113, 1}, DstIP: net.IP{203, 0, 113, 2}}, syn()),
			OK, Packet{Src: a4, Dst: b4, Proto: 4, IPLen: 64, PayloadLen: 44}},
		{"linux sll udp", layers.LinkTypeLinuxSLL, sll(layers.EthernetTypeIPv4, ip4(layers.IPProtocolUDP), udp(123, 80), payload),
			OK, Packet{Src: a4, Dst: b4, SrcPort: 123, DstPort: 80, Proto: ProtoUDP, IPLen: 128, PayloadLen: 100}},
		{"linux sll2 ipv6 tcp", capture.LinkTypeLinuxSLL2, sll2(layers.EthernetTypeIPv6, ip6(layers.IPProtocolTCP), syn()),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, IPLen: 64}},
		{"raw ipv4", layers.LinkTypeRaw, serialize(t, ip4(layers.IPProtocolTCP), syn()), OK, synPkt},
		{"raw ipv6 (dlt 12)", 12, serialize(t, ip6(layers.IPProtocolUDP), udp(1, 2)),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 1, DstPort: 2, Proto: ProtoUDP, IPLen: 48}},
		{"linktype ipv4", layers.LinkTypeIPv4, serialize(t, ip4(layers.IPProtocolTCP), syn()), OK, synPkt},
		{"linktype ipv6", layers.LinkTypeIPv6, serialize(t, ip6(layers.IPProtocolUDP), udp(1, 2)),
			OK, Packet{Src: a6, Dst: b6, SrcPort: 1, DstPort: 2, Proto: ProtoUDP, IPLen: 48}},
		// Payload length 0 with no hop-by-hop header: an empty payload (nmap
		// -6 -sO sends these), not a jumbogram; the Ethernet padding after
		// the 40 bytes is not payload.
		{"ipv6 payload length 0, no next header, padded", layers.LinkTypeEthernet,
			append(serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolNoNextHeader)), 0, 0, 0, 0, 0, 0),
			OK, Packet{Src: a6, Dst: b6, Proto: 59, IPLen: 40}},
		{"raw ipv6 payload length 0, protocol 132", layers.LinkTypeRaw, serialize(t, ip6(layers.IPProtocolSCTP)),
			OK, Packet{Src: a6, Dst: b6, Proto: 132, IPLen: 40}},
		{"ipv6 payload length 0 with udp has no udp header", layers.LinkTypeIPv6,
			serialize(t, ip6(layers.IPProtocolUDP)), Truncated, Packet{}},
		{"tcp options cut by snap length", layers.LinkTypeEthernet, synFrame[:14+20+20],
			OK, synPkt},

		{"arp is non-ip", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeARP), &layers.ARP{AddrType: 1, Protocol: 0x0800,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: 1, SourceHwAddress: macA, SourceProtAddress: v4B, DstHwAddress: macB, DstProtAddress: v4A}),
			NonIP, Packet{}},
		{"802.3 llc is non-ip", layers.LinkTypeEthernet, append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0, 3}, 0x42, 0x42, 3), NonIP, Packet{}},
		{"unsupported link", layers.LinkTypeTokenRing, synFrame, UnsupportedLink, Packet{}},
		{"short ethernet", layers.LinkTypeEthernet, synFrame[:10], Truncated, Packet{}},
		{"ethernet header only", layers.LinkTypeEthernet, synFrame[:14], Truncated, Packet{}},
		{"cut ipv4 header", layers.LinkTypeEthernet, synFrame[:30], Truncated, Packet{}},
		{"cut tcp header", layers.LinkTypeEthernet, synFrame[:14+20+10], Truncated, Packet{}},
		{"no tcp header", layers.LinkTypeEthernet, synFrame[:14+20], Truncated, Packet{}},
		{"cut vlan tag", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeDot1Q))[:14], Truncated, Packet{}},
		{"cut ipv6 fragment header", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Fragment), gopacket.Payload{17, 0, 0}), Truncated, Packet{}},
		{"cut sll2", capture.LinkTypeLinuxSLL2, make([]byte, 19), Truncated, Packet{}},
		{"empty raw", layers.LinkTypeRaw, nil, Truncated, Packet{}},
		{"ipv6 in an ipv4 ethertype", layers.LinkTypeEthernet,
			append(append([]byte(nil), synFrame[:12]...), append([]byte{8, 0}, serialize(t, ip6(layers.IPProtocolUDP), udp(1, 2))...)...),
			Malformed, Packet{}},
		{"ipv4 header length 12", layers.LinkTypeRaw, func() []byte {
			b := serialize(t, ip4(layers.IPProtocolTCP), syn())
			b[0] = 0x43
			return b
		}(), Malformed, Packet{}},
		{"udp length 4", layers.LinkTypeIPv4, func() []byte {
			b := serialize(t, ip4(layers.IPProtocolUDP), udp(1, 2))
			b[20+5] = 4
			return b
		}(), Malformed, Packet{}},
		{"raw version 5", layers.LinkTypeRaw, []byte{0x50, 0, 0, 20}, Malformed, Packet{}},
	}
	d := NewDecoder()
	pd := NewDecoder() // the parser alone, without the direct walk
	pd.parserOnly = true
	var want Stats
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Packet{Src: netip.MustParseAddr("203.0.113.99")} // must be overwritten
			got := d.DecodeData(c.data, c.link, ts, 0, &p)
			var q Packet
			if r := pd.DecodeData(c.data, c.link, ts, 0, &q); r != got || r == OK && q != p {
				t.Errorf("the parser alone: %v %+v; the direct walk: %v %+v", r, q, got, p)
			}
			if got != c.reason {
				t.Fatalf("reason %v, want %v", got, c.reason)
			}
			if got != OK {
				return
			}
			c.want.Timestamp = ts
			c.want.WireLen = uint32(len(c.data))
			if p != c.want {
				t.Errorf("packet\n got %+v\nwant %+v", p, c.want)
			}
		})
		switch c.reason {
		case OK:
			want.Decoded++
			if c.want.Fragment {
				want.Fragments++
			}
			if c.want.Proto == 47 || c.want.Proto == 4 || c.want.Proto == 59 || c.want.Proto == 132 {
				want.OtherL4++
			}
		case Truncated:
			want.Truncated++
		case NonIP:
			want.NonIP++
		case Malformed:
			want.Malformed++
		case UnsupportedLink:
			want.UnsupportedLink++
		}
	}
	if d.Stats != want || pd.Stats != want {
		t.Errorf("stats\n got %+v\n parser alone %+v\nwant %+v", d.Stats, pd.Stats, want)
	}
}

func TestDecodeFrame(t *testing.T) {
	data := serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn())
	f := capture.Frame{Data: data, Timestamp: 42, WireLen: 1500, Link: layers.LinkTypeEthernet}
	var p Packet
	d := NewDecoder()
	if r := d.Decode(&f, &p); r != OK {
		t.Fatalf("reason %v", r)
	}
	if p.Timestamp != 42 || p.WireLen != 1500 || p.DstPort != 22 {
		t.Errorf("packet %+v", p)
	}
	data[14+12] = 10 // the Packet must not point into the frame
	if p.Src != a4 {
		t.Errorf("source changed with the frame: %v", p.Src)
	}
}

func TestReasonString(t *testing.T) {
	for r, want := range map[Reason]string{OK: "ok", Truncated: "truncated", UnsupportedLink: "unsupported_link",
		NonIP: "non_ip", Malformed: "malformed", 99: "unknown"} {
		if r.String() != want {
			t.Errorf("%d: %q, want %q", r, r.String(), want)
		}
	}
}

func TestStatsAdd(t *testing.T) {
	a := Stats{Decoded: 1, Truncated: 2, UnsupportedLink: 3, NonIP: 4, Malformed: 5, OtherL4: 6, Fragments: 7}
	b := a
	b.Add(a)
	if b != (Stats{2, 4, 6, 8, 10, 12, 14}) || b.Skipped() != 28 {
		t.Errorf("%+v skipped %d", b, b.Skipped())
	}
}

func TestLinuxSLL2Packet(t *testing.T) {
	// The SLL2 layer also works with gopacket.NewPacket.
	hdr := make([]byte, 20)
	binary.BigEndian.PutUint16(hdr[0:2], uint16(layers.EthernetTypeIPv4))
	binary.BigEndian.PutUint32(hdr[4:8], 7)
	hdr[10], hdr[11] = 0, 6
	copy(hdr[12:], macA)
	data := append(hdr, serialize(t, ip4(layers.IPProtocolTCP), syn())...)
	pkt := gopacket.NewPacket(data, LayerTypeLinuxSLL2, gopacket.Default)
	s, ok := pkt.Layer(LayerTypeLinuxSLL2).(*LinuxSLL2)
	if !ok {
		t.Fatalf("no SLL2 layer: %v", pkt)
	}
	if s.InterfaceIndex != 7 || s.Addr.String() != macA.String() || s.ProtocolType != layers.EthernetTypeIPv4 {
		t.Errorf("sll2 %+v", s)
	}
	if tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); !ok || tcp.DstPort != 22 {
		t.Errorf("tcp not decoded after SLL2: %v", pkt)
	}
}

// TestTCPOptionsNotParsed decodes SYNs whose options are invalid (an option
// length of 1, an option running past the header, a truncated option
// kind): the segment is kept with its ports and flags, and decoding it
// allocates nothing (gopacket's option parsing allocated an error for each).
func TestTCPOptionsNotParsed(t *testing.T) {
	for _, opts := range [][]byte{
		{2, 1, 0, 0},    // MSS with length 1
		{2, 40, 0, 0},   // length past the header
		{1, 1, 1, 3},    // NOPs then a window scale kind with no length byte
		{2, 4, 5, 0xb4}, // valid MSS, for comparison
	} {
		seg := serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP),
			&layers.TCP{SrcPort: 40000, DstPort: 22, SYN: true, Window: 1024}, gopacket.Payload{0xde, 0xad})
		// Grow the TCP header by the 4 option bytes, in front of the payload.
		tcpOff := 14 + 20
		// (The Ethernet serializer pads the frame to 60 bytes: the payload is
		// the 2 bytes after the header.)
		frame := append(append(append([]byte(nil), seg[:tcpOff+20]...), opts...), seg[tcpOff+20:tcpOff+22]...)
		frame[tcpOff+12] = 6 << 4                                           // data offset: 24 bytes
		binary.BigEndian.PutUint16(frame[14+2:14+4], uint16(len(frame)-14)) // IPv4 total length
		d := NewDecoder()
		var p Packet
		f := capture.Frame{Data: frame, Link: layers.LinkTypeEthernet, WireLen: uint32(len(frame))}
		if r := d.Decode(&f, &p); r != OK {
			t.Fatalf("options % x: %v, want ok", opts, r)
		}
		if p.SrcPort != 40000 || p.DstPort != 22 || p.TCPFlags != FlagSYN || p.PayloadLen != 2 || p.IPLen != 20+24+2 {
			t.Errorf("options % x: ports %d>%d flags %#x payload %d iplen %d", opts, p.SrcPort, p.DstPort, p.TCPFlags, p.PayloadLen, p.IPLen)
		}
		if n := testing.AllocsPerRun(100, func() { d.Decode(&f, &p) }); n != 0 {
			t.Errorf("options % x: %.0f allocations per packet, want 0", opts, n)
		}
	}
}

// TestFastPath decodes frames at the edges of the fast path (IPv4 without
// options nor fragmentation, IPv6 without extension headers; TCP, UDP,
// ICMP, ICMPv6) both ways: the fast path takes exactly
// the frames it should, and every frame gives the same outcome, Packet and
// counters as the parser alone.
func TestFastPath(t *testing.T) {
	base := func() []byte {
		return serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP),
			&layers.TCP{SrcPort: 40000, DstPort: 22, SYN: true, Window: 1024}, gopacket.Payload(make([]byte, 30)))
	}
	udpFrame := func() []byte {
		return serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(53, 33000), gopacket.Payload(make([]byte, 30)))
	}
	icmp4Frame := func(typ uint8) []byte {
		return serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: 7}, gopacket.Payload(make([]byte, 20)))
	}
	v6Frame := func(ls ...gopacket.SerializableLayer) []byte {
		return serialize(t, append([]gopacket.SerializableLayer{eth(layers.EthernetTypeIPv6)}, ls...)...)
	}
	const ipOff, l4Off = 14, 34
	edit := func(b []byte, f func(b []byte)) []byte { f(b); return b }
	setTL := func(b []byte, n int) { binary.BigEndian.PutUint16(b[ipOff+2:ipOff+4], uint16(n)) }
	setPlen := func(b []byte, n int) { binary.BigEndian.PutUint16(b[ipOff+4:ipOff+6], uint16(n)) }
	cases := []struct {
		name string
		link layers.LinkType
		data []byte
		fast bool
	}{
		{"tcp", layers.LinkTypeEthernet, base(), true},
		{"udp", layers.LinkTypeEthernet, udpFrame(), true},
		{"raw-ipv4-tcp", layers.LinkTypeIPv4, base()[ipOff:], true},
		{"df-set", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[ipOff+6] = 0x40 }), true},
		{"reserved-flag", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[ipOff+6] = 0x80 }), true},
		{"more-fragments", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[ipOff+6] = 0x20 }), false},
		{"fragment-offset", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[ipOff+7] = 1 }), false},
		{"ihl-6", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[ipOff] = 0x46 }), false},
		{"ihl-4", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[ipOff] = 0x44 }), false},
		{"version-6", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[ipOff] = 0x65 }), false},
		{"total-length-0", layers.LinkTypeEthernet, edit(base(), func(b []byte) { setTL(b, 0) }), false},
		{"total-length-19", layers.LinkTypeEthernet, edit(base(), func(b []byte) { setTL(b, 19) }), false},
		{"total-length-30", layers.LinkTypeEthernet, edit(base(), func(b []byte) { setTL(b, 30) }), false}, // TCP header cut
		{"total-length-45", layers.LinkTypeEthernet, edit(base(), func(b []byte) { setTL(b, 45) }), true},  // trailing padding
		{"snap-cut-payload", layers.LinkTypeEthernet, base()[:l4Off+25], true},
		{"snap-cut-tcp", layers.LinkTypeEthernet, base()[:l4Off+19], false},
		{"tcp-offset-4", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[l4Off+12] = 4 << 4 }), false},
		{"tcp-offset-past-data", layers.LinkTypeEthernet, edit(base(), func(b []byte) { b[l4Off+12] = 15 << 4 }), true},
		{"udp-length-7", layers.LinkTypeEthernet, edit(udpFrame(), func(b []byte) { binary.BigEndian.PutUint16(b[l4Off+4:], 7) }), false},
		{"udp-length-0", layers.LinkTypeEthernet, edit(udpFrame(), func(b []byte) { binary.BigEndian.PutUint16(b[l4Off+4:], 0) }), true},
		{"udp-length-past-data", layers.LinkTypeEthernet, edit(udpFrame(), func(b []byte) { binary.BigEndian.PutUint16(b[l4Off+4:], 9000) }), true},
		{"icmp-echo", layers.LinkTypeEthernet, icmp4Frame(8), true},
		{"icmp-echo-reply", layers.LinkTypeEthernet, icmp4Frame(0), true},
		{"icmp-unreachable", layers.LinkTypeEthernet, icmp4Frame(3), true},
		{"icmp-short", layers.LinkTypeEthernet, icmp4Frame(8)[:l4Off+7], false},
		{"ipv4-carrying-icmpv6", layers.LinkTypeEthernet, edit(icmp4Frame(8), func(b []byte) { b[ipOff+9] = ProtoICMPv6 }), false},
		{"ipv4-gre", layers.LinkTypeEthernet, edit(icmp4Frame(8), func(b []byte) { b[ipOff+9] = 47 }), false},
		{"ipv6-tcp", layers.LinkTypeEthernet, v6Frame(ip6(layers.IPProtocolTCP), syn()), true},
		{"raw-ipv6-tcp", layers.LinkTypeIPv6, v6Frame(ip6(layers.IPProtocolTCP), syn())[ipOff:], true},
		{"ipv6-udp", layers.LinkTypeEthernet, v6Frame(ip6(layers.IPProtocolUDP), udp(53, 33000)), true},
		{"ipv6-echo", layers.LinkTypeEthernet, v6Frame(ip6(layers.IPProtocolICMPv6), &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)},
			gopacket.Payload{0, 9, 0, 1}), true},
		{"ipv6-echo-reply", layers.LinkTypeEthernet, v6Frame(ip6(layers.IPProtocolICMPv6), &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(129, 0)},
			gopacket.Payload{0, 9, 0, 1}), true},
		{"ipv6-echo-short", layers.LinkTypeEthernet, edit(v6Frame(ip6(layers.IPProtocolICMPv6),
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}), func(b []byte) { setPlen(b, 4) }), false},
		{"ipv6-icmpv6-4-bytes", layers.LinkTypeEthernet, edit(v6Frame(ip6(layers.IPProtocolICMPv6),
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 4)}), func(b []byte) { setPlen(b, 4) }), true},
		{"ipv6-carrying-icmp", layers.LinkTypeEthernet, edit(v6Frame(ip6(layers.IPProtocolTCP), syn()), func(b []byte) { b[ipOff+6] = ProtoICMP }), false},
		{"ipv6-payload-length-0", layers.LinkTypeEthernet, edit(v6Frame(ip6(layers.IPProtocolTCP), syn()), func(b []byte) { setPlen(b, 0) }), false},
		{"ipv6-payload-length-10", layers.LinkTypeEthernet, edit(v6Frame(ip6(layers.IPProtocolTCP), syn()), func(b []byte) { setPlen(b, 10) }), false},
		{"ipv6-payload-past-data", layers.LinkTypeEthernet, edit(v6Frame(ip6(layers.IPProtocolTCP), syn()), func(b []byte) { setPlen(b, 1400) }), true},
		{"ipv6-version-4", layers.LinkTypeEthernet, edit(v6Frame(ip6(layers.IPProtocolTCP), syn()), func(b []byte) { b[ipOff] = 0x40 }), false},
		{"ipv6-hop-by-hop", layers.LinkTypeEthernet, v6Frame(ip6(layers.IPProtocolIPv6HopByHop), ext6(layers.IPProtocolTCP), syn()), false},
		{"ipv6-fragment", layers.LinkTypeEthernet, v6Frame(ip6(layers.IPProtocolIPv6Fragment), frag6(layers.IPProtocolUDP, 0, true), udp(53, 1)), false},
		{"ipv6-short", layers.LinkTypeEthernet, v6Frame(ip6(layers.IPProtocolTCP), syn())[:ipOff+39], false},
		{"vlan", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeDot1Q),
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}, ip4(layers.IPProtocolTCP), syn()), false},
		{"short-ethernet", layers.LinkTypeEthernet, base()[:l4Off-1], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, pd := NewDecoder(), NewDecoder()
			pd.parserOnly = true
			var p, q Packet
			first := layers.LayerTypeEthernet
			switch c.link {
			case layers.LinkTypeIPv4:
				first = layers.LayerTypeIPv4
			case layers.LinkTypeIPv6:
				first = layers.LayerTypeIPv6
			}
			if got := d.fast(c.data, first, 5, 0, &p); got != c.fast {
				t.Fatalf("fast path taken %v, want %v", got, c.fast)
			}
			d = NewDecoder()
			r := d.DecodeData(c.data, c.link, 5, 0, &p)
			rq := pd.DecodeData(c.data, c.link, 5, 0, &q)
			if r != rq || r == OK && p != q || d.Stats != pd.Stats {
				t.Fatalf("fast path: %v %+v %+v; parser: %v %+v %+v", r, p, d.Stats, rq, q, pd.Stats)
			}
			if c.fast && (r != OK || p.Src != netip.AddrFrom4([4]byte(v4A.To4())) && p.Src != netip.AddrFrom16([16]byte(v6A))) {
				t.Fatalf("fast frame decoded as %v %+v", r, p)
			}
		})
	}
}
