package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/flow"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// The benchmarks run the default rule pack and the embedded DB-IP database
// with home DE over synth's benchmark mix (synth.BenchSource): the replay
// benchmarks end to end, the stage benchmarks one stage at a time over a
// decoded ring of the same mix. scripts/bench.sh turns them into a table.

type env struct {
	set   *rules.Set
	table *geo.Table
}

var benchEnv = sync.OnceValues(func() (env, error) {
	set, err := rules.Load(rules.Options{Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		return env{}, err
	}
	// The default table of the CLI: embedded location, registration and
	// ASN data.
	t, err := geo.OpenTable(geo.Paths{}, set.Zones)
	if err != nil {
		return env{}, err
	}
	return env{set, t}, nil
})

func loadEnv(tb testing.TB) env {
	tb.Helper()
	e, err := benchEnv()
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// encodeSink encodes every alert as EVE JSON into a reused buffer, as the
// file sinks do, and counts them.
type encodeSink struct {
	enc *alert.Encoder
	buf []byte
	n   int
}

func (s *encodeSink) Write(a *alert.Alert) error {
	var err error
	s.buf, err = s.enc.Append(s.buf[:0], a)
	s.n++
	return err
}

// cpuTime is the CPU time (user and system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBenchMixHome checks the address plan the mix documents: its home
// prefixes are DE in the embedded database, so the rules see inbound,
// outbound and internal traffic.
func TestBenchMixHome(t *testing.T) {
	e := loadEnv(t)
	for _, p := range synth.BenchHome {
		for _, a := range []netip.Addr{p.Addr(), p.Addr().Next()} {
			if in := e.table.Lookup(a); in.Country.String() != "DE" || !in.IsHome() {
				t.Errorf("%v: country %q, home %v; want DE, home", a, in.Country, in.IsHome())
			}
		}
	}
}

// TestBenchMixAlerts: the mix's attacks raise the alerts they stand for,
// once each (suppression holds), with the default limits, also when the
// spoofed flood is 92% of the traffic. The flood churns the per-source and
// per-pair rules' tables through many times, and a scanner's or brute
// forcer's key, touched all along, must survive it; once it alerted, it
// must not be evicted for the flood's one-packet keys and alert again as
// a new key. When the LRU order was kept only to within a second, the
// scanners' keys were evicted every ~100 ms and each alerted again (8100101
// fired 96 times on the first spec); with exact LRU and no preference for
// suppressed keys, the second spec gave 8100101 63 times.
func TestBenchMixAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("1.2 M packets through 1 and 2 workers; skipped with -short")
	}
	e := loadEnv(t)
	want := map[uint32]int{
		8100101: 16, // scans from 16 sources
		8100202: 1,  // ping sweep
		// spoofed SYN flood: the IPv4 victim, and the IPv6 one, whose eighth
		// of the flood stays below 10000 SYNs in 10 s but crosses the 1 s
		// burst of 5000
		8100302: 2,
		8100401: 8, // SSH brute force from 8 sources
		8100501: 2, // reflection
	}
	heavy := maps.Clone(want)
	heavy[8100301] = 1 // the flood is also a flood of any protocol
	heavy[8100302] = 2 // two windows of it
	heavy[8100501] = 1 // less room for reflection: one victim crosses
	for _, c := range []struct {
		spec synth.BenchSpec
		want map[uint32]int
	}{
		{synth.BenchSpec{Seed: 1, Packets: 600000}, want},
		{synth.BenchSpec{Seed: 1, Packets: 600000, Flood: 0.92, SpoofedSources: 1 << 19}, heavy},
	} {
		for _, workers := range []int{1, 2} {
			got := map[uint32]int{}
			p, err := pipeline.New(pipeline.Config{Workers: workers}, geo.NewHolder(e.table), e.set, pipeline.SinkFunc(func(a *alert.Alert) error {
				got[a.SignatureID]++
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Run(context.Background(), synth.NewBenchSource(c.spec)); err != nil {
				t.Fatal(err)
			}
			p.Close()
			if !maps.Equal(got, c.want) {
				t.Errorf("flood %.2f, workers=%d: alerts by rule %v, want %v", c.spec.Flood, workers, got, c.want)
			}
		}
	}
}

// mixAlerts replays packets of the mix with the given number of workers and
// returns every alert as encoded EVE JSON, sorted, and the pipeline's
// counters. The mix has 4096 spoofed flood sources and the flow table and
// the detectors room for every flow and key, so that neither the flow tables nor the detectors evict:
// their capacities are per worker, and what is evicted when one is full
// depends on how the traffic is split.
func mixAlerts(t *testing.T, e env, workers, packets int) ([]string, pipeline.Stats) {
	t.Helper()
	enc := alert.NewEncoder(alert.FormatEVE)
	var got []string
	fc := flow.DefaultConfig()
	fc.Capacity = 1 << 18
	dc := detect.Config{Limits: detect.Limits{MaxKeys: 1 << 16}}
	p, err := pipeline.New(pipeline.Config{Workers: workers, Flow: fc, Detect: dc}, geo.NewHolder(e.table), e.set, pipeline.SinkFunc(func(a *alert.Alert) error {
		b, err := enc.Append(nil, a)
		got = append(got, string(b))
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), synth.NewBenchSource(synth.BenchSpec{Seed: 3, Packets: packets, SpoofedSources: 4096})); err != nil {
		t.Fatal(err)
	}
	p.Close()
	st := p.Stats()
	if st.Flow.Evicted != 0 {
		t.Fatalf("workers %d: %d flows evicted", workers, st.Flow.Evicted)
	}
	for _, r := range st.Detect.Rules {
		if r.KeysEvicted != 0 || r.DistinctFull != 0 {
			t.Fatalf("workers %d: rule %d: %d keys evicted, %d distinct values not recorded", workers, r.ID, r.KeysEvicted, r.DistinctFull)
		}
	}
	slices.Sort(got)
	return got, st
}

// TestShardedAlertsMatchInline: the mix raises exactly the same alerts
// (every field, the statistics included) and the same counts with 2 and 3
// workers as with one, which runs everything on the reading goroutine.
// (With evictions, results may differ: see mixAlerts.)
func TestShardedAlertsMatchInline(t *testing.T) {
	e := loadEnv(t)
	const packets = 150000
	want, ws := mixAlerts(t, e, 1, packets)
	kinds := map[string]bool{}
	for k := range ws.Alerts {
		kinds[k] = true
	}
	if !kinds["scan"] || !kinds["flood"] || !kinds["bruteforce"] {
		t.Fatalf("the mix should raise scan, flood and bruteforce alerts; got %v", ws.Alerts)
	}
	for _, workers := range []int{2, 3} {
		got, gs := mixAlerts(t, e, workers, packets)
		if !slices.Equal(got, want) {
			for _, a := range want {
				if !slices.Contains(got, a) {
					t.Errorf("workers %d: missing %s", workers, a)
				}
			}
			for _, a := range got {
				if !slices.Contains(want, a) {
					t.Errorf("workers %d: extra %s", workers, a)
				}
			}
		}
		if gs.Packets != ws.Packets || gs.Bytes != ws.Bytes || gs.Countries != ws.Countries || gs.Detect.Packets < ws.Detect.Packets {
			t.Errorf("workers %d: packets %d, bytes %d, engine packets %d; one worker: %d, %d, %d (countries equal: %v)",
				workers, gs.Packets, gs.Bytes, gs.Detect.Packets, ws.Packets, ws.Bytes, ws.Detect.Packets, gs.Countries == ws.Countries)
		}
		for _, r := range ws.Detect.Rules {
			i := slices.IndexFunc(gs.Detect.Rules, func(x detect.RuleStats) bool { return x.ID == r.ID })
			if i < 0 || gs.Detect.Rules[i].Matched != r.Matched || gs.Detect.Rules[i].Alerts != r.Alerts || gs.Detect.Rules[i].Suppressed != r.Suppressed {
				t.Errorf("workers %d: rule %d counters differ from one worker's: %+v", workers, r.ID, r)
			}
		}
	}
}

// BenchmarkReplay runs b.N packets of the mix through the whole pipeline
// (generation, decode, routing, flow, geo, detect, alert encoding). Besides
// ns/op it reports pkts/s (wall clock) and cpu-ns/pkt (process CPU time per
// packet, all threads), whose inverse is packets per second per core.
func BenchmarkReplay(b *testing.B) {
	e := loadEnv(b)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			sink := &encodeSink{enc: alert.NewEncoder(alert.FormatEVE)}
			p, err := pipeline.New(pipeline.Config{Workers: workers}, geo.NewHolder(e.table), e.set, sink)
			if err != nil {
				b.Fatal(err)
			}
			src := synth.NewBenchSource(synth.BenchSpec{Seed: 1, Packets: b.N})
			// Collect the set-up's garbage now: a GC cycle (or idle mark
			// workers) started by it would run during the replay and be
			// counted in its CPU time.
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			c0, t0 := cpuTime(), time.Now()
			if err := p.Run(context.Background(), src); err != nil {
				b.Fatal(err)
			}
			wall, cpu := time.Since(t0), cpuTime()-c0
			b.StopTimer()
			p.Close()
			b.ReportMetric(float64(b.N)/wall.Seconds(), "pkts/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/pkt")
			b.ReportMetric(float64(sink.n), "alerts")
		})
	}
}

// ring is a decoded stretch of the mix for the stage benchmarks.
type ring struct {
	frames  [][]byte
	pkts    []decode.Packet
	results []flow.Result
	entries []flow.Entry
	src     []geo.Info
	dst     []geo.Info
	span    int64 // capture time covered by the ring
	first   *alert.Alert
}

const ringLen = 1 << 15

var infoSink geo.Info

var benchRing = sync.OnceValues(func() (*ring, error) {
	e, err := benchEnv()
	if err != nil {
		return nil, err
	}
	r := &ring{}
	src := synth.NewBenchSource(synth.BenchSpec{Seed: 2, Packets: ringLen})
	dec := decode.NewDecoder()
	ft := flow.New(flow.DefaultConfig())
	var (
		f capture.Frame
		p decode.Packet
	)
	for src.Next(&f) == nil {
		if dec.Decode(&f, &p) != decode.OK {
			continue
		}
		r.frames = append(r.frames, append([]byte(nil), f.Data...))
		r.pkts = append(r.pkts, p)
	}
	r.entries = make([]flow.Entry, len(r.pkts))
	for i := range r.pkts {
		res := ft.Update(&r.pkts[i])
		r.entries[i] = *res.Entry
		res.Entry = &r.entries[i]
		r.results = append(r.results, res)
		r.src = append(r.src, e.table.Lookup(r.pkts[i].Src))
		r.dst = append(r.dst, e.table.Lookup(r.pkts[i].Dst))
	}
	r.span = r.pkts[len(r.pkts)-1].Timestamp - r.pkts[0].Timestamp + int64(time.Microsecond)
	// A real alert of the mix, enriched, for the encoder.
	pl, err := pipeline.New(pipeline.Config{}, geo.NewHolder(e.table), e.set, pipeline.SinkFunc(func(a *alert.Alert) error {
		if r.first == nil || a.Kind == "flood" && r.first.Kind != "flood" {
			r.first = a
		}
		return nil
	}))
	if err != nil {
		return nil, err
	}
	if err := pl.Run(context.Background(), synth.NewBenchSource(synth.BenchSpec{Seed: 2, Packets: 500000})); err != nil {
		return nil, err
	}
	return r, nil
})

func loadRing(b *testing.B) *ring {
	b.Helper()
	r, err := benchRing()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkStage measures each stage alone, in ns per packet of the mix.
func BenchmarkStage(b *testing.B) {
	e := loadEnv(b)
	r := loadRing(b)
	n := len(r.pkts)
	b.Run("decode", func(b *testing.B) {
		dec := decode.NewDecoder()
		var (
			f = capture.Frame{Link: layers.LinkTypeEthernet}
			p decode.Packet
		)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			f.Data = r.frames[i]
			f.WireLen = uint32(len(f.Data))
			dec.Decode(&f, &p)
			if i++; i == n {
				i = 0
			}
		}
	})
	b.Run("flow", func(b *testing.B) {
		ft := flow.New(flow.DefaultConfig())
		b.ReportAllocs()
		i, lap := 0, int64(0)
		for b.Loop() {
			p := r.pkts[i]
			p.Timestamp += lap
			ft.Update(&p)
			if i++; i == n {
				i, lap = 0, lap+r.span
			}
		}
	})
	// geo: the two lookups of the worker, in the table it uses for the
	// default rules (location only); geo-full: in the merged table, as
	// before issue 19's follow-up (and as with rules needing registration
	// or AS data).
	for _, c := range []struct {
		name string
		t    *geo.Table
	}{{"geo", e.table.PerPacket(e.set.GeoNeeds())}, {"geo-full", e.table}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				infoSink = c.t.Lookup(r.pkts[i].Src)
				infoSink = c.t.Lookup(r.pkts[i].Dst)
				if i++; i == n {
					i = 0
				}
			}
		})
	}
	b.Run("detect", func(b *testing.B) {
		eng := detect.New(e.set.Rules, detect.Config{}, func(*alert.Alert, *geo.Info, *geo.Info) {})
		b.ReportAllocs()
		i, lap := 0, int64(0)
		// p is declared outside the loop: Process's pointer makes it
		// escape, and a copy per iteration was the benchmark's own
		// allocation (1 alloc/op), not the engine's.
		var p decode.Packet
		for b.Loop() {
			p = r.pkts[i]
			p.Timestamp += lap
			eng.Process(&p, r.results[i], &r.src[i], &r.dst[i])
			if i++; i == n {
				i, lap = 0, lap+r.span
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		if r.first == nil {
			b.Skip("the mix raised no alert")
		}
		enc := alert.NewEncoder(alert.FormatEVE)
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = enc.Append(buf[:0], r.first); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(buf)), "bytes/alert")
	})
}
