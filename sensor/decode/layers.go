package decode

import (
	"encoding/binary"
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// The Decoder drives gopacket's own layers through a DecodingLayerParser, but
// each layer is wrapped to
//   - check lengths first, so that the common failures (short headers) are
//     classified without string matching and without the allocation of
//     gopacket's fmt.Errorf errors;
//   - record what the Packet needs in the Decoder as it goes (outermost VLAN,
//     IPv6 extension bytes, the final upper-layer protocol, fragment state);
//   - choose the next layer itself, so that the walk is always
//     link → VLAN* → IP → IPv6 extensions* → TCP/UDP/ICMP and stops there:
//     no application layers, no tunnels (IP-in-IP is reported as the outer
//     packet with its protocol number), and the first fragment of a
//     fragmented datagram still gets its transport header decoded.

var (
	errTruncated = errors.New("header truncated")
	errMalformed = errors.New("header malformed")
)

// etherTypeQinQOld is the pre-802.1ad QinQ outer tag some switches still use.
const etherTypeQinQOld layers.EthernetType = 0x9100

// etherNext maps an EtherType to the next layer the Decoder decodes.
func etherNext(t layers.EthernetType) gopacket.LayerType {
	switch t {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, etherTypeQinQOld:
		return layers.LayerTypeDot1Q
	case layers.EthernetTypePPPoESession:
		return layers.LayerTypePPPoE
	}
	return gopacket.LayerTypePayload
}

// ip4Next maps an IPv4 protocol number to the next layer decoded.
func ip4Next(p layers.IPProtocol) gopacket.LayerType {
	switch p {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	case layers.IPProtocolICMPv4:
		return layers.LayerTypeICMPv4
	}
	return gopacket.LayerTypePayload
}

// ip6Next maps an IPv6 next-header value to the next layer decoded.
func ip6Next(p layers.IPProtocol) gopacket.LayerType {
	switch p {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	case layers.IPProtocolICMPv6:
		return layers.LayerTypeICMPv6
	case layers.IPProtocolIPv6HopByHop:
		return layers.LayerTypeIPv6HopByHop
	case layers.IPProtocolIPv6Routing:
		return layers.LayerTypeIPv6Routing
	case layers.IPProtocolIPv6Destination:
		return layers.LayerTypeIPv6Destination
	case layers.IPProtocolIPv6Fragment:
		return layers.LayerTypeIPv6Fragment
	}
	return gopacket.LayerTypePayload
}

type ethLayer struct {
	layers.Ethernet
	d *Decoder
}

func (l *ethLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 14 {
		df.SetTruncated()
		return errTruncated
	}
	if err := l.Ethernet.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.etherType = l.EthernetType
	return nil
}

func (l *ethLayer) NextLayerType() gopacket.LayerType { return etherNext(l.EthernetType) }

// vlanLayer decodes 802.1Q and 802.1ad (QinQ) tags; for stacked tags it keeps
// the outermost VLAN id.
type vlanLayer struct {
	layers.Dot1Q
	d *Decoder
}

func (l *vlanLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 4 {
		df.SetTruncated()
		return errTruncated
	}
	if err := l.Dot1Q.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if l.d.vlanTags == 0 {
		l.d.vlanID = l.VLANIdentifier
	}
	l.d.vlanTags++
	l.d.etherType = l.Type
	return nil
}

func (l *vlanLayer) NextLayerType() gopacket.LayerType { return etherNext(l.Type) }

type sllLayer struct {
	layers.LinuxSLL
	d *Decoder
}

func (l *sllLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 16 {
		df.SetTruncated()
		return errTruncated
	}
	if binary.BigEndian.Uint16(data[4:6]) > 8 {
		// gopacket would slice past the 8-byte address field; the address is
		// not needed, so the header is taken apart here instead.
		l.PacketType = layers.LinuxSLLPacketType(binary.BigEndian.Uint16(data[0:2]))
		l.AddrType = binary.BigEndian.Uint16(data[2:4])
		l.AddrLen = binary.BigEndian.Uint16(data[4:6])
		l.Addr = data[6:14]
		l.EthernetType = layers.EthernetType(binary.BigEndian.Uint16(data[14:16]))
		l.BaseLayer = layers.BaseLayer{Contents: data[:16], Payload: data[16:]}
	} else if err := l.LinuxSLL.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.etherType = l.EthernetType
	return nil
}

func (l *sllLayer) NextLayerType() gopacket.LayerType { return etherNext(l.EthernetType) }

type sll2Layer struct {
	LinuxSLL2
	d *Decoder
}

func (l *sll2Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < sll2HeaderLen {
		df.SetTruncated()
		return errTruncated
	}
	if err := l.LinuxSLL2.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.etherType = l.ProtocolType
	return nil
}

func (l *sll2Layer) NextLayerType() gopacket.LayerType { return etherNext(l.ProtocolType) }

type ip4Layer struct {
	layers.IPv4
	d *Decoder
}

func (l *ip4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 20 {
		df.SetTruncated()
		return errTruncated
	}
	if data[0]>>4 != 4 {
		return errMalformed
	}
	hl := int(data[0]&0x0f) * 4
	if hl < 20 {
		return errMalformed
	}
	if hl > len(data) {
		df.SetTruncated()
		return errTruncated
	}
	if tl := int(binary.BigEndian.Uint16(data[2:4])); tl != 0 && tl < hl {
		return errMalformed
	}
	// Past these checks gopacket fails only on bad IPv4 options.
	if err := l.IPv4.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	d.ipVer = 4
	d.ipHdrLen = hl
	d.ipLen = int(l.Length)
	d.proto = uint8(l.Protocol)
	d.isFrag = l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0
	d.fragOff = l.FragOffset
	d.src4 = [4]byte(l.SrcIP)
	d.dst4 = [4]byte(l.DstIP)
	return nil
}

// NextLayerType decodes the transport header of unfragmented packets and of
// first fragments; later fragments stop at the IP layer.
func (l *ip4Layer) NextLayerType() gopacket.LayerType {
	if l.FragOffset != 0 {
		return gopacket.LayerTypeFragment
	}
	return ip4Next(l.Protocol)
}

type ip6Layer struct {
	layers.IPv6
	d *Decoder
}

func (l *ip6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 40 {
		df.SetTruncated()
		return errTruncated
	}
	if data[0]>>4 != 6 {
		return errMalformed
	}
	switch {
	case data[6] == uint8(layers.IPProtocolIPv6HopByHop):
		// gopacket decodes a leading hop-by-hop header as part of IPv6.
		if len(data) < 42 || len(data) < 40+(int(data[41])+1)*8 {
			df.SetTruncated()
			return errTruncated
		}
		if err := l.IPv6.DecodeFromBytes(data, df); err != nil {
			return err
		}
	case binary.BigEndian.Uint16(data[4:6]) == 0:
		// Payload length 0 and no hop-by-hop header: a header with nothing
		// after it (nmap -6 -sO probes, No Next Header). gopacket would
		// take it for a jumbogram without its option and fail; anything
		// after the 40 bytes is link padding.
		l.decodeEmpty(data)
	default:
		if err := l.IPv6.DecodeFromBytes(data, df); err != nil {
			return err
		}
	}
	d := l.d
	d.ipVer = 6
	d.ipHdrLen = 40
	d.ipLen = 40 + int(l.Length)
	if l.Length == 0 && l.HopByHop != nil { // jumbogram
		d.ipLen = len(data)
	}
	d.proto = uint8(l.NextHeader)
	if l.HopByHop != nil {
		d.proto = uint8(l.HopByHop.NextHeader)
		d.extLen = l.HopByHop.ActualLength
	}
	d.src16 = [16]byte(l.SrcIP)
	d.dst16 = [16]byte(l.DstIP)
	return nil
}

// decodeEmpty fills the layer from a fixed header whose payload length is
// 0 (and whose next header is not hop-by-hop): the payload is empty.
func (l *ip6Layer) decodeEmpty(data []byte) {
	l.Version = 6
	l.TrafficClass = uint8(binary.BigEndian.Uint16(data[0:2]) >> 4)
	l.FlowLabel = binary.BigEndian.Uint32(data[0:4]) & 0x000FFFFF
	l.Length = 0
	l.NextHeader = layers.IPProtocol(data[6])
	l.HopLimit = data[7]
	l.SrcIP = data[8:24]
	l.DstIP = data[24:40]
	l.HopByHop = nil
	l.BaseLayer = layers.BaseLayer{Contents: data[:40], Payload: data[40:40]}
}

func (l *ip6Layer) NextLayerType() gopacket.LayerType {
	return ip6Next(layers.IPProtocol(l.d.proto))
}

// ip6ExtLayer skips the IPv6 routing, destination options and (non-leading)
// hop-by-hop headers. gopacket's own IPv6Destination is not used: its
// DecodeFromBytes appends to Options without resetting them and allocates
// per option.
type ip6ExtLayer struct {
	layers.IPv6ExtensionSkipper
	d *Decoder
}

var ip6ExtClass = gopacket.NewLayerClass([]gopacket.LayerType{
	layers.LayerTypeIPv6HopByHop,
	layers.LayerTypeIPv6Routing,
	layers.LayerTypeIPv6Destination,
})

func (l *ip6ExtLayer) CanDecode() gopacket.LayerClass { return ip6ExtClass }

func (l *ip6ExtLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 2 || len(data) < (int(data[1])+1)*8 {
		df.SetTruncated()
		return errTruncated
	}
	if err := l.IPv6ExtensionSkipper.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.extLen += len(l.Contents)
	l.d.proto = uint8(l.NextHeader)
	return nil
}

func (l *ip6ExtLayer) NextLayerType() gopacket.LayerType { return ip6Next(l.NextHeader) }

// ip6FragLayer decodes the IPv6 fragment header (gopacket v1.1.19 has no
// DecodingLayer for it).
type ip6FragLayer struct {
	layers.BaseLayer
	NextHeader     layers.IPProtocol
	FragmentOffset uint16 // in 8-byte units
	MoreFragments  bool
	Identification uint32
	d              *Decoder
}

func (l *ip6FragLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeIPv6Fragment }

func (l *ip6FragLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 {
		df.SetTruncated()
		return errTruncated
	}
	l.NextHeader = layers.IPProtocol(data[0])
	l.FragmentOffset = binary.BigEndian.Uint16(data[2:4]) >> 3
	l.MoreFragments = data[3]&1 != 0
	l.Identification = binary.BigEndian.Uint32(data[4:8])
	l.BaseLayer = layers.BaseLayer{Contents: data[:8], Payload: data[8:]}
	d := l.d
	d.extLen += 8
	d.proto = data[0]
	// An atomic fragment (offset 0, no more fragments; RFC 6946) is a whole packet.
	d.isFrag = l.MoreFragments || l.FragmentOffset != 0
	d.fragOff = l.FragmentOffset
	return nil
}

func (l *ip6FragLayer) NextLayerType() gopacket.LayerType {
	if l.FragmentOffset != 0 {
		return gopacket.LayerTypeFragment
	}
	return ip6Next(l.NextHeader)
}

type tcpLayer struct {
	layers.TCP
	d *Decoder
}

func (l *tcpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 20 {
		df.SetTruncated()
		return errTruncated
	}
	off := int(data[12]>>4) * 4
	if off < 20 {
		return errMalformed
	}
	d := l.d
	d.l4 = ProtoTCP
	d.sport = binary.BigEndian.Uint16(data[0:2])
	d.dport = binary.BigEndian.Uint16(data[2:4])
	d.tcpFlags = data[13]
	d.l4HdrLen = off
	if off > len(data) {
		// Options cut by the snap length: the fixed header has all the
		// Packet needs, so keep it and stop here.
		df.SetTruncated()
		l.BaseLayer = layers.BaseLayer{Contents: data}
		return nil
	}
	// The options are not parsed: the Packet needs none of them, gopacket's
	// parsing costs time on every segment, and on bad options (a length
	// below 2 or past the header) it allocates an error that was dropped.
	// Such segments are kept, as Linux accepts them.
	l.BaseLayer = layers.BaseLayer{Contents: data[:off]} // no Payload: never decode application layers
	return nil
}

func (l *tcpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

type udpLayer struct {
	layers.UDP
	d *Decoder
}

func (l *udpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 {
		df.SetTruncated()
		return errTruncated
	}
	if n := binary.BigEndian.Uint16(data[4:6]); n != 0 && n < 8 {
		return errMalformed
	}
	if err := l.UDP.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	d.l4 = ProtoUDP
	d.sport = uint16(l.SrcPort)
	d.dport = uint16(l.DstPort)
	d.l4HdrLen = 8
	l.Payload = nil
	return nil
}

func (l *udpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

type icmp4Layer struct {
	layers.ICMPv4
	d *Decoder
}

func (l *icmp4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 {
		df.SetTruncated()
		return errTruncated
	}
	if err := l.ICMPv4.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	d.l4 = ProtoICMP
	d.icmpType = l.TypeCode.Type()
	d.icmpCode = l.TypeCode.Code()
	switch d.icmpType {
	case layers.ICMPv4TypeEchoRequest, layers.ICMPv4TypeEchoReply:
		d.sport = l.Id
	}
	d.l4HdrLen = 8
	l.Payload = nil
	return nil
}

func (l *icmp4Layer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }

type icmp6Layer struct {
	layers.ICMPv6
	d *Decoder
}

func (l *icmp6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 4 {
		df.SetTruncated()
		return errTruncated
	}
	echo := data[0] == layers.ICMPv6TypeEchoRequest || data[0] == layers.ICMPv6TypeEchoReply
	if echo && len(data) < 8 {
		df.SetTruncated()
		return errTruncated
	}
	if err := l.ICMPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	d.l4 = ProtoICMPv6
	d.icmpType = data[0]
	d.icmpCode = data[1]
	if echo {
		d.sport = binary.BigEndian.Uint16(data[4:6])
	}
	d.l4HdrLen = 8
	l.Payload = nil
	return nil
}

func (l *icmp6Layer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypePayload }
