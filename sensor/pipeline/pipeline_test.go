package pipeline

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/detect"
)

// chanSource is a live-like source fed by a test: Next blocks until a frame
// arrives or Close.
type chanSource struct {
	name   string
	frames chan synth.Packet
	done   chan struct{}
	once   sync.Once
	n      atomic.Uint64
	idle   time.Duration // > 0: Next returns ErrIdle after idle without a frame
	// maxIdle > 0 bounds the ErrIdle returns; after them Next waits for a
	// frame or Close.
	maxIdle, idles int
}

func newChanSource(name string) *chanSource {
	return &chanSource{name: name, frames: make(chan synth.Packet, 64), done: make(chan struct{})}
}

func (s *chanSource) Next(f *capture.Frame) error {
	var idle <-chan time.Time
	if s.idle > 0 && (s.maxIdle == 0 || s.idles < s.maxIdle) {
		t := time.NewTimer(s.idle)
		defer t.Stop()
		idle = t.C
	}
	select {
	case <-idle:
		s.idles++
		return capture.ErrIdle
	case p := <-s.frames:
		f.Data, f.Timestamp, f.WireLen, f.Link = p.Data, p.Time.UnixNano(), uint32(len(p.Data)), layers.LinkTypeEthernet
		s.n.Add(1)
		return nil
	case <-s.done:
		return capture.ErrClosed
	}
}
func (s *chanSource) Name() string { return s.name }
func (s *chanSource) Stats() capture.Stats {
	return capture.Stats{Frames: s.n.Load()}
}
func (s *chanSource) Close() error { s.once.Do(func() { close(s.done) }); return nil }

// scanRule is a test rule: id fires at count distinct ports per pair.
func scanRule(t *testing.T, id, count int) *rules.Set {
	t.Helper()
	src := "rules:\n  - id: " + itoa(id) + "\n    name: test scan " + itoa(id) + "\n    kind: scan\n    from: \"!home\"\n    to: home\n" +
		"    protocol: tcp\n    threshold: {count: " + itoa(count) + ", window: 5m, track: pair, distinct: dst_port}\n" +
		"    suppress: 1h\n    severity: 2\n    category: Attempted Information Leak\n"
	return loadRules(t, src)
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func labHolder(t *testing.T, set *rules.Set) *geo.Holder {
	t.Helper()
	db, err := geo.OpenBytes("lab", geotest.Lab())
	if err != nil {
		t.Fatal(err)
	}
	tab, err := geo.Build(db, nil, set.Zones)
	if err != nil {
		t.Fatal(err)
	}
	return geo.NewHolder(tab)
}

// syns returns SYN probes from 198.51.100.7 (CN) to ports of 192.0.2.10 (DE),
// stamped now (live capture time).
func syns(from, to uint16) synth.Stream {
	g := synth.New(synth.Options{Seed: uint64(from), Start: time.Now()})
	return g.TCPScan(synth.ScanSpec{Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("192.0.2.10"),
		Ports: synth.PortRange(from, to), Rate: 1e6, Flags: synth.ScanSYN})
}

// waitFor polls cond until it holds; the bound only keeps a broken build
// from hanging.
// replay runs p over the capture file data, named name, to its end.
func replay(t *testing.T, p *Pipeline, name string, data []byte) {
	t.Helper()
	src, err := capture.OpenReader(name, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

func TestLiveSetRules(t *testing.T) {
	setA := scanRule(t, 9000001, 100) // does not fire on 20 ports
	setB := scanRule(t, 9000002, 5)
	var mu sync.Mutex
	var got []*alert.Alert
	p, err := New(Config{Workers: 2, Live: true, IdleAdvance: 50 * time.Millisecond}, labHolder(t, setA), setA, SinkFunc(func(a *alert.Alert) error {
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	src := newChanSource("test0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.RunSources(ctx, src) }()

	for _, pk := range syns(1, 10) {
		src.frames <- pk
	}
	waitFor(t, "10 packets processed", func() bool { return p.Stats().Packets == 10 })
	if err := p.SetRules(setB); err != nil {
		t.Fatal(err)
	}
	for _, pk := range syns(11, 20) {
		src.frames <- pk
	}
	waitFor(t, "an alert", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunSources: %v", err)
	}
	p.Close()

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].SignatureID != 9000002 || got[0].Src.CountryISO != "CN" || got[0].GeoDir != "inbound" {
		t.Fatalf("want one inbound alert of rule 9000002 from CN, got %d: %+v", len(got), got)
	}
	s := p.Stats()
	cn, _ := geo.ParseCountry("CN")
	if s.Countries[geo.DirInbound][cn] != 20 || s.Packets != 20 {
		t.Errorf("packets %d, inbound from CN %d; want 20 and 20", s.Packets, s.Countries[geo.DirInbound][cn])
	}
	if len(s.Sources) != 1 || s.Sources[0].Name != "test0" || s.Capture.Frames != 20 {
		t.Errorf("sources %+v, capture %+v", s.Sources, s.Capture)
	}
	if s.AlertsByRule[9000002] != 1 || s.RulesLoaded != 1 || p.Rules() != setB {
		t.Errorf("alerts by rule %v, rules loaded %d", s.AlertsByRule, s.RulesLoaded)
	}
}

// TestIdleLinkShowsExactDecodeCounts: the live readers publish their
// decode counters every 64 frames; a source that reports idleness makes
// them publish the rest, so that on an idle link every decode counter is
// exact (delivered and skipped by reason) and they add up to the capture
// counters.
func TestIdleLinkShowsExactDecodeCounts(t *testing.T) {
	set := scanRule(t, 9000004, 100)
	p, err := New(Config{Workers: 2, Live: true}, labHolder(t, set), set, SinkFunc(func(*alert.Alert) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	// One idle report after the frames: the reader then publishes at its
	// 64th frame or idle report only, which never comes.
	src := newChanSource("idle0")
	src.idle, src.maxIdle = 20*time.Millisecond, 1
	// 15 frames, fewer than 64: 10 SYNs, 3 ARP frames (non-IP) and 2 SYNs
	// cut inside their IPv4 header (truncated).
	pkts := syns(1, 12)
	arp := synth.Packet{Time: pkts[0].Time, Data: append(append([]byte(nil), pkts[0].Data[:12]...), 0x08, 0x06)}
	arp.Data = append(arp.Data, make([]byte, 28)...)
	for _, pk := range pkts[:10] {
		src.frames <- pk
	}
	for range 3 {
		src.frames <- arp
	}
	for _, pk := range pkts[10:] {
		pk.Data = pk.Data[:14+10]
		src.frames <- pk
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.RunSources(ctx, src) }()
	want := decode.Stats{Decoded: 10, NonIP: 3, Truncated: 2}
	waitFor(t, "the decode counters of 15 frames published while the link is idle", func() bool {
		select {
		case err := <-done:
			t.Fatalf("RunSources ended while the source was open: %v", err)
		default:
		}
		s := p.Stats()
		return s.Capture.Frames == 15 && s.Decode.Decoded+s.Decode.Skipped() == 15 && s.Packets == 10
	})
	// Nothing more comes: the counters published are the exact ones.
	if s := p.Stats(); s.Decode != want {
		t.Errorf("decode %+v; want %+v", s.Decode, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestMultipleSourcesAndIdleAdvance(t *testing.T) {
	set := scanRule(t, 9000003, 15)
	p, err := New(Config{Workers: 3, Live: true, IdleAdvance: 20 * time.Millisecond}, labHolder(t, set), set, SinkFunc(func(*alert.Alert) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	a, b := newChanSource("a"), newChanSource("b")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.RunSources(ctx, a, b) }()
	// Old capture times: the idle ticker (wall clock) is far past them and
	// must expire the flows and detector keys.
	g := synth.New(synth.Options{Seed: 3})
	old := g.TCPScan(synth.ScanSpec{Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("192.0.2.10"),
		Ports: synth.PortRange(1, 6), Flags: synth.ScanSYN})
	for i, pk := range old {
		if i%2 == 0 {
			a.frames <- pk
		} else {
			b.frames <- pk
		}
	}
	waitFor(t, "6 packets", func() bool { return p.Stats().Packets == 6 })
	// Each worker owning an endpoint tracks the 6 flows.
	flows := uint64(6)
	if detect.Shard(netip.MustParseAddr("198.51.100.7"), 3) != detect.Shard(netip.MustParseAddr("192.0.2.10"), 3) {
		flows = 12
	}
	waitFor(t, "idle expiry", func() bool {
		s := p.Stats()
		return s.Flow.Flows == 0 && s.Flow.Expired == flows && s.Detect.Rules[0].Keys == 0
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if len(s.Sources) != 2 || s.Sources[0].Frames != 3 || s.Sources[1].Frames != 3 || s.Capture.Frames != 6 {
		t.Errorf("sources %+v", s.Sources)
	}
}

func TestReplayCountsEachPacketOnce(t *testing.T) {
	set := scanRule(t, 9000004, 15)
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, syns(1, 40)); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 4} {
		p, err := New(Config{Workers: workers}, labHolder(t, set), set, SinkFunc(func(*alert.Alert) error { return nil }))
		if err != nil {
			t.Fatal(err)
		}
		replay(t, p, "scan", buf.Bytes())
		p.Close()
		s := p.Stats()
		cn, _ := geo.ParseCountry("CN")
		tot := s.CountryTotals()
		if s.Packets != 40 || tot[cn] != 40 || s.Alerts["scan"] != 1 {
			t.Errorf("workers %d: packets %d, CN %d, alerts %v; want 40, 40, scan 1", workers, s.Packets, tot[cn], s.Alerts)
		}
	}
}

// ifaceSource is a chanSource whose frames come from its interface idx,
// named names[idx].
type ifaceSource struct {
	*chanSource
	names []string
	idx   uint16
}

func (s *ifaceSource) Next(f *capture.Frame) error {
	err := s.chanSource.Next(f)
	f.Iface = s.idx
	return err
}

func (s *ifaceSource) InterfaceName(i uint16) string {
	if int(i) < len(s.names) {
		return s.names[i]
	}
	return ""
}

// TestAlertOriginLive checks a live alert names the sensor and the capture
// interface of the packet that fired, with one worker and with several.
func TestAlertOriginLive(t *testing.T) {
	set := scanRule(t, 9000006, 5)
	for _, workers := range []int{1, 3} {
		var mu sync.Mutex
		var got []*alert.Alert
		p, err := New(Config{Workers: workers, Live: true, SensorName: "gw-test"}, labHolder(t, set), set,
			SinkFunc(func(a *alert.Alert) error { mu.Lock(); got = append(got, a); mu.Unlock(); return nil }))
		if err != nil {
			t.Fatal(err)
		}
		src := &ifaceSource{chanSource: newChanSource("afpacket:test"), names: []string{"wan0", "wan1"}, idx: 1}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.RunSources(ctx, src) }()
		for _, pk := range syns(1, 10) {
			src.frames <- pk
		}
		waitFor(t, "an alert", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		if len(got) != 1 || got[0].Iface != "wan1" || got[0].Host != "gw-test" || got[0].PcapFile != "" {
			t.Errorf("workers %d: want one alert from wan1 of gw-test, got %d: %+v", workers, len(got), got)
		}
		mu.Unlock()
	}
}

// TestAlertOriginReplay checks a replayed alert names the capture file and,
// by default, the host.
func TestAlertOriginReplay(t *testing.T) {
	set := scanRule(t, 9000007, 15)
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, syns(1, 40)); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 4} {
		var got []*alert.Alert
		p, err := New(Config{Workers: workers}, labHolder(t, set), set, SinkFunc(func(a *alert.Alert) error { got = append(got, a); return nil }))
		if err != nil {
			t.Fatal(err)
		}
		replay(t, p, "captures/scan.pcap", buf.Bytes())
		p.Close()
		if len(got) != 1 || got[0].PcapFile != "captures/scan.pcap" || got[0].Iface != "" || got[0].Host != alert.DefaultSensorName() {
			t.Errorf("workers %d: want one alert from captures/scan.pcap on host %q, got %d: %+v", workers, alert.DefaultSensorName(), len(got), got)
		}
	}
}

// TestInterruptedReplayCountsExact: a replay interrupted mid-file (the sink
// ends the context at the first alert, as SIGINT does) stops with
// context.Canceled, and its counters are exact: the frames and bytes the
// file source read (which it publishes in batches) are those decoded, and
// the bytes are the wire lengths of exactly the frames read.
func TestInterruptedReplayCountsExact(t *testing.T) {
	set := scanRule(t, 9000012, 5)
	stream := syns(1, 60000)
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, stream); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		ctx, cancel := context.WithCancel(context.Background())
		p, err := New(Config{Workers: workers}, labHolder(t, set), set, SinkFunc(func(*alert.Alert) error { cancel(); return nil }))
		if err != nil {
			t.Fatal(err)
		}
		src, err := capture.OpenReader("scan.pcap", bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Run(ctx, src); !errors.Is(err, context.Canceled) {
			t.Fatalf("workers %d: Run: %v, want context.Canceled", workers, err)
		}
		cancel()
		p.Close()
		s := p.Stats()
		read := s.Capture.Frames
		if read == 0 || read >= uint64(len(stream)) {
			t.Fatalf("workers %d: %d of %d frames read: not interrupted mid-file", workers, read, len(stream))
		}
		var want uint64
		for _, pk := range stream[:read] {
			want += uint64(len(pk.Data))
		}
		if got := s.Decode.Decoded + s.Decode.Skipped(); got != read || s.Capture.Bytes != want || s.Packets != read {
			t.Errorf("workers %d: capture %d frames %d bytes, decoded+skipped %d, packets %d; want %d frames of %d bytes throughout",
				workers, read, s.Capture.Bytes, got, s.Packets, read, want)
		}
	}
}
