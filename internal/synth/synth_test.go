package synth

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// decodeStream decodes every frame; all must decode.
func decodeStream(t *testing.T, s Stream) []decode.Packet {
	t.Helper()
	d := decode.NewDecoder()
	out := make([]decode.Packet, 0, len(s))
	for i, p := range s {
		var pk decode.Packet
		if r := d.DecodeData(p.Data, layers.LinkTypeEthernet, p.Time.UnixNano(), 0, &pk); r != decode.OK {
			t.Fatalf("frame %d: %v", i, r)
		}
		out = append(out, pk)
		if i > 0 && p.Time.Before(s[i-1].Time) {
			t.Fatalf("frame %d out of time order", i)
		}
	}
	return out
}

type key struct {
	src, dst     netip.Addr
	sport, dport uint16
	flags        uint8
}

func TestTCPScan(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		l := labPlan(v6)
		g := New(Options{Seed: 1})
		ps := decodeStream(t, g.TCPScan(ScanSpec{Src: l.attacker, Dst: l.victim, Ports: PortRange(20, 30), Flags: ScanSYN, Replies: true, Open: []uint16{22, 25}}))
		if len(ps) != 11+2*2+9 {
			t.Fatalf("v6=%v: %d packets, want 24", v6, len(ps))
		}
		sport := ps[0].SrcPort
		count := map[key]int{}
		for _, p := range ps {
			if p.Proto != decode.ProtoTCP || p.Src.Is6() != v6 {
				t.Fatalf("packet %+v", p)
			}
			count[key{p.Src, p.Dst, p.SrcPort, p.DstPort, p.TCPFlags}]++
		}
		for port := uint16(20); port <= 30; port++ {
			if count[key{l.attacker, l.victim, sport, port, decode.FlagSYN}] != 1 {
				t.Errorf("v6=%v: no SYN to %d", v6, port)
			}
			open := port == 22 || port == 25
			synack := count[key{l.victim, l.attacker, port, sport, decode.FlagSYN | decode.FlagACK}]
			rst := count[key{l.attacker, l.victim, sport, port, decode.FlagRST}]
			rstack := count[key{l.victim, l.attacker, port, sport, decode.FlagRST | decode.FlagACK}]
			if open && (synack != 1 || rst != 1 || rstack != 0) || !open && (synack != 0 || rst != 0 || rstack != 1) {
				t.Errorf("v6=%v port %d: synack %d rst %d rst-ack %d", v6, port, synack, rst, rstack)
			}
		}
		if d := ps[1].Timestamp - ps[0].Timestamp; d != int64(time.Millisecond) && ps[1].Src == l.attacker {
			t.Errorf("default rate: %d ns between probes", d)
		}
	}
}

func TestStealthScans(t *testing.T) {
	for _, flags := range []uint8{ScanNULL, ScanFIN, ScanXmas, ScanMaimon} {
		g := New(Options{Seed: 2})
		ps := decodeStream(t, g.TCPScan(ScanSpec{Src: LabAttacker4, Dst: LabVictim4, Ports: PortRange(78, 82), Flags: flags, Replies: true, Open: []uint16{80}}))
		if len(ps) != 5+4 {
			t.Fatalf("flags %#x: %d packets", flags, len(ps))
		}
		probes, rsts := 0, 0
		for _, p := range ps {
			switch {
			case p.Src == LabAttacker4 && p.TCPFlags == flags:
				probes++
			case p.Src == LabVictim4 && p.TCPFlags == decode.FlagRST|decode.FlagACK && p.SrcPort != 80:
				rsts++
			default:
				t.Errorf("flags %#x: unexpected %+v", flags, p)
			}
		}
		if probes != 5 || rsts != 4 {
			t.Errorf("flags %#x: %d probes %d resets", flags, probes, rsts)
		}
	}
}

func TestUDPScan(t *testing.T) {
	g := New(Options{Seed: 3})
	ps := decodeStream(t, g.UDPScan(ScanSpec{Src: LabAttacker4, Dst: LabVictim4, Ports: PortRange(50, 59), Replies: true, Open: []uint16{53}}))
	udp, unreach := 0, 0
	for _, p := range ps {
		switch {
		case p.Proto == decode.ProtoUDP && p.Src == LabAttacker4 && p.DstPort >= 50 && p.DstPort <= 59:
			udp++
		case p.Proto == decode.ProtoICMP && p.Src == LabVictim4 && p.ICMPType == 3 && p.ICMPCode == 3:
			unreach++
		default:
			t.Errorf("unexpected %+v", p)
		}
	}
	if udp != 10 || unreach != 9 {
		t.Errorf("%d probes, %d unreachable", udp, unreach)
	}
	// IPv6 replies are ICMPv6 port unreachable (type 1 code 4).
	ps = decodeStream(t, g.UDPScan(ScanSpec{Src: LabAttacker6, Dst: LabVictim6, Ports: []uint16{7}, Replies: true}))
	if len(ps) != 2 || ps[1].Proto != decode.ProtoICMPv6 || ps[1].ICMPType != 1 || ps[1].ICMPCode != 4 {
		t.Errorf("v6 reply %+v", ps)
	}
}

func TestSweeps(t *testing.T) {
	l := labPlan(false)
	g := New(Options{Seed: 4})
	ps := decodeStream(t, g.PingSweep(SweepSpec{Src: l.attacker, Dsts: l.hosts[:30], Replies: true, Alive: everyTenth(l.hosts)}))
	if len(ps) != 33 {
		t.Fatalf("%d packets", len(ps))
	}
	dsts := map[netip.Addr]bool{}
	for _, p := range ps {
		if p.SrcPort != ps[0].SrcPort || p.Proto != decode.ProtoICMP {
			t.Errorf("packet %+v: identifier differs", p)
		}
		if p.ICMPType == 8 {
			dsts[p.Dst] = true
		} else if p.ICMPType != 0 || !containsAddr(everyTenth(l.hosts), p.Src) {
			t.Errorf("reply %+v", p)
		}
	}
	if len(dsts) != 30 {
		t.Errorf("%d hosts probed", len(dsts))
	}
	ps = decodeStream(t, g.TCPSweep(SweepSpec{Src: l.attacker, Dsts: l.hosts[:30], Port: 22}))
	for _, p := range ps {
		if p.DstPort != 22 || p.TCPFlags != decode.FlagSYN {
			t.Errorf("sweep probe %+v", p)
		}
	}
	if len(ps) != 30 {
		t.Errorf("%d sweep probes", len(ps))
	}
}

func TestFlood(t *testing.T) {
	prefixes := []netip.Prefix{LabCN4, LabRU4}
	for _, kind := range []FloodKind{FloodSYN, FloodUDP, FloodICMP} {
		g := New(Options{Seed: 5})
		ps := decodeStream(t, g.Flood(FloodSpec{Kind: kind, Dst: LabVictim4, DstPort: 443, Sources: 100, Prefixes: prefixes, Packets: 300, Payload: 64}))
		srcs := map[netip.Addr]int{}
		for _, p := range ps {
			srcs[p.Src]++
			if p.Dst != LabVictim4 || !(LabCN4.Contains(p.Src) || LabRU4.Contains(p.Src)) {
				t.Fatalf("kind %d: %+v", kind, p)
			}
			switch kind {
			case FloodSYN:
				if p.TCPFlags != decode.FlagSYN || p.DstPort != 443 {
					t.Fatalf("syn flood packet %+v", p)
				}
			case FloodUDP:
				if p.Proto != decode.ProtoUDP || p.DstPort != 443 || p.PayloadLen != 64 {
					t.Fatalf("udp flood packet %+v", p)
				}
			case FloodICMP:
				if p.Proto != decode.ProtoICMP || p.ICMPType != 8 || p.PayloadLen != 64 {
					t.Fatalf("icmp flood packet %+v", p)
				}
			}
		}
		if len(ps) != 300 || len(srcs) != 100 {
			t.Errorf("kind %d: %d packets from %d sources", kind, len(ps), len(srcs))
		}
		for a, n := range srcs {
			if n != 3 {
				t.Errorf("kind %d: %v sent %d", kind, a, n)
			}
		}
	}
}

func TestBruteforce(t *testing.T) {
	g := New(Options{Seed: 6})
	ps := decodeStream(t, g.Bruteforce(BruteSpec{Src: LabAttacker4, Dst: LabVictim4, Attempts: 10, Exchanges: 2}))
	syn, synack, fin, data := map[uint16]bool{}, 0, 0, 0
	for _, p := range ps {
		switch {
		case p.TCPFlags == decode.FlagSYN:
			if p.DstPort != 22 || p.Src != LabAttacker4 {
				t.Errorf("syn %+v", p)
			}
			syn[p.SrcPort] = true
		case p.TCPFlags == decode.FlagSYN|decode.FlagACK:
			synack++
		case p.TCPFlags&decode.FlagFIN != 0:
			fin++
		case p.PayloadLen > 0:
			data++
		}
	}
	// Per connection: 3 handshake, 2 exchanges × 2 directions × (data + ack), 3 close.
	if len(syn) != 10 || synack != 10 || fin != 20 || data != 40 || len(ps) != 10*(3+8+3) {
		t.Errorf("%d connections, %d syn-acks, %d fins, %d data, %d packets", len(syn), synack, fin, data, len(ps))
	}
}

func TestDNSAmplification(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		l := labPlan(v6)
		g := New(Options{Seed: 7})
		ps := decodeStream(t, g.DNSAmplification(AmpSpec{Victim: l.victim, Reflectors: 5, Prefixes: []netip.Prefix{l.ru}, Responses: 20, Fragment: true}))
		first, later := 0, 0
		var bytes uint32
		refl := map[netip.Addr]bool{}
		for _, p := range ps {
			if p.Dst != l.victim || !l.ru.Contains(p.Src) || p.Proto != decode.ProtoUDP || !p.Fragment {
				t.Fatalf("v6=%v: %+v", v6, p)
			}
			refl[p.Src] = true
			bytes += p.PayloadLen
			if p.FirstFragment {
				first++
				if p.SrcPort != 53 {
					t.Errorf("first fragment from port %d", p.SrcPort)
				}
			} else {
				later++
			}
		}
		// 3008 bytes of UDP: 3 fragments of ≤1480 (IPv4) or ≤1448 (IPv6) bytes.
		if first != 20 || later != 40 || len(refl) != 5 || bytes != 20*3000 {
			t.Errorf("v6=%v: %d first, %d later fragments, %d reflectors, %d payload bytes", v6, first, later, len(refl), bytes)
		}
	}
	g := New(Options{Seed: 7})
	ps := decodeStream(t, g.DNSAmplification(AmpSpec{Victim: LabVictim4, Reflectors: 2, Prefixes: []netip.Prefix{LabRU4}, Responses: 4, Size: 1200, VictimPort: 22}))
	for _, p := range ps {
		if p.Fragment || p.SrcPort != 53 || p.DstPort != 22 || p.PayloadLen != 1200 {
			t.Errorf("unfragmented response %+v", p)
		}
	}
}

func TestBenign(t *testing.T) {
	l := labPlan(false)
	g := New(Options{Seed: 8})
	ps := decodeStream(t, g.Benign(BenignSpec{Client: l.victim, Servers: []netip.Addr{l.server, l.server.Next()}, Resolver: l.resolver,
		WebSessions: 4, DNSQueries: 3, Pings: 2, Download: 100_000}))
	var syn, synack, fins, dnsQ, dnsA, echo, reply int
	var down uint32
	for _, p := range ps {
		switch {
		case p.Proto == decode.ProtoTCP && p.TCPFlags == decode.FlagSYN:
			syn++
		case p.Proto == decode.ProtoTCP && p.TCPFlags == decode.FlagSYN|decode.FlagACK:
			synack++
		case p.Proto == decode.ProtoTCP && p.TCPFlags&decode.FlagFIN != 0:
			fins++
		case p.Proto == decode.ProtoUDP && p.DstPort == 53 && p.Src == l.victim:
			dnsQ++
		case p.Proto == decode.ProtoUDP && p.SrcPort == 53 && p.Dst == l.victim:
			dnsA++
		case p.Proto == decode.ProtoICMP && p.ICMPType == 8:
			echo++
		case p.Proto == decode.ProtoICMP && p.ICMPType == 0:
			reply++
		}
		if p.Proto == decode.ProtoTCP && p.Dst == l.victim {
			down += p.PayloadLen
		}
	}
	if syn != 5 || synack != 5 || fins != 10 || dnsQ != 3 || dnsA != 3 || echo != 2 || reply != 2 {
		t.Errorf("syn %d synack %d fin %d dns %d/%d ping %d/%d", syn, synack, fins, dnsQ, dnsA, echo, reply)
	}
	if down != 4*20_000+100_000 {
		t.Errorf("%d bytes downloaded", down)
	}
}

func TestVLAN(t *testing.T) {
	for _, tags := range [][]uint16{{100}, {200, 100}} {
		g := New(Options{Seed: 9, VLAN: tags})
		s := g.TCPScan(ScanSpec{Src: LabAttacker6, Dst: LabVictim6, Ports: []uint16{1, 2}, Flags: ScanSYN})
		for _, p := range decodeStream(t, s) {
			if p.VLAN != tags[0] || p.DstPort == 0 {
				t.Errorf("tags %v: %+v", tags, p)
			}
		}
		wantType := []byte{0x81, 0x00}
		if len(tags) == 2 {
			wantType = []byte{0x88, 0xa8}
		}
		if !bytes.Equal(s[0].Data[12:14], wantType) {
			t.Errorf("tags %v: EtherType % x", tags, s[0].Data[12:14])
		}
	}
}

func TestDeterministic(t *testing.T) {
	build := func(seed uint64) Stream {
		sc, _ := Lookup("mixed")
		return sc.Build(New(Options{Seed: seed}), false)
	}
	a, b, c := build(1), build(1), build(2)
	var ba, bb, bc bytes.Buffer
	for _, x := range []struct {
		s Stream
		w *bytes.Buffer
	}{{a, &ba}, {b, &bb}, {c, &bc}} {
		if err := Write(x.w, PCAP, x.s); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(ba.Bytes(), bb.Bytes()) {
		t.Error("same seed, different captures")
	}
	if bytes.Equal(ba.Bytes(), bc.Bytes()) {
		t.Error("different seeds, same capture")
	}
	if a[0].Time.Before(Epoch) || !a[0].Time.Before(Epoch.Add(time.Second)) {
		t.Errorf("first packet at %v", a[0].Time)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	sc, _ := Lookup("scan")
	s := sc.Build(New(Options{Seed: 10}), false)
	for _, name := range []string{"scan.pcap", "scan.pcapng", "scan.pcap.gz", "scan.pcapng.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			if err := WriteFile(path, s); err != nil {
				t.Fatal(err)
			}
			src, err := capture.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var f capture.Frame
			for i := 0; ; i++ {
				err := src.Next(&f)
				if errors.Is(err, io.EOF) {
					if i != len(s) {
						t.Errorf("%d frames, want %d", i, len(s))
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if f.Timestamp != s[i].Time.UnixNano() || !bytes.Equal(f.Data, s[i].Data) || f.Link != layers.LinkTypeEthernet {
					t.Fatalf("frame %d differs", i)
				}
			}
		})
	}
}

func TestScenarios(t *testing.T) {
	want := map[string]int{ // packets per scenario (same for IPv4 and IPv6)
		"scan": 1024 + 3*2 + 1021, "scan-null": 1024 + 1021, "scan-fin": 1024 + 1021, "scan-xmas": 1024 + 1021,
		"scan-maimon": 1024 + 1021, "udpscan": 200 + 198, "pingsweep": 126 + 13, "tcpsweep": 126 + 13,
		"synflood": 5000, "udpflood": 5000, "icmpflood": 5000, "bruteforce": 30 * (3 + 12 + 3),
		"dnsamp": 400 * 3, "benign": 10*2 + 8*(3+2+2*14+3) + 5*2 + (3 + 2 + 2*1437 + 3),
		"upload": 3 + 2*7183 + 2 + 3, "mixed": -1,
		"scan-ack": 1024 + 1024, "ackping": 126 + 13, "udpsweep": 126 + 13, "protoscan": 256 - 12,
		"udpsweep-out": 126 + 13, "pingsweep-out": 126 + 13, "udpscan-out": 200 + 198,
		"refl-ike": 1100, "refl-any": 6000,
	}
	for _, sc := range Scenarios() {
		for _, v6 := range []bool{false, true} {
			s := sc.Build(New(Options{Seed: 1}), v6)
			ps := decodeStream(t, s)
			if n, ok := want[sc.Name]; !ok {
				t.Errorf("%s: not in the test table", sc.Name)
			} else if n >= 0 && len(ps) != n {
				t.Errorf("%s v6=%v: %d packets, want %d", sc.Name, v6, len(ps), n)
			}
			for _, p := range ps {
				if p.Src.Is6() != v6 {
					t.Fatalf("%s v6=%v: %+v", sc.Name, v6, p)
				}
			}
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found an unknown scenario")
	}
}
