package synth

import (
	"net/netip"
	"slices"
	"time"
)

// Lab addresses of the ready-made scenarios. Countries are those of the lab
// GeoIP map (geo/geotest): 198.51.100.0/24 CN, 203.0.113.0/24 RU,
// 192.0.2.0/25 DE, 192.0.2.128/25 FR, 2001:db8:1::/48 CN, 2001:db8:2::/48 RU,
// 2001:db8:de::/48 DE, 2001:db8:f::/48 FR.
var (
	LabAttacker4 = netip.MustParseAddr("198.51.100.23")
	LabVictim4   = netip.MustParseAddr("192.0.2.10")
	LabServer4   = netip.MustParseAddr("192.0.2.200")
	LabResolver4 = netip.MustParseAddr("192.0.2.53")
	LabAttacker6 = netip.MustParseAddr("2001:db8:1::23")
	LabVictim6   = netip.MustParseAddr("2001:db8:de::10")
	LabServer6   = netip.MustParseAddr("2001:db8:f::80")
	LabResolver6 = netip.MustParseAddr("2001:db8:de::53")

	// Spoofed and reflector sources come from these prefixes.
	LabCN4 = netip.MustParsePrefix("198.51.100.0/24")
	LabRU4 = netip.MustParsePrefix("203.0.113.0/24")
	LabCN6 = netip.MustParsePrefix("2001:db8:1::/48")
	LabRU6 = netip.MustParsePrefix("2001:db8:2::/48")
)

// lab is the address plan of one address family.
type lab struct {
	attacker, victim, server, resolver netip.Addr
	cn, ru                             netip.Prefix
	hosts                              []netip.Addr // 126 hosts in the DE range
}

func labPlan(v6 bool) lab {
	l := lab{LabAttacker4, LabVictim4, LabServer4, LabResolver4, LabCN4, LabRU4, nil}
	if v6 {
		l = lab{LabAttacker6, LabVictim6, LabServer6, LabResolver6, LabCN6, LabRU6, nil}
	}
	base := netip.MustParseAddr("192.0.2.0")
	if v6 {
		base = netip.MustParseAddr("2001:db8:de::")
	}
	for a := base.Next(); len(l.hosts) < 126; a = a.Next() {
		l.hosts = append(l.hosts, a)
	}
	return l
}

// PortRange returns the ports lo..hi.
func PortRange(lo, hi uint16) []uint16 {
	var ps []uint16
	for p := int(lo); p <= int(hi); p++ {
		ps = append(ps, uint16(p))
	}
	return ps
}

// Scenario is a ready-made capture for the bw-synth command, demos and
// benchmarks.
type Scenario struct {
	Name        string
	Description string
	Build       func(g *Gen, v6 bool) Stream
}

var openPorts = []uint16{22, 80, 443}

func scan(flags uint8) func(*Gen, bool) Stream {
	return func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.TCPScan(ScanSpec{Src: l.attacker, Dst: l.victim, Ports: PortRange(1, 1024), Rate: 1000, Flags: flags, Replies: true, Open: openPorts})
	}
}

var scenarios = []Scenario{
	{"scan", "TCP SYN scan of ports 1-1024 at 1000/s with replies (22, 80, 443 open)", scan(ScanSYN)},
	{"scan-null", "TCP NULL scan of ports 1-1024 with RST replies from closed ports", scan(ScanNULL)},
	{"scan-fin", "TCP FIN scan of ports 1-1024 with RST replies from closed ports", scan(ScanFIN)},
	{"scan-xmas", "TCP Xmas (FIN+PSH+URG) scan of ports 1-1024 with RST replies", scan(ScanXmas)},
	{"scan-maimon", "TCP Maimon (FIN+ACK) scan of ports 1-1024 with RST replies", scan(ScanMaimon)},
	{"udpscan", "UDP scan of ports 1-200 with ICMP port unreachable from closed ports", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.UDPScan(ScanSpec{Src: l.attacker, Dst: l.victim, Ports: PortRange(1, 200), Rate: 500, Replies: true, Open: []uint16{53, 123}})
	}},
	{"pingsweep", "ICMP echo sweep of 126 hosts, every 10th answers", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.PingSweep(SweepSpec{Src: l.attacker, Dsts: l.hosts, Rate: 200, Replies: true, Alive: everyTenth(l.hosts)})
	}},
	{"tcpsweep", "TCP SYN sweep of port 22 over 126 hosts, every 10th answers", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.TCPSweep(SweepSpec{Src: l.attacker, Dsts: l.hosts, Rate: 200, Port: 22, Replies: true, Alive: everyTenth(l.hosts)})
	}},
	{"synflood", "5000 SYNs to port 443 from 400 spoofed CN/RU sources at 10000/s", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.Flood(FloodSpec{Kind: FloodSYN, Dst: l.victim, DstPort: 443, Sources: 400, Prefixes: []netip.Prefix{l.cn, l.ru}, Packets: 5000, Rate: 10000})
	}},
	{"udpflood", "5000 UDP datagrams (512 B) to port 80 from 400 spoofed CN/RU sources", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.Flood(FloodSpec{Kind: FloodUDP, Dst: l.victim, DstPort: 80, Sources: 400, Prefixes: []netip.Prefix{l.cn, l.ru}, Packets: 5000, Rate: 10000, Payload: 512})
	}},
	{"icmpflood", "5000 ICMP echo requests (512 B) from 400 spoofed CN/RU sources", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.Flood(FloodSpec{Kind: FloodICMP, Dst: l.victim, Sources: 400, Prefixes: []netip.Prefix{l.cn, l.ru}, Packets: 5000, Rate: 10000, Payload: 512})
	}},
	{"bruteforce", "30 complete SSH connections, one every 2 s, from one attacker", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.Bruteforce(BruteSpec{Src: l.attacker, Dst: l.victim, Attempts: 30})
	}},
	{"dnsamp", "400 unsolicited 3000-byte DNS responses from 40 RU reflectors, IP-fragmented", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.DNSAmplification(AmpSpec{Victim: l.victim, Reflectors: 40, Prefixes: []netip.Prefix{l.ru}, Responses: 400, Fragment: true, Rate: 200})
	}},
	{"benign", "8 web sessions, 10 DNS lookups, 5 pings, a 2 MB download", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.Benign(BenignSpec{Client: l.victim, Servers: []netip.Addr{l.server, l.server.Next()}, Resolver: l.resolver,
			WebSessions: 8, DNSQueries: 10, Pings: 5, Download: 2 << 20})
	}},
	{"upload", "one 10 MB upload from a DE host to a CN server on port 443", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return g.Upload(l.victim, l.attacker, 443, 10<<20, 0)
	}},
	{"mixed", "benign traffic with a SYN scan, a SYN flood, SSH brute force and DNS amplification", func(g *Gen, v6 bool) Stream {
		l := labPlan(v6)
		return Merge(
			g.Benign(BenignSpec{Client: l.victim, Servers: []netip.Addr{l.server}, Resolver: l.resolver, WebSessions: 20, DNSQueries: 20, Pings: 10}),
			g.TCPScan(ScanSpec{Src: l.attacker, Dst: l.victim, Ports: PortRange(1, 1024), At: time.Second, Rate: 1000, Flags: ScanSYN, Replies: true, Open: openPorts}),
			g.Flood(FloodSpec{Kind: FloodSYN, Dst: l.victim, DstPort: 443, Sources: 300, Prefixes: []netip.Prefix{l.cn, l.ru}, Packets: 2000, At: 3 * time.Second, Rate: 10000}),
			g.Bruteforce(BruteSpec{Src: l.attacker.Next(), Dst: l.victim, Attempts: 12, At: 2 * time.Second, Interval: time.Second}),
			g.DNSAmplification(AmpSpec{Victim: l.victim, Reflectors: 20, Prefixes: []netip.Prefix{l.ru}, Responses: 100, Fragment: true, At: 5 * time.Second, Rate: 200}),
		)
	}},
}

func everyTenth(hosts []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for i := 0; i < len(hosts); i += 10 {
		out = append(out, hosts[i])
	}
	return out
}

// Scenarios returns the ready-made scenarios in a stable order.
func Scenarios() []Scenario { return slices.Clone(scenarios) }

// Lookup returns the scenario called name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}
