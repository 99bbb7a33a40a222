package synth

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Epoch is the default start time of generated captures.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Packet is one generated Ethernet frame and its capture time.
type Packet struct {
	Time time.Time
	Data []byte
}

// Stream is a sequence of packets ordered by time.
type Stream []Packet

// Merge interleaves streams by time; packets with equal times keep the order
// of the arguments and within each stream.
func Merge(streams ...Stream) Stream {
	var out Stream
	for _, s := range streams {
		out = append(out, s...)
	}
	slices.SortStableFunc(out, func(a, b Packet) int { return a.Time.Compare(b.Time) })
	return out
}

// Options configure a Gen.
type Options struct {
	// Seed makes the random choices (ephemeral ports, sequence numbers,
	// spoofed sources) reproducible. The same Seed gives the same bytes.
	Seed uint64
	// Start is the time offsets in specs count from; zero means Epoch.
	Start time.Time
	// VLAN tags every frame: one id for 802.1Q, two for QinQ (802.1ad outer
	// tag 0x88a8 first, then the 802.1Q inner tag). Nil for untagged.
	VLAN []uint16
}

// Gen generates scenario streams. It is not safe for concurrent use.
type Gen struct {
	opts Options
	rng  *rand.Rand
}

// New returns a generator.
func New(opts Options) *Gen {
	if opts.Start.IsZero() {
		opts.Start = Epoch
	}
	return &Gen{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x626f72646572))}
}

// at returns the absolute time of offset d.
func (g *Gen) at(d time.Duration) time.Time { return g.opts.Start.Add(d) }

// ephemeralPort returns a random port in the Linux ephemeral range.
func (g *Gen) ephemeralPort() uint16 { return uint16(32768 + g.rng.IntN(28232)) }

// randomAddr returns a random address inside p (which must not be a single address... it may be).
func (g *Gen) randomAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	bits := len(a)*8 - p.Bits()
	for i := len(a) - 1; i >= 0 && bits > 0; i-- {
		n := min(bits, 8)
		a[i] |= byte(g.rng.UintN(1 << n))
		bits -= n
	}
	addr, _ := netip.AddrFromSlice(a)
	return addr
}

var (
	macClient  = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}
	macGateway = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x00, 0xfe}
)

// frame serializes an Ethernet frame (with the configured VLAN tags) carrying
// an IP packet from src to dst with the given transport layers. Lengths and
// checksums are computed.
func (g *Gen) frame(src, dst netip.Addr, proto layers.IPProtocol, ls ...gopacket.SerializableLayer) []byte {
	ip, et := ipLayer(src, dst, proto)
	return g.serialize(et, ip, ls...)
}

func ipLayer(src, dst netip.Addr, proto layers.IPProtocol) (gopacket.NetworkLayer, layers.EthernetType) {
	if src.Is4() != dst.Is4() {
		panic(fmt.Sprintf("synth: mixed address families %v → %v", src, dst))
	}
	if src.Is4() {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, Flags: layers.IPv4DontFragment,
			SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}, layers.EthernetTypeIPv4
	}
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}, layers.EthernetTypeIPv6
}

func (g *Gen) serialize(et layers.EthernetType, ip gopacket.NetworkLayer, ls ...gopacket.SerializableLayer) []byte {
	all := g.link(et)
	all = append(all, ip.(gopacket.SerializableLayer))
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.TCP:
			_ = l.SetNetworkLayerForChecksum(ip)
		case *layers.UDP:
			_ = l.SetNetworkLayerForChecksum(ip)
		case *layers.ICMPv6:
			_ = l.SetNetworkLayerForChecksum(ip)
		}
		all = append(all, l)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, all...); err != nil {
		panic(fmt.Sprintf("synth: serializing: %v", err)) // the layers are ours: a bug
	}
	return slices.Clone(buf.Bytes())
}

// link returns the Ethernet header and VLAN tags for a payload of type et.
func (g *Gen) link(et layers.EthernetType) []gopacket.SerializableLayer {
	eth := &layers.Ethernet{SrcMAC: macClient, DstMAC: macGateway, EthernetType: et}
	out := []gopacket.SerializableLayer{eth}
	switch len(g.opts.VLAN) {
	case 0:
	case 1:
		eth.EthernetType = layers.EthernetTypeDot1Q
		out = append(out, &layers.Dot1Q{VLANIdentifier: g.opts.VLAN[0], Type: et})
	default:
		eth.EthernetType = layers.EthernetTypeQinQ
		out = append(out, &layers.Dot1Q{VLANIdentifier: g.opts.VLAN[0], Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: g.opts.VLAN[1], Type: et})
	}
	return out
}

// fragments splits an IP datagram (transport header and payload already
// serialized in l4) into fragments of at most mtu bytes of IP packet.
func (g *Gen) fragments(src, dst netip.Addr, proto layers.IPProtocol, l4 []byte, mtu int, id uint32) [][]byte {
	var out [][]byte
	if src.Is4() {
		chunk := (mtu - 20) &^ 7
		for off := 0; off < len(l4); off += chunk {
			end := min(off+chunk, len(l4))
			ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, Id: uint16(id),
				FragOffset: uint16(off / 8), SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
			if end < len(l4) {
				ip.Flags = layers.IPv4MoreFragments
			}
			out = append(out, g.serialize(layers.EthernetTypeIPv4, ip, gopacket.Payload(l4[off:end])))
		}
		return out
	}
	chunk := (mtu - 40 - 8) &^ 7
	for off := 0; off < len(l4); off += chunk {
		end := min(off+chunk, len(l4))
		fh := make([]byte, 8, 8+end-off)
		fh[0] = byte(proto)
		v := uint16(off/8) << 3
		if end < len(l4) {
			v |= 1
		}
		binary.BigEndian.PutUint16(fh[2:4], v)
		binary.BigEndian.PutUint32(fh[4:8], id)
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		out = append(out, g.serialize(layers.EthernetTypeIPv6, ip, gopacket.Payload(append(fh, l4[off:end]...))))
	}
	return out
}

// transportBytes serializes a transport layer and payload alone, with the
// checksum computed over the src/dst pseudo-header.
func transportBytes(src, dst netip.Addr, proto layers.IPProtocol, ls ...gopacket.SerializableLayer) []byte {
	ip, _ := ipLayer(src, dst, proto)
	for _, l := range ls {
		if u, ok := l.(*layers.UDP); ok {
			_ = u.SetNetworkLayerForChecksum(ip)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(fmt.Sprintf("synth: serializing: %v", err))
	}
	return slices.Clone(buf.Bytes())
}

// interval returns the spacing of packets sent at rate per second (1 ms if
// rate is not positive).
func interval(rate float64) time.Duration {
	if rate <= 0 {
		return time.Millisecond
	}
	return time.Duration(float64(time.Second) / rate)
}
