package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// benchRules is a small rule pack with one rule of every kind.
func benchRules(b *testing.B) []*rules.Rule {
	list, errs := rules.ParseList("bad", "bench", []byte("203.0.113.66\n"), rules.FormatPlain)
	if len(errs) != 0 {
		b.Fatal(errs)
	}
	return []*rules.Rule{
		scanRule(),
		{ID: 2001, Kind: rules.KindSweep, Protos: rules.ProtoICMP, ICMPTypes: []uint8{8},
			Threshold: rules.Threshold{Count: 25, Window: 30 * time.Second, Distinct: rules.DistinctDstIP}},
		floodRule(),
		{ID: 4001, Kind: rules.KindBruteforce, Protos: rules.ProtoTCP, DstPorts: ports(22),
			Threshold: rules.Threshold{Count: 10, Window: 60 * time.Second}},
		ampRule(),
		{ID: 6001, Kind: rules.KindReputation, List: list, ListSide: rules.SideSrc},
		{ID: 7001, Kind: rules.KindPolicy, From: expr(b, "home"), To: expr(b, "RU")},
		{ID: 8001, Kind: rules.KindVolume, From: expr(b, "home"), To: expr(b, "RU"),
			Threshold: rules.Threshold{Bytes: 1 << 40, Window: 60 * time.Second}},
	}
}

func benchEngine(b *testing.B) *Engine {
	alerts := 0
	return New(benchRules(b), Config{}, func(*alert.Alert, *geo.Info, *geo.Info) { alerts++ })
}

// BenchmarkProcessNoMatch: an established-flow ACK from a home host to a FR
// host, which no rule counts.
func BenchmarkProcessNoMatch(b *testing.B) {
	eng := benchEngine(b)
	tab := lab(b)
	p := tcpPkt(0, home, frHost, 40000, 443, decode.FlagACK)
	src, dst := tab.Lookup(p.Src), tab.Lookup(p.Dst)
	fl := flow.New(flow.Config{Capacity: 1024})
	f := fl.Update(p)
	f.IsNew = false
	b.ReportAllocs()
	for b.Loop() {
		p.Timestamp += int64(time.Microsecond)
		eng.Process(p, f, &src, &dst)
	}
	if eng.Stats().Alerts != 0 {
		b.Fatal("alerted")
	}
}

// BenchmarkProcessScan: SYN probes from 4096 sources cycling over 16 ports
// (below the threshold), counted by the scan rule.
func BenchmarkProcessScan(b *testing.B) {
	eng := benchEngine(b)
	tab := lab(b)
	p := tcpPkt(0, cnHost, home, 40000, 1, synOnly)
	src, dst := tab.Lookup(p.Src), tab.Lookup(p.Dst)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		p.Timestamp += int64(time.Microsecond)
		p.Src = netip.AddrFrom4([4]byte{198, 51, byte(i >> 4 & 0xff), byte(i >> 12 & 0x0f)})
		p.DstPort = uint16(i & 15)
		eng.Process(p, flow.Result{}, &src, &dst)
	}
}

// BenchmarkProcessFlood: spoofed SYNs to one victim, counted by the flood
// rule (and, per source, by the scan rule), with an alert at most once a
// minute.
func BenchmarkProcessFlood(b *testing.B) {
	eng := benchEngine(b)
	tab := lab(b)
	p := tcpPkt(0, cnHost, home, 40000, 80, synOnly)
	src, dst := tab.Lookup(p.Src), tab.Lookup(p.Dst)
	b.ReportAllocs()
	i := uint32(0)
	for b.Loop() {
		i++
		p.Timestamp += int64(time.Millisecond)
		p.Src = spoofedV6(i)
		p.SrcPort = uint16(i)
		eng.Process(p, flow.Result{}, &src, &dst)
	}
}
