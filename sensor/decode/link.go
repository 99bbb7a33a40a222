package decode

import (
	"encoding/binary"
	"strconv"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Link types beyond gopacket's names, as numbered by libpcap (LINKTYPE_*).
const (
	LinkTypePPPSerial  layers.LinkType = 50  // PPP in HDLC-like framing (also Cisco HDLC frames)
	LinkTypePPPoE      layers.LinkType = 51  // LINKTYPE_PPP_ETHER: a PPPoE session header first
	LinkTypeCiscoHDLC  layers.LinkType = 104 // LINKTYPE_C_HDLC
	LinkTypeIEEE80211  layers.LinkType = 105 // 802.11 without a radio header
	LinkTypeRadiotap   layers.LinkType = 127 // LINKTYPE_IEEE802_11_RADIOTAP
	LinkTypePPI        layers.LinkType = 192 // per-packet information header
	LinkTypeNFLOG      layers.LinkType = 239 // Linux netfilter log (iptables NFLOG target)
	fddiHeaderLen                      = 13  // frame control, destination, source
	nflogPayload                       = 9   // NFULA_PAYLOAD
	linkTypePFLog      layers.LinkType = 117
	ppiHeaderLen                       = 8
	pppoeSessionHdrLen                 = 6
)

// The frames of these link types start with a short header the Decoder takes
// apart itself (stripLink): BSD loopback (DLT_NULL, DLT_LOOP), PPP, PPP in
// HDLC-like framing, PPPoE without Ethernet, Cisco HDLC, FDDI, 802.11 data
// frames (bare, under radiotap or under PPI), OpenBSD pflog, Linux NFLOG and
// PPI around any of them or Ethernet.
// After the header the frame is an IP packet or an Ethernet frame, decoded as
// those always are. PPPoE inside Ethernet (any VLAN depth) is a layer of the
// walk (pppoeLayer).

// stripLink takes the link header of a frame of one of the link types above
// off data. It returns the offset of what follows, its layer type (IPv4, IPv6
// or Ethernet), or a Reason when the frame goes no further: Truncated,
// NonIP (a protocol other than IP, or an encrypted 802.11 payload) or
// UnsupportedLink (PPI around a link type not decoded). top is false inside
// a PPI header: PPI does not nest.
func stripLink(data []byte, link layers.LinkType, top bool) (int, gopacket.LayerType, Reason) {
	switch link {
	case layers.LinkTypeNull:
		// The address family in the byte order of the machine that wrote it.
		if len(data) < 4 {
			return 0, 0, Truncated
		}
		af := binary.LittleEndian.Uint32(data)
		if af > 0xffff {
			af = binary.BigEndian.Uint32(data)
		}
		return 4, afNext(af), OK
	case layers.LinkTypeLoop:
		if len(data) < 4 {
			return 0, 0, Truncated
		}
		return 4, afNext(binary.BigEndian.Uint32(data)), OK
	case layers.LinkTypePPP, LinkTypePPPSerial:
		if len(data) >= 1 && (data[0] == 0x0f || data[0] == 0x8f) {
			return stripLink(data, LinkTypeCiscoHDLC, top) // Cisco HDLC written as PPP
		}
		off := 0
		if len(data) >= 2 && data[0] == 0xff && data[1] == 0x03 {
			off = 2 // address and control fields
		}
		n, next, r := pppProto(data[off:])
		return off + n, next, r
	case LinkTypePPPoE:
		if len(data) < pppoeSessionHdrLen {
			return 0, 0, Truncated
		}
		if data[1] != 0 {
			return 0, 0, NonIP // discovery stage (PADI, PADO, …)
		}
		n, next, r := pppProto(data[pppoeSessionHdrLen:])
		return pppoeSessionHdrLen + n, next, r
	case LinkTypeCiscoHDLC:
		// Address (0x0f unicast, 0x8f broadcast), control, EtherType.
		if len(data) < 4 {
			return 0, 0, Truncated
		}
		return 4, ipOnly(layers.EthernetType(binary.BigEndian.Uint16(data[2:4]))), OK
	case layers.LinkTypeFDDI:
		// Frame control, two addresses, then LLC/SNAP like 802.11.
		if len(data) < fddiHeaderLen+8 {
			return 0, 0, Truncated
		}
		off, next, r := stripSNAP(data[fddiHeaderLen:])
		return fddiHeaderLen + off, next, r
	case LinkTypeNFLOG:
		return stripNFLOG(data)
	case LinkTypeIEEE80211:
		return strip80211(data)
	case LinkTypeRadiotap:
		// Version 0, pad, header length (little-endian, whole header).
		if len(data) < 4 {
			return 0, 0, Truncated
		}
		n := int(binary.LittleEndian.Uint16(data[2:4]))
		if data[0] != 0 || n < 8 {
			return 0, 0, Malformed
		}
		if len(data) < n {
			return 0, 0, Truncated
		}
		off, next, r := strip80211(data[n:])
		return n + off, next, r
	case linkTypePFLog:
		// OpenBSD pf's log header: its length (padded to 4 bytes), then the
		// address family in the writer's byte order (one byte).
		if len(data) < 2 {
			return 0, 0, Truncated
		}
		n := (int(data[0]) + 3) &^ 3
		if n < 4 {
			return 0, 0, Malformed
		}
		if len(data) < n {
			return 0, 0, Truncated
		}
		return n, afNext(uint32(data[1])), OK
	case LinkTypePPI:
		// Version 0, flags, header length and the inner link type, both
		// little-endian; the fields between are skipped.
		if !top {
			return 0, 0, UnsupportedLink
		}
		if len(data) < ppiHeaderLen {
			return 0, 0, Truncated
		}
		n := int(binary.LittleEndian.Uint16(data[2:4]))
		if data[0] != 0 || n < ppiHeaderLen {
			return 0, 0, Malformed
		}
		if len(data) < n {
			return 0, 0, Truncated
		}
		inner := binary.LittleEndian.Uint32(data[4:8])
		switch {
		case inner == uint32(layers.LinkTypeEthernet):
			return n, layers.LayerTypeEthernet, OK
		case inner == uint32(layers.LinkTypeRaw) || inner == uint32(layers.LinkTypeIPv4) || inner == uint32(layers.LinkTypeIPv6):
			return n, rawNext(data[n:]), OK
		case inner <= 0xff && inner != uint32(LinkTypePPI) && stripped(layers.LinkType(inner)):
			off, next, r := stripLink(data[n:], layers.LinkType(inner), false)
			return n + off, next, r
		}
		return 0, 0, UnsupportedLink
	}
	return 0, 0, UnsupportedLink
}

// stripped reports whether stripLink takes frames of link type lt.
func stripped(lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypePPP, LinkTypePPPSerial, LinkTypePPPoE,
		LinkTypeCiscoHDLC, LinkTypeIEEE80211, LinkTypeRadiotap, linkTypePFLog, LinkTypePPI,
		layers.LinkTypeFDDI, LinkTypeNFLOG:
		return true
	}
	return false
}

// rawNext picks IPv4 or IPv6 by the version nibble (payload when neither:
// the IP layer then reports the frame malformed or truncated).
func rawNext(data []byte) gopacket.LayerType {
	if len(data) > 0 && data[0]>>4 == 6 {
		return layers.LayerTypeIPv6
	}
	return layers.LayerTypeIPv4
}

// afNext maps a BSD loopback address family to the next layer: AF_INET is 2
// everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS),
// 10 (Linux) or 23 (Windows).
func afNext(af uint32) gopacket.LayerType {
	switch af {
	case 2:
		return layers.LayerTypeIPv4
	case 10, 23, 24, 28, 30:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypePayload
}

// ipOnly maps an EtherType to IPv4 or IPv6, payload otherwise.
func ipOnly(t layers.EthernetType) gopacket.LayerType {
	switch t {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypePayload
}

// pppProto reads a PPP protocol field (one byte when compressed: an odd first
// byte) and returns its length and the layer it announces.
func pppProto(data []byte) (int, gopacket.LayerType, Reason) {
	if len(data) < 1 {
		return 0, 0, Truncated
	}
	proto, n := uint16(data[0]), 1
	if data[0]&1 == 0 {
		if len(data) < 2 {
			return 0, 0, Truncated
		}
		proto, n = binary.BigEndian.Uint16(data), 2
	}
	return n, pppNext(proto), OK
}

// pppNext maps a PPP protocol number to the next layer: 0x21 IPv4, 0x57 IPv6.
func pppNext(proto uint16) gopacket.LayerType {
	switch proto {
	case 0x0021:
		return layers.LayerTypeIPv4
	case 0x0057:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypePayload
}

// strip80211 takes the MAC header and the LLC/SNAP header off an 802.11 data
// frame. Management and control frames, data frames without a body and
// protected (encrypted) frames carry no readable IP: NonIP.
func strip80211(data []byte) (int, gopacket.LayerType, Reason) {
	if len(data) < 2 {
		return 0, 0, Truncated
	}
	fc0, fc1 := data[0], data[1]
	if fc0&0x03 != 0 {
		return 0, 0, Malformed // protocol version 0 only
	}
	if (fc0>>2)&0x03 != 2 || fc0&0x40 != 0 || fc1&0x40 != 0 {
		return 0, 0, NonIP // not data, a null-data subtype, or protected
	}
	n := 24
	if fc1&0x03 == 0x03 {
		n += 6 // four addresses (WDS, mesh)
	}
	if fc0&0x80 != 0 {
		n += 2 // QoS control
		if fc1&0x80 != 0 {
			n += 4 // HT control
		}
	}
	if len(data) < n+8 {
		return 0, 0, Truncated
	}
	off, next, r := stripSNAP(data[n:])
	return n + off, next, r
}

// stripSNAP takes an LLC/SNAP header (AA AA 03, an OUI, an EtherType) off
// data; another LLC header carries no IP: NonIP.
func stripSNAP(data []byte) (int, gopacket.LayerType, Reason) {
	if len(data) < 8 {
		return 0, 0, Truncated
	}
	if data[0] != 0xaa || data[1] != 0xaa || data[2] != 0x03 {
		return 0, 0, NonIP // not SNAP
	}
	return 8, ipOnly(layers.EthernetType(binary.BigEndian.Uint16(data[6:8]))), OK
}

// stripNFLOG finds the packet in a Linux NFLOG frame: a 4-byte header (the
// address family first), then type-length-value attributes (lengths and
// types in the writer's byte order, little-endian on every Linux that
// writes pcap; each padded to 4 bytes), one of which (NFULA_PAYLOAD) is the
// IP packet. A frame without one is NonIP.
func stripNFLOG(data []byte) (int, gopacket.LayerType, Reason) {
	if len(data) < 4 {
		return 0, 0, Truncated
	}
	af := afNext(uint32(data[0]))
	off := 4
	for off+4 <= len(data) {
		l := int(binary.LittleEndian.Uint16(data[off:]))
		typ := binary.LittleEndian.Uint16(data[off+2:]) & 0x7fff
		if l < 4 {
			return 0, 0, Malformed
		}
		if typ == nflogPayload {
			return off + 4, af, OK // a payload cut by the snap length still decodes
		}
		if off+l > len(data) {
			return 0, 0, Truncated
		}
		off += (l + 3) &^ 3
	}
	return 0, 0, NonIP
}

// pppoeLayer decodes a PPPoE session header and the PPP protocol after it,
// inside Ethernet (EtherType 0x8864) at any VLAN depth. Protocols other than
// IPv4 and IPv6 (LCP, IPCP, …) end the walk as non-IP.
type pppoeLayer struct {
	layers.BaseLayer
	next gopacket.LayerType
	d    *Decoder
}

func (l *pppoeLayer) LayerType() gopacket.LayerType  { return layers.LayerTypePPPoE }
func (l *pppoeLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypePPPoE }

func (l *pppoeLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < pppoeSessionHdrLen+1 {
		df.SetTruncated()
		return errTruncated
	}
	if data[0] != 0x11 {
		return errMalformed // version 1, type 1
	}
	n, next, r := pppProto(data[pppoeSessionHdrLen:])
	if r != OK {
		df.SetTruncated()
		return errTruncated
	}
	n += pppoeSessionHdrLen
	l.next = next
	l.BaseLayer = layers.BaseLayer{Contents: data[:n], Payload: data[n:]}
	switch next {
	case layers.LayerTypeIPv4:
		l.d.etherType = layers.EthernetTypeIPv4
	case layers.LayerTypeIPv6:
		l.d.etherType = layers.EthernetTypeIPv6
	default:
		l.d.etherType = 0 // not IP
	}
	return nil
}

func (l *pppoeLayer) NextLayerType() gopacket.LayerType { return l.next }

// linkNames are libpcap's names of the link types seen in public captures.
var linkNames = map[uint32]string{
	0: "NULL (BSD loopback)", 1: "ETHERNET", 9: "PPP", 10: "FDDI", 50: "PPP_HDLC", 51: "PPP_ETHER (PPPoE)",
	101: "RAW", 104: "C_HDLC (Cisco HDLC)", 105: "IEEE802_11", 107: "FRELAY", 108: "LOOP (BSD loopback)",
	113: "LINUX_SLL", 117: "PFLOG", 119: "IEEE802_11_PRISM", 127: "IEEE802_11_RADIOTAP", 129: "ARCNET_LINUX",
	138: "APPLE_IP_OVER_IEEE1394", 143: "DOCSIS", 163: "IEEE802_11_AVS", 187: "BLUETOOTH_HCI_H4",
	189: "USB_LINUX", 192: "PPI", 195: "IEEE802_15_4_WITHFCS", 201: "BLUETOOTH_HCI_H4_WITH_PHDR",
	220: "USB_LINUX_MMAPPED", 228: "IPV4", 229: "IPV6", 249: "USBPCAP", 253: "NETLINK", 239: "NFLOG",
	264: "NETANALYZER", 276: "LINUX_SLL2",
}

// LinkName returns libpcap's name of a file's link type, with its number:
// "IEEE802_11_PRISM (119)".
func LinkName(lt uint32) string {
	if n, ok := linkNames[lt]; ok {
		return n + " (" + strconv.FormatUint(uint64(lt), 10) + ")"
	}
	return "link type " + strconv.FormatUint(uint64(lt), 10)
}

// LinkSupported reports whether the Decoder decodes frames of a file's link
// type (the number as written in the file, which may exceed 255).
func LinkSupported(lt uint32) bool {
	if lt == 276 {
		return true
	}
	if lt > 0xff {
		return false
	}
	switch l := layers.LinkType(lt); l {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeIPv4, layers.LinkTypeIPv6,
		layers.LinkTypeRaw, 12, 14:
		return true
	default:
		return stripped(l)
	}
}
