package geo_test

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"testing"

	"github.com/oschwald/geoip2-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/borderwatch/borderwatch/geo"
)

// benchAddrs returns n pseudo-random addresses (fixed seed) of one family that
// the embedded database has (hit) or does not have (miss).
func benchAddrs(b *testing.B, tb *geo.Table, v4, hit bool, n int) []netip.Addr {
	r := rand.New(rand.NewPCG(1, 2))
	var out []netip.Addr
	for len(out) < n {
		var a netip.Addr
		if v4 {
			a = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
		} else {
			var x [16]byte
			x[0], x[1] = 0x20|byte(r.IntN(16))&0x0f, byte(r.Uint32()) // 2000::/4
			if !hit {
				x[0] = 0x3f // 3f00::/8 is unallocated
			}
			for i := 2; i < 16; i++ {
				x[i] = byte(r.Uint32())
			}
			a = netip.AddrFrom16(x)
		}
		in := tb.Lookup(a)
		if (in.Flags&geo.FlagFound != 0) == hit {
			out = append(out, a)
		}
	}
	return out
}

var sink geo.Info

// lookupLoop looks addrs up in turn (len(addrs) a power of two) and reports,
// next to the wall-clock ns/op, the CPU time of the benchmark's thread per
// lookup (cpu-ns/op, Linux only): on a machine shared by several loaded
// processes the wall clock also counts the time the thread waited for a core,
// which dwarfs a lookup; compare cpu-ns/op there.
func lookupLoop(b *testing.B, tb *geo.Table, addrs []netip.Addr) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	mask := len(addrs) - 1
	t0, ok := threadCPU()
	i := 0
	for b.Loop() {
		sink = tb.Lookup(addrs[i&mask])
		i++
	}
	if t1, _ := threadCPU(); ok {
		b.ReportMetric(float64(t1-t0)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkLookup(b *testing.B) {
	tb := buildEmbedded(b, geo.Config{Home: []string{"DE"}})
	for _, c := range []struct {
		name    string
		v4, hit bool
	}{{"v4-hit", true, true}, {"v4-miss", true, false}, {"v6-hit", false, true}, {"v6-miss", false, false}} {
		addrs := benchAddrs(b, tb, c.v4, c.hit, 4096)
		b.Run(c.name, func(b *testing.B) { lookupLoop(b, tb, addrs) })
	}
}

// BenchmarkLookupLayers is BenchmarkLookup on the default table of all three
// embedded tables (location, registration, ASN merged into one range table),
// on the same kind of addresses; compare the two interleaved:
// go test -run - -bench 'Lookup(Layers)?$' -count 5 ./geo/
func BenchmarkLookupLayers(b *testing.B) {
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		b.Fatal(err)
	}
	tb, err := geo.OpenTable(geo.Paths{}, z)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		v4, hit bool
	}{{"v4-hit", true, true}, {"v4-miss", true, false}, {"v6-hit", false, true}, {"v6-miss", false, false}} {
		addrs := benchAddrs(b, tb, c.v4, c.hit, 4096)
		b.Run(c.name, func(b *testing.B) { lookupLoop(b, tb, addrs) })
	}
}

// BenchmarkOpenTable is the start-up cost of the default table: decoding
// the three embedded tables and building the merged range table.
func BenchmarkOpenTable(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := geo.OpenTable(geo.Paths{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGeoIP2 looks the same addresses up in the same (embedded) database
// the way geoip2-golang would, for the speed ratio. geoip2.Reader refuses the
// flat schema's database_type, so "geoip2-" decodes into geoip2.Country through
// the maxminddb reader it wraps, and "maxminddb-" decodes country_code alone.
func BenchmarkGeoIP2(b *testing.B) {
	tb := buildEmbedded(b, geo.Config{})
	data, err := os.ReadFile("data/dbip-country.mmdb")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := maxminddb.OpenBytes(data)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		v4, hit bool
	}{{"v4-hit", true, true}, {"v4-miss", true, false}, {"v6-hit", false, true}, {"v6-miss", false, false}} {
		addrs := benchAddrs(b, tb, c.v4, c.hit, 4096)
		b.Run("maxminddb-"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			var code string
			for b.Loop() {
				_ = raw.Lookup(addrs[i&4095]).DecodePath(&code, "country_code")
				i++
			}
		})
		b.Run("geoip2-"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			var rec geoip2.Country
			for b.Loop() {
				_ = raw.Lookup(addrs[i&4095]).Decode(&rec)
				i++
			}
		})
	}
}

// BenchmarkGeoIP2Country compares with geoip2-golang's Country on a GeoIP2-schema
// database (the MaxMind GeoIP2-Country test database) on the same addresses.
func BenchmarkGeoIP2Country(b *testing.B) {
	path := testData(b, "GeoIP2-Country-Test.mmdb")
	g, err := geoip2.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	db, err := geo.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	tb, err := geo.Build(db, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	var addrs []netip.Addr
	raw, err := maxminddb.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for res := range raw.Networks() {
		addrs = append(addrs, res.Prefix().Addr())
	}
	b.Run("geo", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sink = tb.Lookup(addrs[i%len(addrs)])
			i++
		}
	})
	b.Run("geoip2", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, _ = g.Country(addrs[i%len(addrs)])
			i++
		}
	})
}

var matchSink bool

func BenchmarkExprMatch(b *testing.B) {
	tb := labTable(b, labCfg, false)
	e, err := tb.Zones().Compile([]string{"!home", "EU", "hostile", "203.0.113.0/24", "2001:db8:2::/48", "AS64999", "!FR"})
	if err != nil {
		b.Fatal(err)
	}
	addrs := []netip.Addr{netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("192.0.2.200"), netip.MustParseAddr("2001:db8:2::9"), netip.MustParseAddr("8.8.8.8")}
	infos := make([]geo.Info, len(addrs))
	for i, a := range addrs {
		infos[i] = tb.Lookup(a)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		matchSink = e.Match(addrs[i&3], &infos[i&3], geo.BasisEither)
		i++
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tb := labTable(t, labCfg, true)
	e, err := tb.Zones().Compile([]string{"EU", "!home", "2001:db8::/32", "AS64502"})
	if err != nil {
		t.Fatal(err)
	}
	a4, a6, m := netip.MustParseAddr("192.0.2.129"), netip.MustParseAddr("2001:db8:2::1"), netip.MustParseAddr("::ffff:192.0.2.1")
	n := testing.AllocsPerRun(100, func() {
		for _, a := range []netip.Addr{a4, a6, m} {
			in := tb.Lookup(a)
			matchSink = e.Match(a, &in, geo.BasisEither)
		}
	})
	if n != 0 {
		t.Errorf("Lookup+Match allocate %v times per run", n)
	}
}

// BenchmarkLookupCold looks up 1M pseudo-random addresses (fixed seed) per
// family in turn on the default table (location, registration and ASN
// merged), as a spoofed flood with random sources does: unlike
// BenchmarkLookupLayers' 4096 addresses, whose ranges and index entries stay
// in the cache, nearly every lookup here misses it. Compare the figures of
// two layouts interleaved:
// go test -run - -bench 'LookupCold' -count 5 ./geo/
func BenchmarkLookupCold(b *testing.B) {
	tb, err := geo.OpenTable(geo.Paths{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1 << 20
	r := rand.New(rand.NewPCG(3, 4))
	v4 := make([]netip.Addr, n)
	v6 := make([]netip.Addr, n)
	for i := range n {
		v4[i] = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
		var x [16]byte
		for j := range x {
			x[j] = byte(r.Uint32())
		}
		x[0] = 0x20 | x[0]&0x0f // 2000::/4, where the allocated space is
		v6[i] = netip.AddrFrom16(x)
	}
	b.Run("v4", func(b *testing.B) { lookupLoop(b, tb, v4) })
	b.Run("v6", func(b *testing.B) { lookupLoop(b, tb, v6) })
	// The table the per-packet path uses for rules that need neither
	// registration nor AS data (the default pack): the location-only one.
	pp := tb.PerPacket(geo.Needs{})
	b.Run("perpacket/v4", func(b *testing.B) { lookupLoop(b, pp, v4) })
	b.Run("perpacket/v6", func(b *testing.B) { lookupLoop(b, pp, v6) })
}
