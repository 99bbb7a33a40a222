package synth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

// The benchmark mix is generated straight into a reused frame buffer, one
// frame per Next call, so that any number of packets can be replayed (or
// written to a file) without holding them in memory. It is deterministic: the
// same BenchSpec gives the same frames in the same order.
//
// Address plan. Unlike the lab scenarios, the mix uses real public address
// space, so that the embedded DB-IP table gives the endpoints their countries:
//
//   - home hosts are in Deutsche Telekom ranges (80.128.0.0/11, 91.0.0.0/10,
//     2003::/19), which DB-IP maps to DE: run the sensor with home DE;
//   - remote hosts are drawn at random from global unicast IPv4 (special and
//     home ranges excluded) and from the RIR IPv6 blocks (2001:200::/23,
//     2400::/12, 2600::/12, 2800::/12, 2a00::/12, 2c00::/12), so they spread
//     over most countries of the database (and some miss it, as real traffic
//     does);
//   - spoofed flood sources walk a bijection of the 32-bit space (IPv4) and
//     of the low 64 bits of 2a00::/12 (IPv6): SpoofedSources distinct
//     sources before the walk repeats.
//
// Such captures must only be read (replay, tshark, softflowd); they are
// never sent onto a network. Live tests use the documentation prefixes.
//
// Mix, by packets (Flood changes the flood share, the others keep their
// proportions): background 76% (TLS 443 and HTTP 80 sessions with handshake,
// requests, 1500-byte responses and FIN; DNS query and answer), spoofed TCP
// SYN flood on one home web server 14%, DNS/NTP reflection on one home host
// 4%, SYN scans of all ports of home hosts 3%, SSH brute force 2%, ICMP echo
// sweep 1%. A quarter of the background flows and of the attackers are
// IPv6. Frames are 64 to 1514 bytes (without FCS).

// BenchSpec sizes a benchmark mix.
type BenchSpec struct {
	Seed    uint64
	Packets int // frames to generate; ≤ 0 means no end
	// Rate is the capture-time packet rate (default 1e6 packets/s): the
	// timestamps advance by 1/Rate per frame.
	Rate float64
	// Flood is the share of spoofed SYN flood packets, 0..1 (default 0.14).
	Flood float64
	// SpoofedSources is the number of distinct spoofed flood sources before
	// they repeat (default 1<<20).
	SpoofedSources int
	// Flows is the number of concurrent background flows (default 32768).
	Flows int
	// Start is the first timestamp; zero means Epoch.
	Start time.Time
}

// BenchHome are the home prefixes of the mix (DE in DB-IP).
var BenchHome = []netip.Prefix{
	netip.MustParsePrefix("80.128.0.0/11"),
	netip.MustParsePrefix("91.0.0.0/10"),
	netip.MustParsePrefix("2003::/19"),
}

var benchRemote6 = []netip.Prefix{
	netip.MustParsePrefix("2001:200::/23"),
	netip.MustParsePrefix("2400::/12"),
	netip.MustParsePrefix("2600::/12"),
	netip.MustParsePrefix("2800::/12"),
	netip.MustParsePrefix("2a00::/12"),
	netip.MustParsePrefix("2c00::/12"),
}

type addr16 struct {
	b  [16]byte
	v4 bool
}

func toAddr16(a netip.Addr) addr16 {
	if a.Is4() {
		var x addr16
		b := a.As4()
		copy(x.b[:4], b[:])
		x.v4 = true
		return x
	}
	return addr16{b: a.As16()}
}

// bgFlow is one background flow in progress.
type bgFlow struct {
	client, server addr16
	cport, sport   uint16
	proto          uint8 // 6 or 17
	step, steps    uint16
	seq, ack       uint32
}

type scanner struct {
	src, dst addr16
	port     uint16
}

// BenchSource generates the mix as a capture.Source. It allocates nothing
// per frame. Not safe for concurrent use (Stats excepted).
type BenchSource struct {
	spec                                           BenchSpec
	rng                                            *rand.Rand
	buf                                            [1600]byte
	n                                              int
	ts                                             int64
	step                                           int64
	floodCut, reflCut, scanCut, bruteCut, sweepCut uint32

	home4, home6     []addr16
	remote4, remote6 []addr16
	flows            []bgFlow
	scanners         []scanner
	brute            []scanner
	sweeper          scanner
	floodVictim      [2]addr16
	reflVictim       [2]addr16
	spoof            uint64
	spoofMul         uint64
	frames, bytes    atomic.Uint64
}

// NewBenchSource returns a source generating spec's mix.
func NewBenchSource(spec BenchSpec) *BenchSource {
	if spec.Rate <= 0 {
		spec.Rate = 1e6
	}
	if spec.Flood <= 0 {
		spec.Flood = 0.14
	}
	spec.Flood = min(spec.Flood, 1)
	if spec.SpoofedSources <= 0 {
		spec.SpoofedSources = 1 << 20
	}
	if spec.Flows <= 0 {
		spec.Flows = 1 << 15
	}
	if spec.Start.IsZero() {
		spec.Start = Epoch
	}
	s := &BenchSource{spec: spec, rng: rand.New(rand.NewPCG(spec.Seed, 0x62656e6368))}
	s.ts = spec.Start.UnixNano()
	s.step = int64(float64(time.Second) / spec.Rate)
	// Cumulative thresholds over 1<<32: flood, reflection, scan, brute
	// force, sweep, then background.
	rest := (1 - spec.Flood) / (1 - 0.14)
	cut := float64(spec.Flood)
	s.floodCut = frac(cut)
	cut += 0.04 * rest
	s.reflCut = frac(cut)
	cut += 0.03 * rest
	s.scanCut = frac(cut)
	cut += 0.02 * rest
	s.bruteCut = frac(cut)
	cut += 0.01 * rest
	s.sweepCut = frac(cut)

	for range 4096 {
		s.home4 = append(s.home4, s.inPrefix(BenchHome[s.rng.IntN(2)]))
	}
	for range 1024 {
		s.home6 = append(s.home6, s.inPrefix(BenchHome[2]))
	}
	for len(s.remote4) < 65536 {
		if a, ok := s.public4(); ok {
			s.remote4 = append(s.remote4, a)
		}
	}
	for range 16384 {
		s.remote6 = append(s.remote6, s.inPrefix(benchRemote6[s.rng.IntN(len(benchRemote6))]))
	}
	s.flows = make([]bgFlow, spec.Flows)
	for i := range s.flows {
		s.newFlow(&s.flows[i])
		s.flows[i].step = uint16(s.rng.IntN(int(s.flows[i].steps))) // mid-flow at the start
	}
	for i := range 16 {
		src, dst := s.pick(i%4 == 3)
		s.scanners = append(s.scanners, scanner{src: src, dst: dst, port: uint16(1 + s.rng.IntN(1000))})
	}
	for i := range 8 {
		src, dst := s.pick(i%4 == 3)
		s.brute = append(s.brute, scanner{src: src, dst: dst, port: s.ephemeral()})
	}
	s.sweeper.src, _ = s.pick(false)
	s.floodVictim = [2]addr16{s.home4[0], s.home6[0]}
	s.reflVictim = [2]addr16{s.home4[1], s.home6[1]}
	s.spoofMul = 0x9e3779b97f4a7c15 | 1
	s.initFrame()
	return s
}

func frac(x float64) uint32 {
	if x >= 1 {
		return ^uint32(0)
	}
	return uint32(x * (1 << 32))
}

func (s *BenchSource) inPrefix(p netip.Prefix) addr16 {
	a := p.Addr().AsSlice()
	for i := p.Bits(); i < len(a)*8; i++ {
		if s.rng.Uint32()&1 != 0 {
			a[i/8] |= 0x80 >> (i % 8)
		}
	}
	x, _ := netip.AddrFromSlice(a)
	return toAddr16(x)
}

// public4 returns a random global unicast IPv4 address outside the special
// and home ranges.
func (s *BenchSource) public4() (addr16, bool) {
	v := s.rng.Uint32()
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	a := netip.AddrFrom4(b)
	if b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 || !a.IsGlobalUnicast() || a.IsPrivate() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) || netip.MustParsePrefix("198.18.0.0/15").Contains(a) ||
		BenchHome[0].Contains(a) || BenchHome[1].Contains(a) {
		return addr16{}, false
	}
	return toAddr16(a), true
}

// pick returns a remote and a home address of one family.
func (s *BenchSource) pick(v6 bool) (remote, home addr16) {
	if v6 {
		return s.remote6[s.rng.IntN(len(s.remote6))], s.home6[s.rng.IntN(len(s.home6))]
	}
	return s.remote4[s.rng.IntN(len(s.remote4))], s.home4[s.rng.IntN(len(s.home4))]
}

func (s *BenchSource) ephemeral() uint16 { return uint16(32768 + s.rng.IntN(28232)) }

func (s *BenchSource) newFlow(f *bgFlow) {
	v6 := s.rng.IntN(4) == 0
	remote, home := s.pick(v6)
	// Two thirds of the flows are home clients going out, one third are
	// remote clients of home servers.
	if s.rng.IntN(3) == 0 {
		f.client, f.server = remote, home
	} else {
		f.client, f.server = home, remote
	}
	f.cport = s.ephemeral()
	f.step = 0
	f.seq, f.ack = s.rng.Uint32(), s.rng.Uint32()
	switch r := s.rng.IntN(20); {
	case r < 3:
		f.proto, f.sport, f.steps = 17, 53, 2
	case r < 7:
		f.proto, f.sport, f.steps = 6, 80, uint16(8+s.rng.IntN(16))
	default:
		f.proto, f.sport, f.steps = 6, 443, uint16(8+s.rng.IntN(40))
	}
}

// Name implements capture.Source.
func (s *BenchSource) Name() string { return "bench-mix" }

// Stats implements capture.Source.
func (s *BenchSource) Stats() capture.Stats {
	return capture.Stats{Frames: s.frames.Load(), Bytes: s.bytes.Load()}
}

// Close implements capture.Source.
func (s *BenchSource) Close() error { return nil }

// Next implements capture.Source: it fills f with the next frame of the
// mix, whose Data stays valid until the next call.
func (s *BenchSource) Next(f *capture.Frame) error {
	if s.spec.Packets > 0 && s.n >= s.spec.Packets {
		return io.EOF
	}
	s.n++
	s.ts += s.step
	var n int
	switch r := s.rng.Uint32(); {
	case r < s.floodCut:
		n = s.flood()
	case r < s.reflCut:
		n = s.reflection()
	case r < s.scanCut:
		n = s.scan()
	case r < s.bruteCut:
		n = s.bruteforce()
	case r < s.sweepCut:
		n = s.sweep()
	default:
		n = s.background()
	}
	f.Data = s.buf[:n]
	f.Timestamp = s.ts
	f.WireLen = uint32(n)
	f.Link = layers.LinkTypeEthernet
	f.Iface = 0
	s.frames.Add(1)
	s.bytes.Add(uint64(n))
	return nil
}

func (s *BenchSource) flood() int {
	r := s.rng.Uint32()
	s.spoof++
	i := s.spoof % uint64(s.spec.SpoofedSources)
	v := i * s.spoofMul // a bijection of the 64-bit space: distinct i, distinct v
	var src addr16
	v6 := r&7 == 0
	if v6 {
		src.b = [16]byte{0x2a, 0x00 | byte(v>>60)}
		binary.BigEndian.PutUint64(src.b[8:], v)
	} else {
		// The low 32 bits of an odd multiple are a bijection of i mod 2^32.
		binary.BigEndian.PutUint32(src.b[:4], uint32(v))
		src.v4 = true
	}
	dst := s.floodVictim[0]
	if v6 {
		dst = s.floodVictim[1]
	}
	return s.tcpFrame(src, dst, uint16(v>>32)|1024, 80, uint32(v>>16), 0, 0x02, 0)
}

func (s *BenchSource) reflection() int {
	r := s.rng.Uint32()
	v6 := r&3 == 0
	src := s.remote4[int(r>>8)&2047]
	dst := s.reflVictim[0]
	if v6 {
		src, dst = s.remote6[int(r>>8)&1023], s.reflVictim[1]
	}
	sport := uint16(53)
	if r&16 != 0 {
		sport = 123
	}
	return s.udpFrame(src, dst, sport, uint16(r>>16)|1024, 1200+int(r>>20)&255)
}

func (s *BenchSource) scan() int {
	r := s.rng.Uint32()
	sc := &s.scanners[r>>28]
	sc.port++
	if sc.port == 0 {
		sc.port = 1
		_, sc.dst = s.pick(!sc.src.v4)
	}
	return s.tcpFrame(sc.src, sc.dst, 40000+uint16(r>>24&15), sc.port, r, 0, 0x02, 0)
}

func (s *BenchSource) bruteforce() int {
	r := s.rng.Uint32()
	b := &s.brute[r>>29]
	switch r >> 27 & 3 {
	case 0, 1:
		b.port++
		if b.port < 32768 {
			b.port = 32768
		}
		return s.tcpFrame(b.src, b.dst, b.port, 22, r, 0, 0x02, 0)
	case 2:
		return s.tcpFrame(b.dst, b.src, 22, b.port, r, r+1, 0x12, 0)
	}
	return s.tcpFrame(b.src, b.dst, b.port, 22, r, r+1, 0x18, 48+int(r&63))
}

func (s *BenchSource) sweep() int {
	sw := &s.sweeper
	sw.port++
	dst := s.home4[int(sw.port)%len(s.home4)]
	return s.icmpFrame(sw.src, dst, sw.port)
}

func (s *BenchSource) background() int {
	f := &s.flows[s.rng.IntN(len(s.flows))]
	st := f.step
	f.step++
	if f.proto == 17 {
		if st == 0 {
			return s.udpFrame(f.client, f.server, f.cport, 53, 30+s.rng.IntN(40))
		}
		n := s.udpFrame(f.server, f.client, 53, f.cport, 60+s.rng.IntN(400))
		s.newFlow(f)
		return n
	}
	last := f.steps - 1
	switch {
	case st == 0:
		return s.tcpFrame(f.client, f.server, f.cport, f.sport, f.seq, 0, 0x02, 0)
	case st == 1:
		return s.tcpFrame(f.server, f.client, f.sport, f.cport, f.ack, f.seq+1, 0x12, 0)
	case st == 2:
		f.seq++
		f.ack++
		return s.tcpFrame(f.client, f.server, f.cport, f.sport, f.seq, f.ack, 0x10, 0)
	case st == last-1:
		return s.tcpFrame(f.client, f.server, f.cport, f.sport, f.seq, f.ack, 0x11, 0)
	case st >= last:
		n := s.tcpFrame(f.server, f.client, f.sport, f.cport, f.ack, f.seq+1, 0x11, 0)
		s.newFlow(f)
		return n
	case st%4 == 3:
		n := 100 + s.rng.IntN(400)
		f.seq += uint32(n)
		return s.tcpFrame(f.client, f.server, f.cport, f.sport, f.seq, f.ack, 0x18, n)
	}
	n := 1460 // a full 1514-byte frame, or one of 1 KiB
	if s.rng.IntN(4) == 0 {
		n = 1024
	}
	if !f.client.v4 {
		n -= 20
	}
	f.ack += uint32(n)
	return s.tcpFrame(f.server, f.client, f.sport, f.cport, f.ack, f.seq, 0x10, n)
}

// initFrame writes the Ethernet addresses once; every frame rewrites the
// EtherType and what follows.
func (s *BenchSource) initFrame() {
	copy(s.buf[0:6], macGateway)
	copy(s.buf[6:12], macClient)
}

// ipHeader writes the Ethernet type and the IP header for l4 bytes of
// transport header and payload, and returns the offset of the transport
// header.
func (s *BenchSource) ipHeader(src, dst addr16, proto uint8, l4 int) int {
	b := s.buf[:]
	if src.v4 {
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		h := b[14:34]
		h[0], h[1] = 0x45, 0
		binary.BigEndian.PutUint16(h[2:], uint16(20+l4))
		binary.BigEndian.PutUint32(h[4:], 0x4000) // id 0, DF
		h[8], h[9] = 64, proto
		h[10], h[11] = 0, 0
		copy(h[12:16], src.b[:4])
		copy(h[16:20], dst.b[:4])
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(h[i])<<8 | uint32(h[i+1])
		}
		sum = sum>>16 + sum&0xffff
		sum += sum >> 16
		binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
		return 34
	}
	binary.BigEndian.PutUint16(b[12:], 0x86dd)
	h := b[14:54]
	binary.BigEndian.PutUint32(h[0:], 6<<28)
	binary.BigEndian.PutUint16(h[4:], uint16(l4))
	h[6], h[7] = proto, 64
	copy(h[8:24], src.b[:])
	copy(h[24:40], dst.b[:])
	return 54
}

// frameLen pads to the 64-byte minimum and caps at 1514.
func frameLen(n int) int { return min(max(n, 64), 1514) }

func (s *BenchSource) tcpFrame(src, dst addr16, sport, dport uint16, seq, ack uint32, flags uint8, payload int) int {
	hdr := 34
	if !src.v4 {
		hdr = 54
	}
	payload = min(payload, 1514-hdr-20)
	o := s.ipHeader(src, dst, 6, 20+payload)
	t := s.buf[o : o+20]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12], t[13] = 5<<4, flags
	binary.BigEndian.PutUint16(t[14:], 64240)
	binary.BigEndian.PutUint32(t[16:], 0) // checksum not computed, urgent 0
	return frameLen(o + 20 + payload)
}

func (s *BenchSource) udpFrame(src, dst addr16, sport, dport uint16, payload int) int {
	hdr := 34
	if !src.v4 {
		hdr = 54
	}
	payload = min(payload, 1514-hdr-8)
	o := s.ipHeader(src, dst, 17, 8+payload)
	u := s.buf[o : o+8]
	binary.BigEndian.PutUint16(u[0:], sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(8+payload))
	binary.BigEndian.PutUint16(u[6:], 0)
	return frameLen(o + 8 + payload)
}

func (s *BenchSource) icmpFrame(src, dst addr16, seq uint16) int {
	o := s.ipHeader(src, dst, 1, 8+56)
	c := s.buf[o : o+8]
	c[0], c[1] = 8, 0
	binary.BigEndian.PutUint16(c[2:], 0)
	binary.BigEndian.PutUint16(c[4:], 0x4242)
	binary.BigEndian.PutUint16(c[6:], seq)
	return frameLen(o + 64)
}

// WriteBench streams spec's mix to w as a pcap file (nanosecond
// timestamps, Ethernet) and returns the number of frames written.
func WriteBench(w io.Writer, spec BenchSpec) (int, error) {
	if spec.Packets <= 0 {
		return 0, fmt.Errorf("bench mix: Packets must be positive to write a file")
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriterNanos(bw)
	if err := pw.WriteFileHeader(snapLen, layers.LinkTypeEthernet); err != nil {
		return 0, err
	}
	src := NewBenchSource(spec)
	var f capture.Frame
	n := 0
	for {
		if err := src.Next(&f); err == io.EOF {
			break
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, f.Timestamp), CaptureLength: len(f.Data), Length: int(f.WireLen)}
		if err := pw.WritePacket(ci, f.Data); err != nil {
			return n, err
		}
		n++
	}
	return n, bw.Flush()
}
