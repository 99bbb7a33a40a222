package decode

import (
	"encoding/binary"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// cat joins byte slices into a new one.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// pppoeSession is a PPPoE session header (version 1, type 1, code 0, session
// 0x1234) announcing n bytes of PPP payload, followed by the PPP protocol.
func pppoeSession(proto uint16, n int) []byte {
	b := []byte{0x11, 0, 0x12, 0x34, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[4:6], uint16(n+2))
	binary.BigEndian.PutUint16(b[6:8], proto)
	return b
}

// wifiData is an 802.11 data frame header from an access point (FromDS), QoS
// when qos is set, followed by an LLC/SNAP header carrying ethertype.
func wifiData(qos bool, et layers.EthernetType) []byte {
	fc0 := byte(0x08) // type data, subtype 0
	n := 24
	if qos {
		fc0, n = 0x88, 26
	}
	h := make([]byte, n)
	h[0], h[1] = fc0, 0x02 // FromDS
	copy(h[4:], macB)
	copy(h[10:], macA)
	copy(h[16:], macA)
	snap := []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(snap[6:], uint16(et))
	return cat(h, snap)
}

// ppiHeader is a PPI header of 8 bytes plus extra bytes of fields, around
// the link type inner.
func ppiHeader(inner uint32, extra int) []byte {
	h := make([]byte, 8+extra)
	binary.LittleEndian.PutUint16(h[2:4], uint16(8+extra))
	binary.LittleEndian.PutUint32(h[4:8], inner)
	return h
}

// TestDecodeLinkTypes decodes one frame of each link type found in public
// captures beside Ethernet and Linux cooked captures, built byte for byte as
// libpcap writes them (pcap-linktype(7), the PPP, PPPoE (RFC 2516), Cisco
// HDLC, 802.11, radiotap and PPI specifications), and the ways each ends
// early.
func TestDecodeLinkTypes(t *testing.T) {
	const ts = 1_700_000_000_000_000_000
	udp4 := serialize(t, ip4(layers.IPProtocolUDP), udp(53, 33000), gopacket.Payload(make([]byte, 20)))
	udp4Pkt := Packet{Src: a4, Dst: b4, SrcPort: 53, DstPort: 33000, Proto: ProtoUDP, IPLen: 48, PayloadLen: 20}
	syn6 := serialize(t, ip6(layers.IPProtocolTCP), syn())
	syn6Pkt := Packet{Src: a6, Dst: b6, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, IPLen: 64}
	syn4 := serialize(t, ip4(layers.IPProtocolTCP), syn())
	syn4Pkt := Packet{Src: a4, Dst: b4, SrcPort: 40000, DstPort: 22, Proto: ProtoTCP, TCPFlags: FlagSYN, IPLen: 44}
	synEth := serialize(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn())
	lcp := []byte{1, 1, 0, 4} // LCP configure-request, no options

	cases := []struct {
		name   string
		link   layers.LinkType
		data   []byte
		reason Reason
		want   Packet
	}{
		// BSD loopback: the address family in the writer's byte order (NULL)
		// or in network order (LOOP, OpenBSD).
		{"null little-endian AF_INET", layers.LinkTypeNull, cat([]byte{2, 0, 0, 0}, udp4), OK, udp4Pkt},
		{"null big-endian AF_INET", layers.LinkTypeNull, cat([]byte{0, 0, 0, 2}, udp4), OK, udp4Pkt},
		{"null macOS AF_INET6 30", layers.LinkTypeNull, cat([]byte{30, 0, 0, 0}, syn6), OK, syn6Pkt},
		{"null FreeBSD AF_INET6 28", layers.LinkTypeNull, cat([]byte{28, 0, 0, 0}, syn6), OK, syn6Pkt},
		{"null NetBSD big-endian AF_INET6 24", layers.LinkTypeNull, cat([]byte{0, 0, 0, 24}, syn6), OK, syn6Pkt},
		{"null AF_APPLETALK", layers.LinkTypeNull, cat([]byte{16, 0, 0, 0}, udp4), NonIP, Packet{}},
		{"null short", layers.LinkTypeNull, []byte{2, 0, 0}, Truncated, Packet{}},
		{"null family only", layers.LinkTypeNull, []byte{2, 0, 0, 0}, Truncated, Packet{}},
		{"loop AF_INET", layers.LinkTypeLoop, cat([]byte{0, 0, 0, 2}, udp4), OK, udp4Pkt},
		{"loop AF_INET6 24", layers.LinkTypeLoop, cat([]byte{0, 0, 0, 24}, syn6), OK, syn6Pkt},
		{"loop little-endian is not a family", layers.LinkTypeLoop, cat([]byte{2, 0, 0, 0}, udp4), NonIP, Packet{}},

		// PPP: with or without the HDLC address and control bytes, with a
		// compressed (one-byte) protocol field.
		{"ppp ff03 ipv4", layers.LinkTypePPP, cat([]byte{0xff, 0x03, 0x00, 0x21}, udp4), OK, udp4Pkt},
		{"ppp ipv4 no address/control", layers.LinkTypePPP, cat([]byte{0x00, 0x21}, udp4), OK, udp4Pkt},
		{"ppp compressed protocol", layers.LinkTypePPP, cat([]byte{0x21}, udp4), OK, udp4Pkt},
		{"ppp ipv6", layers.LinkTypePPP, cat([]byte{0xff, 0x03, 0x00, 0x57}, syn6), OK, syn6Pkt},
		{"ppp lcp", layers.LinkTypePPP, cat([]byte{0xff, 0x03, 0xc0, 0x21}, lcp), NonIP, Packet{}},
		{"ppp short", layers.LinkTypePPP, []byte{0xff, 0x03, 0x00}, Truncated, Packet{}},
		{"ppp_hdlc ipv4", LinkTypePPPSerial, cat([]byte{0xff, 0x03, 0x00, 0x21}, syn4), OK, syn4Pkt},
		{"ppp_hdlc carrying cisco hdlc", LinkTypePPPSerial, cat([]byte{0x0f, 0x00, 0x08, 0x00}, syn4), OK, syn4Pkt},

		// PPPoE: in Ethernet, under 802.1ad QinQ, and as its own link type.
		{"ethernet pppoe ipv4", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypePPPoESession), gopacket.Payload(cat(pppoeSession(0x21, len(syn4)), syn4))),
			OK, syn4Pkt},
		{"ethernet pppoe ipv6", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypePPPoESession), gopacket.Payload(cat(pppoeSession(0x57, len(syn6)), syn6))),
			OK, syn6Pkt},
		{"qinq pppoe ipv4 keeps outer vlan", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 300, Type: layers.EthernetTypeDot1Q},
				&layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypePPPoESession}, gopacket.Payload(cat(pppoeSession(0x21, len(udp4)), udp4))),
			OK, func() Packet { p := udp4Pkt; p.VLAN = 300; return p }()},
		{"ethernet pppoe lcp", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypePPPoESession), gopacket.Payload(cat(pppoeSession(0xc021, len(lcp)), lcp, make([]byte, 40)))),
			NonIP, Packet{}},
		{"ethernet pppoe discovery", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypePPPoEDiscovery), gopacket.Payload(cat([]byte{0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0}, make([]byte, 40)))),
			NonIP, Packet{}},
		{"ethernet pppoe cut in its header", layers.LinkTypeEthernet,
			cat(serialize(t, eth(layers.EthernetTypePPPoESession))[:14], []byte{0x11, 0, 0x12}), Truncated, Packet{}},
		{"ethernet pppoe ends after ppp protocol", layers.LinkTypeEthernet,
			cat(serialize(t, eth(layers.EthernetTypePPPoESession))[:14], pppoeSession(0x21, 0)), Truncated, Packet{}},
		{"ethernet pppoe bad version", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypePPPoESession), gopacket.Payload(cat([]byte{0x22}, pppoeSession(0x21, len(syn4))[1:], syn4))),
			Malformed, Packet{}},
		{"ppp_ether ipv4", LinkTypePPPoE, cat(pppoeSession(0x21, len(udp4)), udp4), OK, udp4Pkt},
		{"ppp_ether discovery", LinkTypePPPoE, []byte{0x11, 0x09, 0, 0, 0, 0}, NonIP, Packet{}},

		// Cisco HDLC: address, control, EtherType.
		{"cisco hdlc ipv4", LinkTypeCiscoHDLC, cat([]byte{0x0f, 0x00, 0x08, 0x00}, syn4), OK, syn4Pkt},
		{"cisco hdlc broadcast ipv6", LinkTypeCiscoHDLC, cat([]byte{0x8f, 0x00, 0x86, 0xdd}, syn6), OK, syn6Pkt},
		{"cisco hdlc slarp", LinkTypeCiscoHDLC, cat([]byte{0x8f, 0x00, 0x80, 0x35}, make([]byte, 20)), NonIP, Packet{}},
		{"cisco hdlc short", LinkTypeCiscoHDLC, []byte{0x0f, 0x00, 0x08}, Truncated, Packet{}},

		// 802.11 data frames: bare, under radiotap, under PPI.
		{"802.11 data ipv4", LinkTypeIEEE80211, cat(wifiData(false, layers.EthernetTypeIPv4), syn4), OK, syn4Pkt},
		{"802.11 qos data ipv6", LinkTypeIEEE80211, cat(wifiData(true, layers.EthernetTypeIPv6), syn6), OK, syn6Pkt},
		{"802.11 protected", LinkTypeIEEE80211, func() []byte {
			b := cat(wifiData(false, layers.EthernetTypeIPv4), syn4)
			b[1] |= 0x40
			return b
		}(), NonIP, Packet{}},
		{"802.11 beacon", LinkTypeIEEE80211, cat([]byte{0x80, 0}, make([]byte, 60)), NonIP, Packet{}},
		{"802.11 arp", LinkTypeIEEE80211, cat(wifiData(false, layers.EthernetTypeARP), make([]byte, 28)), NonIP, Packet{}},
		{"802.11 cut in llc", LinkTypeIEEE80211, wifiData(false, layers.EthernetTypeIPv4)[:28], Truncated, Packet{}},
		{"radiotap 802.11 ipv4", LinkTypeRadiotap,
			cat([]byte{0, 0, 12, 0, 0x04, 0, 0, 0, 0x02, 0, 0x6c, 0x09}, wifiData(true, layers.EthernetTypeIPv4), udp4), OK, udp4Pkt},
		{"radiotap length past the frame", LinkTypeRadiotap, []byte{0, 0, 64, 0, 0, 0, 0, 0}, Truncated, Packet{}},
		{"ppi ethernet", LinkTypePPI, cat(ppiHeader(1, 0), synEth), OK, syn4Pkt},
		{"ppi with fields 802.11", LinkTypePPI, cat(ppiHeader(105, 24), wifiData(true, layers.EthernetTypeIPv4), syn4), OK, syn4Pkt},
		{"ppi raw ipv6", LinkTypePPI, cat(ppiHeader(101, 0), syn6), OK, syn6Pkt},
		{"ppi prism not decoded", LinkTypePPI, cat(ppiHeader(119, 0), make([]byte, 40)), UnsupportedLink, Packet{}},
		{"ppi in ppi not decoded", LinkTypePPI, cat(ppiHeader(192, 0), ppiHeader(1, 0), synEth), UnsupportedLink, Packet{}},
		{"ppi bad version", LinkTypePPI, cat([]byte{1}, ppiHeader(1, 0)[1:], synEth), Malformed, Packet{}},
		{"ppi short", LinkTypePPI, []byte{0, 0, 8, 0, 1}, Truncated, Packet{}},

		// FDDI: frame control, two addresses, LLC/SNAP.
		{"fddi ipv4", layers.LinkTypeFDDI, cat([]byte{0x50}, macA, macB, []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, syn4), OK, syn4Pkt},
		{"fddi llc not snap", layers.LinkTypeFDDI, cat([]byte{0x50}, macA, macB, []byte{0x42, 0x42, 0x03, 0, 0, 0, 0, 0}), NonIP, Packet{}},
		{"fddi short", layers.LinkTypeFDDI, cat([]byte{0x50}, macA, macB, []byte{0xaa}), Truncated, Packet{}},

		// NFLOG: AF_INET header, a prefix attribute (5 bytes, padded), the
		// payload attribute.
		{"nflog ipv4", LinkTypeNFLOG, cat([]byte{2, 0, 0, 1, 5, 0, 10, 0, 'x', 0, 0, 0}, []byte{byte(4 + len(syn4)), 0, 9, 0}, syn4), OK, syn4Pkt},
		{"nflog ipv6", LinkTypeNFLOG, cat([]byte{10, 0, 0, 1}, []byte{byte(4 + len(syn6)), 0, 9, 0}, syn6), OK, syn6Pkt},
		{"nflog no payload", LinkTypeNFLOG, []byte{2, 0, 0, 1, 8, 0, 1, 0, 0, 0, 0, 0}, NonIP, Packet{}},
		{"nflog attribute length 0", LinkTypeNFLOG, []byte{2, 0, 0, 1, 0, 0, 1, 0}, Malformed, Packet{}},
		{"nflog attribute past the end", LinkTypeNFLOG, []byte{2, 0, 0, 1, 16, 0, 1, 0, 0, 0, 0, 0}, Truncated, Packet{}},
		{"nflog stray bytes after the attributes", LinkTypeNFLOG, []byte{2, 0, 0, 1, 8, 0, 1, 0, 0, 0, 0, 0, 1, 2}, NonIP, Packet{}},

		// OpenBSD pflog: a 61-byte header padded to 64, AF_INET.
		{"pflog ipv4", linkTypePFLog, cat([]byte{61, 2}, make([]byte, 62), syn4), OK, syn4Pkt},

		{"prism not decoded", layers.LinkTypePrismHeader, cat(make([]byte, 144), syn4), UnsupportedLink, Packet{}},
	}
	d := NewDecoder()
	pd := NewDecoder()
	pd.parserOnly = true
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p, q Packet
			got := d.DecodeData(c.data, c.link, ts, 0, &p)
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
	}
}

func TestLinkSupportedAndName(t *testing.T) {
	for _, c := range []struct {
		lt   uint32
		ok   bool
		name string
	}{
		{0, true, "NULL (BSD loopback) (0)"},
		{1, true, "ETHERNET (1)"},
		{9, true, "PPP (9)"},
		{51, true, "PPP_ETHER (PPPoE) (51)"},
		{104, true, "C_HDLC (Cisco HDLC) (104)"},
		{108, true, "LOOP (BSD loopback) (108)"},
		{192, true, "PPI (192)"},
		{276, true, "LINUX_SLL2 (276)"},
		{119, false, "IEEE802_11_PRISM (119)"},
		{143, false, "DOCSIS (143)"},
		{239, true, "NFLOG (239)"},
		{10, true, "FDDI (10)"},
		{1000, false, "link type 1000"},
	} {
		if got := LinkSupported(c.lt); got != c.ok {
			t.Errorf("LinkSupported(%d) = %v, want %v", c.lt, got, c.ok)
		}
		if got := LinkName(c.lt); got != c.name {
			t.Errorf("LinkName(%d) = %q, want %q", c.lt, got, c.name)
		}
	}
}
