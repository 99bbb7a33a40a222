package decode

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

// Reason says what Decode did with a frame: OK (delivered) or why it was
// skipped.
type Reason uint8

// The outcomes of Decode.
const (
	// OK: the Packet was filled and should be processed.
	OK Reason = iota
	// Truncated: the frame ends inside a header the Packet needs (link, IP,
	// IPv6 extension, or the TCP/UDP/ICMP header of an unfragmented packet or
	// first fragment). A payload cut by the snap length is not truncation.
	Truncated
	// UnsupportedLink: the frame's link type is not one the Decoder knows.
	UnsupportedLink
	// NonIP: a well-formed link-layer frame that carries no IP (ARP, LLDP,
	// STP, IPX …). Not an error.
	NonIP
	// Malformed: a header is present but invalid (wrong IP version, header
	// length below the minimum, bad IPv4 options, …).
	Malformed
)

var reasonNames = [...]string{"ok", "truncated", "unsupported_link", "non_ip", "malformed"}

// String returns the reason's metric label: ok, truncated, unsupported_link,
// non_ip or malformed.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Stats are one Decoder's counters. They are plain fields written by the
// decoder's goroutine only; the pipeline reads them from that goroutine (or
// after it stopped) and sums them with Add.
type Stats struct {
	Decoded uint64 // frames delivered (Decode returned OK)

	// Skipped frames, by reason.
	Truncated       uint64
	UnsupportedLink uint64
	NonIP           uint64
	Malformed       uint64

	// Subsets of Decoded, for information.
	OtherL4   uint64 // IP protocol without ports: GRE, ESP, IP-in-IP, SCTP, …
	Fragments uint64 // IPv4/IPv6 fragments (first and later ones)
}

// Add adds o's counters to s.
func (s *Stats) Add(o Stats) {
	s.Decoded += o.Decoded
	s.Truncated += o.Truncated
	s.UnsupportedLink += o.UnsupportedLink
	s.NonIP += o.NonIP
	s.Malformed += o.Malformed
	s.OtherL4 += o.OtherL4
	s.Fragments += o.Fragments
}

// Skipped returns the number of frames not delivered, all reasons together.
func (s Stats) Skipped() uint64 {
	return s.Truncated + s.UnsupportedLink + s.NonIP + s.Malformed
}

// Decoder turns frames into Packets. It owns a gopacket DecodingLayerParser per
// first layer (Ethernet, Linux SLL, SLL2, IPv4, IPv6) over one set of
// preallocated layers, so decoding allocates nothing in steady state. The
// common frames (Ethernet, VLAN tags, IPv4, IPv6 without extension headers,
// TCP, UDP, ICMP, ICMPv6) are walked through the same layers by direct calls
// instead of the parser's interface calls (walk); the rest go through the
// parser. The commonest of them, IPv4 without options nor fragmentation
// or IPv6 without extension headers, carrying TCP, UDP or ICMP, after an
// Ethernet header without tags or as a raw IP frame, are read straight
// into the Packet without the layers (fast). All give the same results
// (TestMixDirectWalk, TestFastPath, FuzzDecode). A
// Decoder is not safe for concurrent use: create one per worker goroutine.
//
// What is delivered:
//   - TCP, UDP, ICMP (IPv4) and ICMPv6 packets with addresses, ports, flags,
//     ICMP type and code (for echo request/reply, SrcPort is the identifier).
//   - Other IP protocols (GRE, ESP, AH, SCTP, IP-in-IP, …) with IP-level
//     fields and Proto set, ports zero; counted in Stats.OtherL4. Tunnels are
//     not entered: the outer header is what crosses the border.
//   - Fragments: the first fragment carries its transport header; later
//     fragments carry IP-level fields with Proto set and no ports.
//   - An IPv6 header with payload length 0 and no hop-by-hop header (nmap
//     -6 -sO probes, No Next Header) has an empty payload: IPLen 40 and its
//     next header as Proto (gopacket alone takes it for a jumbogram without
//     its option and fails); TCP, UDP or ICMPv6 without their header are
//     Truncated.
//
// Supported link types: Ethernet (1), Linux SLL (113), Linux SLL2 (276), raw IP
// (101, and 12 and 14 as some systems write it; the version nibble picks IPv4
// or IPv6), IPv4 (228), IPv6 (229), and the short headers of link.go: BSD
// loopback (NULL 0, LOOP 108), PPP (9, 50), PPPoE (51), Cisco HDLC (104),
// FDDI (10), 802.11 data frames (105, radiotap 127), OpenBSD pflog (117),
// Linux NFLOG (239) and PPI (192) around Ethernet, raw IP or one of those.
// 802.1Q, 802.1ad (0x88a8) and 0x9100 tags are walked in any depth, and
// PPPoE sessions inside them; Packet.VLAN is the outermost VLAN id.
// LinkSupported says whether a file's link type is decoded.
//
// Known allocations, all on rare error paths inside gopacket: IPv4 packets
// with invalid options, a leading IPv6 hop-by-hop header (gopacket allocates
// each option), and panics recovered by the parser.
type Decoder struct {
	// Stats are this decoder's counters.
	Stats Stats

	eth   ethLayer
	vlan  vlanLayer
	sll   sllLayer
	sll2  sll2Layer
	ip4   ip4Layer
	ip6   ip6Layer
	ext   ip6ExtLayer
	frag  ip6FragLayer
	tcp   tcpLayer
	udp   udpLayer
	icmp4 icmp4Layer
	icmp6 icmp6Layer
	pppoe pppoeLayer

	pEth, pSLL, pSLL2, pIP4, pIP6 *gopacket.DecodingLayerParser
	decoded                       []gopacket.LayerType
	// parserOnly turns the direct walk off (tests compare both ways).
	parserOnly bool

	// Per-packet state, written by the layers during DecodeLayers.
	etherType          layers.EthernetType // of the innermost link header seen
	vlanID             uint16
	vlanTags           int
	ipVer              uint8
	ipHdrLen, ipLen    int
	extLen             int
	proto              uint8
	isFrag             bool
	fragOff            uint16
	src4, dst4         [4]byte
	src16, dst16       [16]byte
	l4                 uint8 // protocol of the decoded transport header, 0 if none
	l4HdrLen           int
	sport, dport       uint16
	tcpFlags           uint8
	icmpType, icmpCode uint8
}

// NewDecoder returns a Decoder with its layers and parsers allocated.
func NewDecoder() *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 16)}
	d.eth.d, d.vlan.d, d.sll.d, d.sll2.d = d, d, d, d
	d.ip4.d, d.ip6.d, d.ext.d, d.frag.d = d, d, d, d
	d.tcp.d, d.udp.d, d.icmp4.d, d.icmp6.d = d, d, d, d
	d.pppoe.d = d

	var dlc gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	for _, l := range []gopacket.DecodingLayer{
		&d.eth, &d.vlan, &d.sll, &d.sll2, &d.ip4, &d.ip6, &d.ext, &d.frag,
		&d.tcp, &d.udp, &d.icmp4, &d.icmp6, &d.pppoe,
	} {
		dlc = dlc.Put(l)
	}
	parser := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(dlc)
		// The walk ends where the layers say so; what was reached is read
		// from the Decoder's state, not from an UnsupportedLayerType error.
		p.IgnoreUnsupported = true
		return p
	}
	d.pEth = parser(layers.LayerTypeEthernet)
	d.pSLL = parser(layers.LayerTypeLinuxSLL)
	d.pSLL2 = parser(LayerTypeLinuxSLL2)
	d.pIP4 = parser(layers.LayerTypeIPv4)
	d.pIP6 = parser(layers.LayerTypeIPv6)
	return d
}

// Decode decodes f into p. See DecodeData.
func (d *Decoder) Decode(f *capture.Frame, p *Packet) Reason {
	r := d.DecodeData(f.Data, f.Link, f.Timestamp, f.WireLen, p)
	if r != OK {
		return r
	}
	p.Iface = f.Iface
	if f.ReportPackets != 0 || f.ReportBytes != 0 {
		aggregate(f, p)
	} else if f.SamplePackets > 1 {
		sample(f, p)
	}
	return r
}

// sample turns p, a kernel flood sample, into the packets it stands for:
// the same endpoints, ports and flags, SamplePackets packets with
// SampleBytes IP bytes; link and transport header sizes are taken from the
// packet.
func sample(f *capture.Frame, p *Packet) {
	n := uint64(f.SamplePackets)
	hdr := uint64(p.IPLen - min(p.PayloadLen, p.IPLen))
	link := uint64(p.WireLen - min(p.IPLen, p.WireLen))
	ip := max(uint64(f.SampleBytes), uint64(p.IPLen))
	p.Aggregate = uint32(n)
	p.IPLen = uint32(ip)
	p.PayloadLen = uint32(ip - min(n*hdr, ip))
	p.WireLen = uint32(min(ip+n*link, 1<<32-1))
}

// aggregate turns p, the packet a byte report came with, into the report:
// its flow (reversed with ReportReverse) and the reported totals. Link and
// transport header sizes are taken from the packet.
func aggregate(f *capture.Frame, p *Packet) {
	n := uint64(max(f.ReportPackets, 1))
	hdr := uint64(p.IPLen - min(p.PayloadLen, p.IPLen)) // IP and TCP headers
	link := uint64(p.WireLen - min(p.IPLen, p.WireLen))
	ip := uint64(f.ReportBytes)
	p.Aggregate = uint32(n)
	p.IPLen = f.ReportBytes
	p.PayloadLen = uint32(ip - min(n*hdr, ip))
	p.WireLen = uint32(min(ip+n*link, 1<<32-1))
	p.TCPFlags = FlagACK
	p.Fragment, p.FirstFragment = false, false
	if f.ReportReverse {
		p.Src, p.Dst = p.Dst, p.Src
		p.SrcPort, p.DstPort = p.DstPort, p.SrcPort
	}
}

// DecodeData decodes one frame of the given link type into p and counts the
// outcome in d.Stats. p is fully overwritten when the result is OK and must
// not be used otherwise. wireLen 0 means len(data). p holds no reference to
// data.
func (d *Decoder) DecodeData(data []byte, link layers.LinkType, ts int64, wireLen uint32, p *Packet) Reason {
	var (
		parser *gopacket.DecodingLayerParser
		first  gopacket.LayerType // for the direct walk; 0: parser only
	)
	switch link {
	case layers.LinkTypeEthernet:
		parser, first = d.pEth, layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		parser = d.pSLL
	case capture.LinkTypeLinuxSLL2:
		parser = d.pSLL2
	case layers.LinkTypeIPv4:
		parser, first = d.pIP4, layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		parser, first = d.pIP6, layers.LayerTypeIPv6
	case layers.LinkTypeRaw, 12, 14:
		if len(data) == 0 {
			return d.skip(Truncated)
		}
		switch data[0] >> 4 {
		case 4:
			parser, first = d.pIP4, layers.LayerTypeIPv4
		case 6:
			parser, first = d.pIP6, layers.LayerTypeIPv6
		default:
			return d.skip(Malformed)
		}
	default:
		if !stripped(link) {
			return d.skip(UnsupportedLink)
		}
		off, next, r := stripLink(data, link, true)
		if r != OK {
			return d.skip(r)
		}
		switch next {
		case layers.LayerTypeIPv4:
			parser = d.pIP4
		case layers.LayerTypeIPv6:
			parser = d.pIP6
		case layers.LayerTypeEthernet:
			parser = d.pEth
		default:
			return d.skip(NonIP)
		}
		if wireLen == 0 {
			wireLen = uint32(len(data))
		}
		first, data = next, data[off:]
	}

	if first != 0 && !d.parserOnly && d.fast(data, first, ts, wireLen, p) {
		return OK
	}
	d.reset()
	walked, err := false, error(nil)
	if first != 0 && !d.parserOnly {
		walked, err = d.walk(data, first)
	}
	if !walked {
		d.reset()
		err = parser.DecodeLayers(data, &d.decoded)
	}
	if err != nil {
		if errors.Is(err, errTruncated) {
			return d.skip(Truncated)
		}
		return d.skip(Malformed)
	}
	if d.ipVer == 0 {
		// The walk stopped in the link layers without an error: either the
		// EtherType is not IP, or the frame ended right after a link header.
		if etherNext(d.etherType) != gopacket.LayerTypePayload {
			return d.skip(Truncated)
		}
		return d.skip(NonIP)
	}
	later := d.isFrag && d.fragOff != 0
	wantL4 := d.proto == ProtoTCP || d.proto == ProtoUDP ||
		(d.ipVer == 4 && d.proto == ProtoICMP) || (d.ipVer == 6 && d.proto == ProtoICMPv6)
	if wantL4 && !later && d.l4 == 0 {
		return d.skip(Truncated) // the IP payload ended before the transport header
	}

	*p = Packet{
		Timestamp: ts,
		Proto:     d.proto,
		Fragment:  d.isFrag,
		VLAN:      d.vlanID,
		WireLen:   wireLen,
		IPLen:     uint32(d.ipLen),
	}
	if wireLen == 0 {
		p.WireLen = uint32(len(data))
	}
	if d.ipVer == 4 {
		p.Src = netip.AddrFrom4(d.src4)
		p.Dst = netip.AddrFrom4(d.dst4)
	} else {
		p.Src = netip.AddrFrom16(d.src16)
		p.Dst = netip.AddrFrom16(d.dst16)
	}
	payload := d.ipLen - d.ipHdrLen - d.extLen
	if d.isFrag {
		d.Stats.Fragments++
		p.FirstFragment = !later
	}
	if d.l4 != 0 {
		p.SrcPort, p.DstPort = d.sport, d.dport
		p.TCPFlags = d.tcpFlags
		p.ICMPType, p.ICMPCode = d.icmpType, d.icmpCode
		payload -= d.l4HdrLen
	} else if !wantL4 {
		d.Stats.OtherL4++
	}
	p.PayloadLen = uint32(max(payload, 0))
	d.Stats.Decoded++
	return OK
}

// fast decodes the common frames straight into p: an IPv4 packet without
// options and not fragmented, or an IPv6 packet without extension headers
// and with a payload length, carrying TCP, UDP or ICMP (ICMPv6 in IPv6),
// after an Ethernet header without tags (first Ethernet) or alone (first
// IPv4 or IPv6). It makes the checks of the layers and gives the same
// Packet and counters as walk and the parser (FuzzDecode, TestMixDirectWalk
// and TestFastPath compare them). It returns false, having changed nothing,
// for anything else, errors included, which the layers then decode and
// classify.
func (d *Decoder) fast(data []byte, first gopacket.LayerType, ts int64, wireLen uint32, p *Packet) bool {
	if wireLen == 0 {
		wireLen = uint32(len(data))
	}
	ip := data
	if first == layers.LayerTypeEthernet {
		if len(data) < 14 {
			return false
		}
		switch layers.EthernetType(binary.BigEndian.Uint16(data[12:14])) {
		case layers.EthernetTypeIPv4:
			first = layers.LayerTypeIPv4
		case layers.EthernetTypeIPv6:
			first = layers.LayerTypeIPv6
		default:
			return false
		}
		ip = data[14:]
	}
	var t transport
	switch first {
	case layers.LayerTypeIPv4:
		// Version 4, IHL 5; no MF flag, no fragment offset (the DF flag may
		// be set); a total length that holds the header.
		if len(ip) < 20 {
			return false
		}
		tl := int(binary.BigEndian.Uint16(ip[2:4]))
		if ip[0] != 0x45 || binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 || tl < 20 {
			return false
		}
		l4 := ip[20:min(tl, len(ip))] // gopacket cuts the payload at the total length
		// TCP and UDP here, as transport.decode does: a call less for the
		// commonest frames.
		switch proto := ip[9]; {
		case proto == ProtoTCP && len(l4) >= 20 && l4[12]>>4 >= 5:
			t = transport{sport: binary.BigEndian.Uint16(l4[0:2]), dport: binary.BigEndian.Uint16(l4[2:4]),
				flags: l4[13], hdr: int(l4[12]>>4) * 4}
		case proto == ProtoUDP && len(l4) >= 8 && udpLengthOK(l4):
			t = transport{sport: binary.BigEndian.Uint16(l4[0:2]), dport: binary.BigEndian.Uint16(l4[2:4]), hdr: 8}
		case proto == ProtoICMPv6 || !t.decode(proto, l4):
			return false
		}
		*p = Packet{
			Timestamp: ts,
			Src:       netip.AddrFrom4([4]byte(ip[12:16])),
			Dst:       netip.AddrFrom4([4]byte(ip[16:20])),
			SrcPort:   t.sport, DstPort: t.dport,
			Proto:    ip[9],
			TCPFlags: t.flags, ICMPType: t.typ, ICMPCode: t.code,
			WireLen:    wireLen,
			IPLen:      uint32(tl),
			PayloadLen: uint32(max(tl-20-t.hdr, 0)),
		}
	case layers.LayerTypeIPv6:
		// Version 6, a payload length (0 is a jumbogram or an empty
		// header), the next header a transport header.
		if len(ip) < 40 || ip[0]>>4 != 6 {
			return false
		}
		plen := int(binary.BigEndian.Uint16(ip[4:6]))
		if plen == 0 || ip[6] == ProtoICMP || !t.decode(ip[6], ip[40:min(40+plen, len(ip))]) {
			return false
		}
		*p = Packet{
			Timestamp: ts,
			Src:       netip.AddrFrom16([16]byte(ip[8:24])),
			Dst:       netip.AddrFrom16([16]byte(ip[24:40])),
			SrcPort:   t.sport, DstPort: t.dport,
			Proto:    ip[6],
			TCPFlags: t.flags, ICMPType: t.typ, ICMPCode: t.code,
			WireLen:    wireLen,
			IPLen:      uint32(40 + plen),
			PayloadLen: uint32(max(plen-t.hdr, 0)),
		}
	default:
		return false
	}
	d.Stats.Decoded++
	return true
}

// udpLengthOK reports a UDP length field (of the header l4, at least 8
// bytes) the layers accept: 0 (a jumbogram's) or at least the header.
func udpLengthOK(l4 []byte) bool {
	n := binary.BigEndian.Uint16(l4[4:6])
	return n == 0 || n >= 8
}

// transport is what fast reads of a transport header.
type transport struct {
	sport, dport     uint16
	flags, typ, code uint8
	hdr              int // header length
}

// decode reads the TCP, UDP, ICMP or ICMPv6 header l4 (the IP payload) with
// the checks of the layers; false for another protocol or any failure.
func (t *transport) decode(proto uint8, l4 []byte) bool {
	switch proto {
	case ProtoTCP:
		if len(l4) < 20 {
			return false
		}
		t.hdr = int(l4[12]>>4) * 4
		if t.hdr < 20 {
			return false
		}
		t.sport, t.dport = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
		t.flags = l4[13]
	case ProtoUDP:
		if len(l4) < 8 || !udpLengthOK(l4) {
			return false
		}
		t.hdr = 8
		t.sport, t.dport = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
	case ProtoICMP:
		if len(l4) < 8 {
			return false
		}
		t.typ, t.code, t.hdr = l4[0], l4[1], 8
		if t.typ == layers.ICMPv4TypeEchoRequest || t.typ == layers.ICMPv4TypeEchoReply {
			t.sport = binary.BigEndian.Uint16(l4[4:6]) // the identifier
		}
	case ProtoICMPv6:
		if len(l4) < 4 {
			return false
		}
		t.typ, t.code, t.hdr = l4[0], l4[1], 8
		if t.typ == layers.ICMPv6TypeEchoRequest || t.typ == layers.ICMPv6TypeEchoReply {
			if len(l4) < 8 {
				return false
			}
			t.sport = binary.BigEndian.Uint16(l4[4:6])
		}
	default:
		return false
	}
	return true
}

// reset clears the per-packet state the layers write.
func (d *Decoder) reset() {
	d.etherType = 0
	d.vlanID, d.vlanTags = 0, 0
	d.ipVer, d.extLen, d.isFrag, d.fragOff = 0, 0, false, 0
	d.l4, d.sport, d.dport, d.tcpFlags, d.icmpType, d.icmpCode = 0, 0, 0, 0, 0, 0
}

// walk is the direct path for the common frames: Ethernet with any number
// of VLAN tags, IPv4 or IPv6 without extension headers, TCP, UDP, ICMP or
// ICMPv6. It runs the same layers, with the same rules, as the
// DecodingLayerParser walk (decode a layer; stop on its error; stop when
// its payload is empty or no layer decodes its next type), but calls them
// directly instead of through the parser's interfaces. It returns false,
// having decoded part of the frame, when the frame reaches a layer it does
// not take (an IPv6 extension header or fragment header): the caller then
// decodes the frame again with the parser. A panic in a layer also hands
// the frame to the parser, which turns it into an error as it does for any
// frame.
func (d *Decoder) walk(data []byte, typ gopacket.LayerType) (walked bool, err error) {
	defer func() {
		if recover() != nil {
			walked, err = false, nil
		}
	}()
	df := gopacket.NilDecodeFeedback
	for {
		var next gopacket.LayerType
		switch typ {
		case layers.LayerTypeEthernet:
			if err := d.eth.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.eth.NextLayerType(), d.eth.Payload
		case layers.LayerTypeDot1Q:
			if err := d.vlan.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.vlan.NextLayerType(), d.vlan.Payload
		case layers.LayerTypeIPv4:
			if err := d.ip4.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.ip4.NextLayerType(), d.ip4.Payload
		case layers.LayerTypeIPv6:
			if err := d.ip6.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.ip6.NextLayerType(), d.ip6.Payload
		case layers.LayerTypeTCP:
			if err := d.tcp.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.tcp.NextLayerType(), d.tcp.Payload
		case layers.LayerTypeUDP:
			if err := d.udp.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.udp.NextLayerType(), d.udp.Payload
		case layers.LayerTypeICMPv4:
			if err := d.icmp4.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.icmp4.NextLayerType(), d.icmp4.Payload
		case layers.LayerTypeICMPv6:
			if err := d.icmp6.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.icmp6.NextLayerType(), d.icmp6.Payload
		case layers.LayerTypePPPoE:
			if err := d.pppoe.DecodeFromBytes(data, df); err != nil {
				return true, err
			}
			next, data = d.pppoe.NextLayerType(), d.pppoe.Payload
		case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination,
			layers.LayerTypeIPv6Fragment:
			return false, nil // the parser's walk
		default:
			return true, nil // no layer for it: the walk ends, as with IgnoreUnsupported
		}
		if len(data) == 0 {
			return true, nil
		}
		typ = next
	}
}

func (d *Decoder) skip(r Reason) Reason {
	switch r {
	case Truncated:
		d.Stats.Truncated++
	case UnsupportedLink:
		d.Stats.UnsupportedLink++
	case NonIP:
		d.Stats.NonIP++
	case Malformed:
		d.Stats.Malformed++
	}
	return r
}
