package decode

import "net/netip"

// TCP flag bits as they appear in the TCP header's flags byte.
const (
	FlagFIN uint8 = 0x01
	FlagSYN uint8 = 0x02
	FlagRST uint8 = 0x04
	FlagPSH uint8 = 0x08
	FlagACK uint8 = 0x10
	FlagURG uint8 = 0x20
	FlagECE uint8 = 0x40
	FlagCWR uint8 = 0x80
)

// IANA protocol numbers used in Packet.Proto.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
)

// Packet is the decoded summary of one frame: everything the flow table and the
// detectors need, nothing that points into the frame buffer.
type Packet struct {
	Timestamp int64 // capture time, nanoseconds since the Unix epoch
	Src, Dst  netip.Addr
	SrcPort   uint16 // TCP/UDP source port; ICMP identifier for echo
	DstPort   uint16 // TCP/UDP destination port
	Proto     uint8  // IANA protocol number
	TCPFlags  uint8  // TCP flags byte (FlagSYN…)
	ICMPType  uint8
	ICMPCode  uint8
	// Fragment is set for IPv4/IPv6 fragments; a non-first fragment has no ports.
	Fragment      bool
	FirstFragment bool
	VLAN          uint16 // outermost 802.1Q VLAN id, 0 if none
	WireLen       uint32 // frame length on the wire
	IPLen         uint32 // IP packet length (header + payload)
	PayloadLen    uint32 // transport payload length
	// Iface is the frame's capture.Frame.Iface: the index of its interface
	// among its source's (capture.Source InterfaceName).
	Iface uint16

	// Aggregate is non-zero for a byte report of the kernel stage (see
	// capture.Frame): the Packet stands for Aggregate packets of its flow,
	// sent from Src to Dst, and WireLen, IPLen and PayloadLen are their
	// totals (WireLen and PayloadLen estimated from the packet the report
	// came with); TCPFlags is ACK. The flow table and the detectors count
	// its packets and bytes, and never take it for a probe, a connection
	// attempt or a login.
	//
	// A kernel flood sample (capture.Frame.SamplePackets above 1) is an
	// aggregate too: the sampled packet, its flags and ports kept, standing
	// for Aggregate packets of its kind to its destination (from many
	// sources, spoofed ones as a rule): floods count them all, and the
	// probe and login counters skip it as they skip byte reports.
	Aggregate uint32
}

// Count is the number of packets p stands for: 1, or Aggregate.
func (p *Packet) Count() uint64 {
	if p.Aggregate != 0 {
		return uint64(p.Aggregate)
	}
	return 1
}
