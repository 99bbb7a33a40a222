package pipeline

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// TestLookupReuse: a worker's lookups of a packet's addresses (process),
// which reuse the last packet's for an address it shares, are the table's
// lookups of both addresses, whatever the two packets share (source,
// destination, either crossed, both, neither, the zero Addr), also right
// after the geo table changed under the worker (a reload between
// batches).
func TestLookupReuse(t *testing.T) {
	set := scanRule(t, 9000014, 5)
	h := labHolder(t, set)
	lab := h.Load()
	other, err := geo.OpenTable(geo.Paths{}, set.Zones)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{}, h, set, SinkFunc(func(*alert.Alert) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	w := p.workers[0]
	pool := []netip.Addr{{}, netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("192.0.2.10"),
		netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("::ffff:198.51.100.7"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("8.8.8.8")}
	differ := false
	for _, a := range pool {
		differ = differ || lab.PerPacket(set.GeoNeeds()).Lookup(a) != other.PerPacket(set.GeoNeeds()).Lookup(a)
	}
	if !differ {
		t.Fatal("the two tables give the same lookups: a switch would go unnoticed")
	}
	r := rand.New(rand.NewPCG(3, 4))
	w.sync()
	for i := range 50000 {
		if i%100 == 99 {
			if h.Load() == lab {
				h.Swap(other)
			} else {
				h.Swap(lab)
			}
			w.sync()
		}
		s, d := pool[r.IntN(len(pool))], pool[r.IntN(len(pool))]
		w.process(&decode.Packet{Timestamp: int64(i) * 1e6, Src: s, Dst: d, SrcPort: 1000, DstPort: 80,
			Proto: decode.ProtoTCP, TCPFlags: decode.FlagSYN, IPLen: 40, WireLen: 54}, ownBoth)
		if ws, wd := w.hot.Lookup(s), w.hot.Lookup(d); w.src != ws || w.dst != wd || w.srcIP != s || w.dstIP != d {
			t.Fatalf("packet %d, %v -> %v: lookups %+v, %+v of %v, %v; want %+v, %+v", i, s, d, w.src, w.dst, w.srcIP, w.dstIP, ws, wd)
		}
	}
}
