package detect

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

const sec = int64(time.Second)

// Lab addresses (geotest.LabEntries, home DE): 192.0.2.0/25 DE, 192.0.2.128/25
// FR, 198.51.100.0/24 CN, 203.0.113.0/24 RU.
var (
	home    = netip.MustParseAddr("192.0.2.10")   // DE, home
	home2   = netip.MustParseAddr("192.0.2.20")   // DE, home
	cnHost  = netip.MustParseAddr("198.51.100.7") // CN
	ruHost  = netip.MustParseAddr("203.0.113.5")  // RU
	frHost  = netip.MustParseAddr("192.0.2.200")  // FR
	labOnce sync.Once
	labTab  *geo.Table
	labErr  error
)

func lab(t testing.TB) *geo.Table {
	t.Helper()
	labOnce.Do(func() {
		db, err := geo.OpenBytes("lab", geotest.Lab())
		if err != nil {
			labErr = err
			return
		}
		z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
		if err != nil {
			labErr = err
			return
		}
		labTab, labErr = geo.Build(db, nil, z)
	})
	if labErr != nil {
		t.Fatalf("building the lab geo table: %v", labErr)
	}
	return labTab
}

func expr(t testing.TB, terms ...string) *geo.Expr {
	t.Helper()
	e, err := lab(t).Zones().Compile(terms)
	if err != nil {
		t.Fatalf("compiling %v: %v", terms, err)
	}
	return e
}

// harness runs packets through a flow table, geo lookups and an engine,
// collecting alerts.
type harness struct {
	t      testing.TB
	tab    *geo.Table
	flows  *flow.Table
	eng    *Engine
	alerts []*alert.Alert
	infos  [][2]geo.Info
}

func newHarness(t testing.TB, rs []*rules.Rule, cfg Config) *harness {
	h := &harness{t: t, tab: lab(t), flows: flow.New(flow.Config{Capacity: 1 << 12})}
	h.eng = New(rs, cfg, func(a *alert.Alert, src, dst *geo.Info) {
		h.alerts = append(h.alerts, a)
		h.infos = append(h.infos, [2]geo.Info{*src, *dst})
	})
	return h
}

func (h *harness) feed(ps ...*decode.Packet) {
	for _, p := range ps {
		r := h.flows.Update(p)
		s, d := h.tab.Lookup(p.Src), h.tab.Lookup(p.Dst)
		h.eng.Process(p, r, &s, &d)
	}
}

func tcpPkt(ts int64, src, dst netip.Addr, sp, dp uint16, flags uint8) *decode.Packet {
	return &decode.Packet{Timestamp: ts, Src: src, Dst: dst, SrcPort: sp, DstPort: dp,
		Proto: decode.ProtoTCP, TCPFlags: flags, IPLen: 60, WireLen: 74}
}

// withData gives p n bytes of transport payload.
func withData(p *decode.Packet, n uint32) *decode.Packet {
	p.PayloadLen = n
	p.IPLen += n
	return p
}

func udpPkt(ts int64, src, dst netip.Addr, sp, dp uint16, n uint32) *decode.Packet {
	return &decode.Packet{Timestamp: ts, Src: src, Dst: dst, SrcPort: sp, DstPort: dp,
		Proto: decode.ProtoUDP, IPLen: n, WireLen: n + 14}
}

func icmpPkt(ts int64, src, dst netip.Addr, typ uint8, id uint16) *decode.Packet {
	return &decode.Packet{Timestamp: ts, Src: src, Dst: dst, SrcPort: id,
		Proto: decode.ProtoICMP, ICMPType: typ, IPLen: 84, WireLen: 98}
}

func ports(ps ...uint16) *rules.PortSet {
	s := new(rules.PortSet)
	for _, p := range ps {
		s.Add(p)
	}
	return s
}

// v4 returns the IPv4 address a.b.c.d.
func v4(a, b, c, d int) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a), byte(b), byte(c), byte(d)})
}

// spoofedV6 returns a distinct address in 2001:db8:1::/48 (CN in the lab
// database) for each i.
func spoofedV6(i uint32) netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0,
		byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
}

const (
	synOnly = decode.FlagSYN
	synAck  = decode.FlagSYN | decode.FlagACK
)

var synNoAck = []rules.FlagMatch{{Mask: decode.FlagSYN | decode.FlagACK, Value: decode.FlagSYN}}
