package synth

import (
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// TCP flag combinations used by scans, as in the TCP header's flags byte.
const (
	ScanSYN    uint8 = 0x02
	ScanNULL   uint8 = 0x00
	ScanFIN    uint8 = 0x01
	ScanXmas   uint8 = 0x29 // FIN, PSH, URG
	ScanMaimon uint8 = 0x11 // FIN, ACK
)

// rtt is the simulated round-trip time between request and reply.
const rtt = 20 * time.Millisecond

// mss is the TCP segment size of generated connections.
const mss = 1460

// tcp returns a TCP layer with the flags byte f.
func tcp(sport, dport uint16, seq, ack uint32, f uint8) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 64240,
		FIN: f&0x01 != 0, SYN: f&0x02 != 0, RST: f&0x04 != 0, PSH: f&0x08 != 0, ACK: f&0x10 != 0, URG: f&0x20 != 0}
}

// ScanSpec describes a TCP or UDP port scan of one host.
type ScanSpec struct {
	Src, Dst netip.Addr
	Ports    []uint16
	At       time.Duration // start, from the generator's start time
	Rate     float64       // probes per second; 0 means 1000
	// Flags of the TCP probes: ScanSYN (the zero value is ScanNULL, so set
	// it), ScanFIN, ScanXmas, ScanMaimon. Ignored by UDPScan.
	Flags uint8
	// Replies adds the target's answers: for a SYN scan a SYN-ACK from Open
	// ports (and the scanner's RST) and RST-ACK from the others; for stealth
	// scans RST-ACK from closed ports and silence from open ones; for UDP
	// scans ICMP port unreachable from closed ports.
	Replies bool
	Open    []uint16
}

// TCPScan probes each port once from one source port.
func (g *Gen) TCPScan(s ScanSpec) Stream {
	var out Stream
	sport := g.ephemeralPort()
	step := interval(s.Rate)
	for i, port := range s.Ports {
		t := g.at(s.At + time.Duration(i)*step)
		seq := g.rng.Uint32()
		var ack uint32
		if s.Flags&0x10 != 0 {
			ack = g.rng.Uint32()
		}
		out = append(out, Packet{t, g.frame(s.Src, s.Dst, layers.IPProtocolTCP, tcp(sport, port, seq, ack, s.Flags))})
		if !s.Replies {
			continue
		}
		open := containsPort(s.Open, port)
		switch {
		case s.Flags == ScanSYN && open:
			srv := g.rng.Uint32()
			out = append(out,
				Packet{t.Add(rtt), g.frame(s.Dst, s.Src, layers.IPProtocolTCP, tcp(port, sport, srv, seq+1, 0x12))},
				Packet{t.Add(rtt + time.Millisecond), g.frame(s.Src, s.Dst, layers.IPProtocolTCP, tcp(sport, port, seq+1, 0, 0x04))})
		case !open:
			out = append(out, Packet{t.Add(rtt), g.frame(s.Dst, s.Src, layers.IPProtocolTCP, tcp(port, sport, 0, seq+1, 0x14))})
		}
	}
	return Merge(out)
}

// UDPScan sends an empty UDP datagram to each port.
func (g *Gen) UDPScan(s ScanSpec) Stream {
	var out Stream
	sport := g.ephemeralPort()
	step := interval(s.Rate)
	for i, port := range s.Ports {
		t := g.at(s.At + time.Duration(i)*step)
		probe := g.frame(s.Src, s.Dst, layers.IPProtocolUDP, udp(sport, port))
		out = append(out, Packet{t, probe})
		if s.Replies && !containsPort(s.Open, port) {
			out = append(out, Packet{t.Add(rtt), g.unreachable(s.Dst, s.Src, probe)})
		}
	}
	return Merge(out)
}

// unreachable builds an ICMP port-unreachable from src quoting the IP packet
// of frame.
func (g *Gen) unreachable(src, dst netip.Addr, frame []byte) []byte {
	quote := frame[14+4*len(g.opts.VLAN):]
	if src.Is4() {
		quote = quote[:min(len(quote), 28)]
		return g.frame(src, dst, layers.IPProtocolICMPv4,
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)},
			gopacket.Payload(quote))
	}
	quote = quote[:min(len(quote), 48)]
	return g.frame(src, dst, layers.IPProtocolICMPv6,
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeDestinationUnreachable, layers.ICMPv6CodePortUnreachable)},
		gopacket.Payload(append(make([]byte, 4), quote...)))
}

func udp(sport, dport uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
}

func containsPort(ports []uint16, p uint16) bool {
	for _, q := range ports {
		if q == p {
			return true
		}
	}
	return false
}

// echo builds an ICMP or ICMPv6 echo request or reply.
func (g *Gen) echo(src, dst netip.Addr, reply bool, id, seq uint16, size int) []byte {
	payload := make([]byte, size)
	if src.Is4() {
		typ := uint8(layers.ICMPv4TypeEchoRequest)
		if reply {
			typ = layers.ICMPv4TypeEchoReply
		}
		return g.frame(src, dst, layers.IPProtocolICMPv4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: seq},
			gopacket.Payload(payload))
	}
	typ := uint8(layers.ICMPv6TypeEchoRequest)
	if reply {
		typ = layers.ICMPv6TypeEchoReply
	}
	body := append([]byte{byte(id >> 8), byte(id), byte(seq >> 8), byte(seq)}, payload...)
	return g.frame(src, dst, layers.IPProtocolICMPv6, &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}, gopacket.Payload(body))
}

// SweepSpec describes a sweep over many hosts.
type SweepSpec struct {
	Src   netip.Addr
	Dsts  []netip.Addr
	At    time.Duration
	Rate  float64 // probes per second; 0 means 1000
	Port  uint16  // TCPSweep, ACKSweep, UDPSweep: the port probed
	Alive []netip.Addr
	// Replies adds the answers of the Alive hosts (echo replies, SYN-ACKs,
	// RSTs or datagrams, by sweep).
	Replies bool
}

// sweep sends probe(i, dst) to each host of s.Dsts at s.Rate and, with
// s.Replies, reply(i, dst) from each Alive host one rtt later; reply is
// called right after its probe, so it may use what the probe drew.
func (g *Gen) sweep(s SweepSpec, probe, reply func(i int, dst netip.Addr) []byte) Stream {
	var out Stream
	step := interval(s.Rate)
	for i, dst := range s.Dsts {
		t := g.at(s.At + time.Duration(i)*step)
		out = append(out, Packet{t, probe(i, dst)})
		if s.Replies && containsAddr(s.Alive, dst) {
			out = append(out, Packet{t.Add(rtt), reply(i, dst)})
		}
	}
	return Merge(out)
}

// PingSweep sends one echo request to each host, all with one identifier.
func (g *Gen) PingSweep(s SweepSpec) Stream {
	id := uint16(g.rng.UintN(1 << 16))
	return g.sweep(s, func(i int, dst netip.Addr) []byte {
		return g.echo(s.Src, dst, false, id, uint16(i+1), 0)
	}, func(i int, dst netip.Addr) []byte {
		return g.echo(dst, s.Src, true, id, uint16(i+1), 0)
	})
}

// TCPSweep sends a SYN to Port on each host.
func (g *Gen) TCPSweep(s SweepSpec) Stream {
	sport := g.ephemeralPort()
	var seq uint32
	return g.sweep(s, func(_ int, dst netip.Addr) []byte {
		seq = g.rng.Uint32()
		return g.frame(s.Src, dst, layers.IPProtocolTCP, tcp(sport, s.Port, seq, 0, ScanSYN))
	}, func(_ int, dst netip.Addr) []byte {
		return g.frame(dst, s.Src, layers.IPProtocolTCP, tcp(s.Port, sport, g.rng.Uint32(), seq+1, 0x12))
	})
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}

// FloodKind selects the packets of a flood.
type FloodKind uint8

// Flood kinds.
const (
	FloodSYN FloodKind = iota
	FloodUDP
	FloodICMP
)

// FloodSpec describes a flood against one victim from spoofed sources.
type FloodSpec struct {
	Kind    FloodKind
	Dst     netip.Addr
	DstPort uint16 // SYN and UDP floods
	// Sources distinct source addresses, drawn from Prefixes (documentation
	// prefixes only) and used round-robin.
	Sources  int
	Prefixes []netip.Prefix
	Packets  int
	At       time.Duration
	Rate     float64 // packets per second; 0 means 1000
	Payload  int     // UDP/ICMP payload bytes
}

// Flood generates Packets packets from Sources spoofed addresses.
func (g *Gen) Flood(s FloodSpec) Stream {
	srcs := g.distinctAddrs(s.Sources, s.Prefixes)
	out := make(Stream, 0, s.Packets)
	step := interval(s.Rate)
	for i := range s.Packets {
		t := g.at(s.At + time.Duration(i)*step)
		src := srcs[i%len(srcs)]
		var data []byte
		switch s.Kind {
		case FloodSYN:
			data = g.frame(src, s.Dst, layers.IPProtocolTCP, tcp(g.ephemeralPort(), s.DstPort, g.rng.Uint32(), 0, ScanSYN))
		case FloodUDP:
			data = g.frame(src, s.Dst, layers.IPProtocolUDP, udp(g.ephemeralPort(), s.DstPort), gopacket.Payload(make([]byte, s.Payload)))
		case FloodICMP:
			data = g.echo(src, s.Dst, false, uint16(g.rng.UintN(1<<16)), uint16(i), s.Payload)
		}
		out = append(out, Packet{t, data})
	}
	return out
}

// distinctAddrs draws n distinct addresses from the prefixes (round-robin over
// prefixes). It panics if the prefixes cannot hold n addresses.
func (g *Gen) distinctAddrs(n int, prefixes []netip.Prefix) []netip.Addr {
	if n <= 0 {
		n = 1
	}
	capacity := 0
	for _, p := range prefixes {
		capacity += 1 << min(p.Addr().BitLen()-p.Bits(), 30)
	}
	if capacity < n {
		panic("synth: prefixes too small for the number of sources")
	}
	seen := make(map[netip.Addr]bool, n)
	out := make([]netip.Addr, 0, n)
	for i := 0; len(out) < n; i++ {
		a := g.randomAddr(prefixes[i%len(prefixes)])
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// conn is a simulated TCP connection; it tracks sequence numbers.
type conn struct {
	g            *Gen
	c, s         netip.Addr
	cport, sport uint16
	cseq, sseq   uint32
	t            time.Time
	out          Stream
}

func (g *Gen) dial(client, server netip.Addr, port uint16, t time.Time) *conn {
	return &conn{g: g, c: client, s: server, cport: g.ephemeralPort(), sport: port, cseq: g.rng.Uint32(), sseq: g.rng.Uint32(), t: t}
}

func (k *conn) emit(fromClient bool, flags uint8, payload []byte, d time.Duration) {
	k.t = k.t.Add(d)
	var data []byte
	if fromClient {
		data = k.g.frame(k.c, k.s, layers.IPProtocolTCP, tcp(k.cport, k.sport, k.cseq, k.sseq, flags), gopacket.Payload(payload))
		k.cseq += uint32(len(payload))
		if flags&0x03 != 0 { // SYN and FIN take a sequence number
			k.cseq++
		}
	} else {
		data = k.g.frame(k.s, k.c, layers.IPProtocolTCP, tcp(k.sport, k.cport, k.sseq, k.cseq, flags), gopacket.Payload(payload))
		k.sseq += uint32(len(payload))
		if flags&0x03 != 0 {
			k.sseq++
		}
	}
	k.out = append(k.out, Packet{k.t, data})
}

// handshake: SYN, SYN-ACK, ACK.
func (k *conn) handshake() {
	k.emit(true, 0x02, nil, 0)
	k.emit(false, 0x12, nil, rtt)
	k.emit(true, 0x10, nil, time.Millisecond)
}

// send transfers n bytes in MSS-sized segments, each acknowledged.
func (k *conn) send(fromClient bool, n int) {
	for n > 0 {
		seg := min(n, mss)
		k.emit(fromClient, 0x18, make([]byte, seg), time.Millisecond)
		k.emit(!fromClient, 0x10, nil, time.Millisecond)
		n -= seg
	}
}

// close: FIN-ACK from the client, FIN-ACK from the server, final ACK.
func (k *conn) close() {
	k.emit(true, 0x11, nil, time.Millisecond)
	k.emit(false, 0x11, nil, rtt)
	k.emit(true, 0x10, nil, time.Millisecond)
}

// Session generates one complete TCP connection from client to server:port:
// handshake, request bytes up, response bytes down, orderly close.
func (g *Gen) Session(client, server netip.Addr, port uint16, at time.Duration, request, response int) Stream {
	k := g.dial(client, server, port, g.at(at))
	k.handshake()
	k.send(true, request)
	k.send(false, response)
	k.close()
	return k.out
}

// BruteSpec describes a password-guessing run: many short, complete
// connections to one service.
type BruteSpec struct {
	Src, Dst  netip.Addr
	Port      uint16 // 0 means 22
	Attempts  int
	At        time.Duration
	Interval  time.Duration // between connection starts; 0 means 2s
	Exchanges int           // request/response pairs per connection; 0 means 3
}

// Bruteforce generates Attempts connections, each with a handshake, a few
// small exchanges and a FIN close.
func (g *Gen) Bruteforce(s BruteSpec) Stream {
	port, every, n := s.Port, s.Interval, s.Exchanges
	if port == 0 {
		port = 22
	}
	if every == 0 {
		every = 2 * time.Second
	}
	if n == 0 {
		n = 3
	}
	var out Stream
	for i := range s.Attempts {
		k := g.dial(s.Src, s.Dst, port, g.at(s.At+time.Duration(i)*every))
		k.handshake()
		for range n {
			k.send(false, 40+g.rng.IntN(40))
			k.send(true, 40+g.rng.IntN(40))
		}
		k.close()
		out = append(out, k.out...)
	}
	return Merge(out)
}

// AmpSpec describes a DNS amplification attack seen at the victim: large
// responses from source port 53 of many reflectors, none asked for.
type AmpSpec struct {
	Victim     netip.Addr
	VictimPort uint16 // 0 means a random port per response
	Reflectors int
	Prefixes   []netip.Prefix
	Responses  int
	Size       int // DNS payload bytes per response; 0 means 3000
	// Fragment splits responses larger than the 1500-byte MTU into IP
	// fragments; otherwise they are sent whole (as if over a jumbo path).
	Fragment bool
	At       time.Duration
	Rate     float64
}

// DNSAmplification generates the responses; with Fragment, each large
// response is a first fragment with the UDP header and later fragments
// without.
func (g *Gen) DNSAmplification(s AmpSpec) Stream {
	if s.Size == 0 {
		s.Size = 3000
	}
	return g.responses(s, 53, func(payload []byte) {
		payload[2] = 0x81 // QR, RD, RA: a response
		payload[3] = 0x80
	})
}

// responses generates s.Responses UDP datagrams of s.Size payload bytes
// from srcPort of the reflectors to the victim, the payload set by mark
// (nil: zeros); with s.Fragment, as DNSAmplification describes.
func (g *Gen) responses(s AmpSpec, srcPort uint16, mark func(payload []byte)) Stream {
	refl := g.distinctAddrs(s.Reflectors, s.Prefixes)
	step := interval(s.Rate)
	var out Stream
	for i := range s.Responses {
		t := g.at(s.At + time.Duration(i)*step)
		src := refl[i%len(refl)]
		dport := s.VictimPort
		if dport == 0 {
			dport = g.ephemeralPort()
		}
		payload := make([]byte, s.Size)
		if mark != nil {
			mark(payload)
		}
		if !s.Fragment || s.Size+8+ipHeaderLen(src) <= 1500 {
			out = append(out, Packet{t, g.frame(src, s.Victim, layers.IPProtocolUDP, udp(srcPort, dport), gopacket.Payload(payload))})
			continue
		}
		l4 := transportBytes(src, s.Victim, layers.IPProtocolUDP, udp(srcPort, dport), gopacket.Payload(payload))
		for j, f := range g.fragments(src, s.Victim, layers.IPProtocolUDP, l4, 1500, g.rng.Uint32()) {
			out = append(out, Packet{t.Add(time.Duration(j) * time.Microsecond), f})
		}
	}
	return out
}

func ipHeaderLen(a netip.Addr) int {
	if a.Is4() {
		return 20
	}
	return 40
}

// DNSLookup generates a query from client to resolver and its answer.
func (g *Gen) DNSLookup(client, resolver netip.Addr, at time.Duration) Stream {
	sport := g.ephemeralPort()
	id := uint16(g.rng.UintN(1 << 16))
	q := &layers.DNS{ID: id, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("www.example.com"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	a := *q
	a.QR, a.RA = true, true
	a.Answers = []layers.DNSResourceRecord{{Name: []byte("www.example.com"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 300,
		IP: []byte{192, 0, 2, 80}}}
	t := g.at(at)
	return Stream{
		{t, g.frame(client, resolver, layers.IPProtocolUDP, udp(sport, 53), q)},
		{t.Add(rtt), g.frame(resolver, client, layers.IPProtocolUDP, udp(53, sport), &a)},
	}
}

// Ping generates count echo requests, one a second, each with its reply.
func (g *Gen) Ping(src, dst netip.Addr, count int, at time.Duration) Stream {
	var out Stream
	id := uint16(g.rng.UintN(1 << 16))
	for i := range count {
		t := g.at(at + time.Duration(i)*time.Second)
		out = append(out,
			Packet{t, g.echo(src, dst, false, id, uint16(i+1), 56)},
			Packet{t.Add(rtt), g.echo(dst, src, true, id, uint16(i+1), 56)})
	}
	return out
}

// BenignSpec describes ordinary traffic of one client.
type BenignSpec struct {
	Client   netip.Addr
	Servers  []netip.Addr // web servers, port 443
	Resolver netip.Addr
	At       time.Duration
	// WebSessions complete connections (spread over Servers, 500 ms apart),
	// each with a small request and a 20 kB response.
	WebSessions int
	DNSQueries  int // query/answer pairs
	Pings       int // echo request/reply pairs to the first server
	Download    int // bytes of one large download from the first server (0: none)
}

// Benign generates a mix of traffic no detector should report.
func (g *Gen) Benign(s BenignSpec) Stream {
	var parts []Stream
	for i := range s.DNSQueries {
		parts = append(parts, g.DNSLookup(s.Client, s.Resolver, s.At+time.Duration(i)*700*time.Millisecond))
	}
	for i := range s.WebSessions {
		parts = append(parts, g.Session(s.Client, s.Servers[i%len(s.Servers)], 443, s.At+time.Duration(i)*500*time.Millisecond+100*time.Millisecond, 400, 20_000))
	}
	if s.Pings > 0 {
		parts = append(parts, g.Ping(s.Client, s.Servers[0], s.Pings, s.At+50*time.Millisecond))
	}
	if s.Download > 0 {
		parts = append(parts, g.Session(s.Client, s.Servers[0], 443, s.At+200*time.Millisecond, 300, s.Download))
	}
	return Merge(parts...)
}

// Upload generates one connection from client to server:port carrying bytes
// up (a data-exfiltration shape) with a small response.
func (g *Gen) Upload(client, server netip.Addr, port uint16, bytes int, at time.Duration) Stream {
	return g.Session(client, server, port, at, bytes, 200)
}
