package decode

import (
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

func BenchmarkDecode(b *testing.B) {
	payload := gopacket.Payload(make([]byte, 512))
	later := ip4(layers.IPProtocolUDP)
	later.FragOffset = 185
	cases := []struct {
		name string
		link layers.LinkType
		data []byte
	}{
		{"eth-ipv4-tcp-syn", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn())},
		{"eth-ipv4-tcp-data", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP),
			&layers.TCP{SrcPort: 443, DstPort: 50000, ACK: true, PSH: true}, payload)},
		{"eth-ipv4-udp", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP), udp(53, 33000), payload)},
		{"eth-ipv4-icmp", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1}, payload)},
		{"eth-ipv4-fragment", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv4), later, payload)},
		{"eth-qinq-ipv4-tcp", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeQinQ),
			&layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}, ip4(layers.IPProtocolTCP), syn())},
		{"eth-ipv6-tcp", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolTCP), syn())},
		{"eth-ipv6-frag-udp", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv6), ip6(layers.IPProtocolIPv6Fragment),
			frag6(layers.IPProtocolUDP, 0, true), udp(53, 1), payload)},
		{"sll2-ipv6-icmpv6", capture.LinkTypeLinuxSLL2, append(make([]byte, 20), serialize(b, ip6(layers.IPProtocolICMPv6),
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}, gopacket.Payload{0, 1, 0, 1})...)},
		{"raw-ipv4-udp", layers.LinkTypeRaw, serialize(b, ip4(layers.IPProtocolUDP), udp(53, 33000), payload)},
		{"null-ipv4-udp", layers.LinkTypeNull, cat([]byte{2, 0, 0, 0}, serialize(b, ip4(layers.IPProtocolUDP), udp(53, 33000), payload))},
		{"ppp-ipv6-tcp", layers.LinkTypePPP, cat([]byte{0xff, 0x03, 0x00, 0x57}, serialize(b, ip6(layers.IPProtocolTCP), syn()))},
		{"cisco-hdlc-ipv4-tcp", LinkTypeCiscoHDLC, cat([]byte{0x0f, 0, 0x08, 0}, serialize(b, ip4(layers.IPProtocolTCP), syn()))},
		{"qinq-pppoe-ipv4-tcp", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeQinQ),
			&layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypePPPoESession},
			gopacket.Payload(cat(pppoeSession(0x21, 44), serialize(b, ip4(layers.IPProtocolTCP), syn()))))},
		{"ppi-80211-ipv4-udp", LinkTypePPI, cat(ppiHeader(105, 20), wifiData(true, layers.EthernetTypeIPv4),
			serialize(b, ip4(layers.IPProtocolUDP), udp(53, 33000), payload))},
		{"arp-non-ip", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeARP), &layers.ARP{AddrType: 1, Protocol: 0x0800,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: 1, SourceHwAddress: macA, SourceProtAddress: v4B, DstHwAddress: macB, DstProtAddress: v4A})},
		{"truncated-tcp", layers.LinkTypeEthernet, serialize(b, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn())[:44]},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// SLL2 headers need their EtherType.
			if c.link == capture.LinkTypeLinuxSLL2 {
				c.data[0], c.data[1] = 0x86, 0xdd
			}
			d := NewDecoder()
			var p Packet
			f := capture.Frame{Data: c.data, Link: c.link, WireLen: uint32(len(c.data))}
			want := d.Decode(&f, &p)
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			b.ResetTimer()
			for b.Loop() {
				if d.Decode(&f, &p) != want {
					b.Fatal("outcome changed")
				}
			}
		})
	}
}
