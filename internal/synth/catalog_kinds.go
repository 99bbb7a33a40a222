package synth

import (
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// ScanACK is the flags byte of an ACK or Window scan probe (nmap -sA, -sW)
// and of an ACK ping (nmap -PA).
const ScanACK uint8 = 0x10

// Scenarios of the shapes of issue 14: ACK scans and pings, UDP sweeps,
// IP protocol scans, and the outbound twins. Appended to the catalogue so
// that the catalogue file stays as it was.
func init() {
	scenarios = append(scenarios,
		Scenario{"scan-ack", "TCP ACK scan (nmap -sA/-sW probes) of ports 1-1024, every port answers RST-ACK", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.TCPScan(ScanSpec{Src: l.attacker, Dst: l.victim, Ports: PortRange(1, 1024), Rate: 1000, Flags: ScanACK, Replies: true})
		}},
		Scenario{"ackping", "TCP ACK ping (nmap -PA) of port 80 over 126 hosts, every 10th answers RST", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.ACKSweep(SweepSpec{Src: l.attacker, Dsts: l.hosts, Rate: 200, Port: 80, Replies: true, Alive: everyTenth(l.hosts)})
		}},
		Scenario{"udpsweep", "UDP sweep of port 161 over 126 hosts, every 10th answers", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.UDPSweep(SweepSpec{Src: l.attacker, Dsts: l.hosts, Rate: 200, Port: 161, Replies: true, Alive: everyTenth(l.hosts)})
		}},
		Scenario{"protoscan", "IP protocol scan (nmap -sO) of 244 protocol numbers at one host", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.ProtoScan(l.attacker, l.victim, 100)
		}},
		Scenario{"udpsweep-out", "a home host sweeps UDP port 161 over 126 hosts abroad, every 10th answers", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.UDPSweep(SweepSpec{Src: l.victim, Dsts: remoteHosts(l), Rate: 200, Port: 161, Replies: true, Alive: everyTenth(remoteHosts(l))})
		}},
		Scenario{"pingsweep-out", "a home host sends echo requests to 126 hosts abroad, every 10th answers", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.PingSweep(SweepSpec{Src: l.victim, Dsts: remoteHosts(l), Rate: 200, Replies: true, Alive: everyTenth(remoteHosts(l))})
		}},
		Scenario{"udpscan-out", "a home host scans UDP ports 1-200 of a host abroad, ICMP port unreachable from closed ports", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.UDPScan(ScanSpec{Src: l.victim, Dst: l.attacker, Ports: PortRange(1, 200), Rate: 500, Replies: true, Open: []uint16{53, 123}})
		}},
		Scenario{"refl-ike", "1100 unsolicited 1000-byte IKE (UDP 500) replies from 3 RU reflectors at 100/s", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.Reflection(AmpSpec{Victim: l.victim, Reflectors: 3, Prefixes: []netip.Prefix{l.ru}, Responses: 1100, Size: 1000, Rate: 100}, 500)
		}},
		Scenario{"refl-any", "6000 unsolicited 1200-byte replies from UDP 27015 (a game server query) of 20 RU reflectors at 200/s", func(g *Gen, v6 bool) Stream {
			l := labPlan(v6)
			return g.Reflection(AmpSpec{Victim: l.victim, Reflectors: 20, Prefixes: []netip.Prefix{l.ru}, Responses: 6000, Size: 1200, Rate: 200}, 27015)
		}},
	)
}

// Reflection generates unsolicited UDP replies of Size payload bytes (0:
// 1000) from srcPort of the reflectors to the victim, whole (no
// fragments): reflection through any UDP service.
func (g *Gen) Reflection(s AmpSpec, srcPort uint16) Stream {
	if s.Size == 0 {
		s.Size = 1000
	}
	s.Fragment = false
	return g.responses(s, srcPort, nil)
}

// remoteHosts returns 126 hosts of the plan's CN prefix.
func remoteHosts(l lab) []netip.Addr {
	var out []netip.Addr
	for a := l.cn.Addr().Next(); len(out) < 126; a = a.Next() {
		out = append(out, a)
	}
	return out
}

// ACKSweep sends a lone ACK (no connection) to Port on each host; Alive
// hosts answer RST, as a host does to an ACK it has no connection for.
func (g *Gen) ACKSweep(s SweepSpec) Stream {
	sport := g.ephemeralPort()
	var ack uint32
	return g.sweep(s, func(_ int, dst netip.Addr) []byte {
		ack = g.rng.Uint32()
		return g.frame(s.Src, dst, layers.IPProtocolTCP, tcp(sport, s.Port, 0, ack, ScanACK))
	}, func(_ int, dst netip.Addr) []byte {
		return g.frame(dst, s.Src, layers.IPProtocolTCP, tcp(s.Port, sport, ack, 0, 0x04))
	})
}

// UDPSweep sends an empty UDP datagram to Port on each host; Alive hosts
// answer with a 64-byte datagram.
func (g *Gen) UDPSweep(s SweepSpec) Stream {
	sport := g.ephemeralPort()
	return g.sweep(s, func(_ int, dst netip.Addr) []byte {
		return g.frame(s.Src, dst, layers.IPProtocolUDP, udp(sport, s.Port))
	}, func(_ int, dst netip.Addr) []byte {
		return g.frame(dst, s.Src, layers.IPProtocolUDP, udp(s.Port, sport), gopacket.Payload(make([]byte, 64)))
	})
}

// protoScanSkip are the protocol numbers ProtoScan leaves out: IPv6
// extension headers and "no next header" (an IPv6 packet cannot carry them
// as its payload protocol without their own header), for both families so
// that the scenario is the same.
var protoScanSkip = []uint8{0, 43, 44, 50, 51, 59, 60, 135, 139, 140, 253, 254}

// ProtoScan sends one packet per IP protocol number from src to dst, rate
// per second, as nmap -sO does: TCP an ACK to port 80, UDP an empty datagram
// to port 40125, ICMP and ICMPv6 an echo request, every other protocol an
// IPv4 header alone (IPv6: with 8 bytes of payload). No answers.
func (g *Gen) ProtoScan(src, dst netip.Addr, rate float64) Stream {
	var out Stream
	step := interval(rate)
	i := 0
	for n := range 256 {
		proto := uint8(n)
		skip := false
		for _, s := range protoScanSkip {
			skip = skip || s == proto
		}
		if skip {
			continue
		}
		t := g.at(time.Duration(i) * step)
		i++
		var data []byte
		switch layers.IPProtocol(proto) {
		case layers.IPProtocolTCP:
			data = g.frame(src, dst, layers.IPProtocolTCP, tcp(g.ephemeralPort(), 80, 0, g.rng.Uint32(), ScanACK))
		case layers.IPProtocolUDP:
			data = g.frame(src, dst, layers.IPProtocolUDP, udp(g.ephemeralPort(), 40125))
		case layers.IPProtocolICMPv4:
			if src.Is4() {
				data = g.echo(src, dst, false, 1, uint16(i), 0)
			}
		case layers.IPProtocolICMPv6:
			if src.Is6() {
				data = g.echo(src, dst, false, 1, uint16(i), 0)
			}
		}
		if data == nil {
			// An empty payload, as nmap sends: over IPv6 a payload length
			// of 0 (which gopacket alone takes for a jumbogram without its
			// option; sensor/decode reads it as an empty payload).
			data = g.frame(src, dst, layers.IPProtocol(proto))
		}
		out = append(out, Packet{t, data})
	}
	return out
}
