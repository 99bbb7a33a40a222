//go:build linux

package bpf

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// requireRoot skips privileged tests for unprivileged users.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON) to load BPF programs")
	}
}

// labRanges is the jurisdiction table of the kernel tests.
var labRanges = []Range{
	{From: mustAddr("192.0.2.0"), To: mustAddr("192.0.2.127"), Country: cid("DE"), Zones: 1 | 1<<3},
	{From: mustAddr("192.0.2.128"), To: mustAddr("192.0.2.255"), Country: cid("AT"), Zones: 1 << 3},
	{From: mustAddr("198.51.100.0"), To: mustAddr("198.51.100.255"), Country: cid("US"), Zones: 1 << 1},
	{From: mustAddr("203.0.113.0"), To: mustAddr("203.0.113.255"), Country: cid("CN"), Zones: 0},
	{From: mustAddr("2001:db8:1::"), To: mustAddr("2001:db8:1:ffff:ffff:ffff:ffff:ffff"), Country: cid("DE"), Zones: 1},
	{From: mustAddr("2001:db8:2::"), To: mustAddr("2001:db8:2:ffff:ffff:ffff:ffff:ffff"), Country: cid("US"), Zones: 1 << 1},
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// loadLab loads the programs with opts changed by mod and the lab table.
func loadLab(tb testing.TB, mod func(*Options)) *Objects {
	tb.Helper()
	requireRoot(tb)
	opts := DefaultOptions()
	if mod != nil {
		mod(&opts)
	}
	o, err := Load(opts)
	if err != nil {
		tb.Fatalf("loading: %v", err)
	}
	tb.Cleanup(func() {
		if err := o.Close(); err != nil {
			tb.Errorf("closing: %v", err)
		}
	})
	if _, err := o.LoadGeo(slices.Values(labRanges)); err != nil {
		tb.Fatalf("loading geo: %v", err)
	}
	return o
}

// drain returns copies of every record in the ring.
func drain(tb testing.TB, o *Objects) []Record {
	tb.Helper()
	o.SetReadDeadline(time.Now())
	defer o.SetReadDeadline(time.Time{})
	var out []Record
	var rec Record
	for {
		err := o.ReadRecord(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return out
		}
		if err != nil {
			tb.Fatalf("reading record: %v", err)
		}
		c := rec
		c.Data = slices.Clone(rec.Data)
		c.raw = ringbuf.Record{}
		out = append(out, c)
	}
}

func monotonic() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// monotonicCoarse reads CLOCK_MONOTONIC_COARSE, the clock of the records'
// timestamps unless Options.PreciseTime: the time of the last tick.
func monotonicCoarse() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC_COARSE, &ts)
	return uint64(ts.Nano())
}

func loIndex(tb testing.TB) uint32 {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		tb.Fatal(err)
	}
	return uint32(lo.Index)
}

// ---- packet construction ----

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

// pkt serializes layers with lengths and checksums fixed.
func pkt(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	var nl gopacket.NetworkLayer
	for _, l := range ls {
		if n, ok := l.(gopacket.NetworkLayer); ok {
			nl = n
		}
	}
	for _, l := range ls {
		switch t := l.(type) {
		case *layers.TCP:
			_ = t.SetNetworkLayerForChecksum(nl)
		case *layers.UDP:
			_ = t.SetNetworkLayerForChecksum(nl)
		case *layers.ICMPv6:
			_ = t.SetNetworkLayerForChecksum(nl)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		tb.Fatalf("serializing: %v", err)
	}
	return slices.Clone(buf.Bytes())
}

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: t}
}

func dot1q(id uint16, next layers.EthernetType) *layers.Dot1Q {
	return &layers.Dot1Q{VLANIdentifier: id, Type: next}
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next,
		SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

// tcpFlags: S syn, A ack, F fin, R rst, P psh, U urg.
func tcp(sport, dport uint16, flags string) *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1000, Window: 8192}
	for _, f := range flags {
		switch f {
		case 'S':
			t.SYN = true
		case 'A':
			t.ACK = true
		case 'F':
			t.FIN = true
		case 'R':
			t.RST = true
		case 'P':
			t.PSH = true
		case 'U':
			t.URG = true
		}
	}
	return t
}

func udp(sport, dport uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
}

func payload(n int) gopacket.Payload {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// v4tcp is an Ethernet/IPv4/TCP packet.
func v4tcp(tb testing.TB, src, dst string, sport, dport uint16, flags string) []byte {
	return pkt(tb, eth(layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolTCP), tcp(sport, dport, flags))
}

// v4udp is an Ethernet/IPv4/UDP packet with n payload bytes.
func v4udp(tb testing.TB, src, dst string, n int) []byte {
	return pkt(tb, eth(layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolUDP), udp(40000, 53), payload(n))
}

// ext6 is a raw IPv6 extension header of 8 bytes: next header, length 0.
func ext6(next layers.IPProtocol) []byte {
	return []byte{byte(next), 0, 1, 4, 0, 0, 0, 0} // a PadN option filling it
}

// frag6 is a raw IPv6 fragment header.
func frag6(next layers.IPProtocol, offset uint16, more bool) []byte {
	v := offset << 3
	if more {
		v |= 1
	}
	return []byte{byte(next), 0, byte(v >> 8), byte(v), 0, 0, 0, 42}
}

// raw6 builds Ethernet/IPv6 with a raw extension chain and L4 bytes.
func raw6(tb testing.TB, src, dst string, first layers.IPProtocol, chain ...[]byte) []byte {
	var p []byte
	for _, c := range chain {
		p = append(p, c...)
	}
	return pkt(tb, eth(layers.EthernetTypeIPv6), ip6(src, dst, first), gopacket.Payload(p))
}

// l4bytes serializes a TCP or UDP header alone (checksum not computed).
func l4bytes(tb testing.TB, l gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := l.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		tb.Fatal(err)
	}
	return slices.Clone(buf.Bytes())
}
