package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// slowSource is a source a test feeds frame by frame; Next blocks meanwhile.
type slowSource struct {
	frames chan synth.Packet
	done   chan struct{}
	once   sync.Once
	n      atomic.Uint64
}

func newSlowSource() *slowSource {
	return &slowSource{frames: make(chan synth.Packet, 64), done: make(chan struct{})}
}

func (s *slowSource) Next(f *capture.Frame) error {
	select {
	case p := <-s.frames:
		f.Data, f.Timestamp, f.WireLen, f.Link = p.Data, p.Time.UnixNano(), uint32(len(p.Data)), layers.LinkTypeEthernet
		s.n.Add(1)
		return nil
	case <-s.done:
		return capture.ErrClosed
	}
}
func (s *slowSource) Name() string         { return "slow" }
func (s *slowSource) Stats() capture.Stats { return capture.Stats{Frames: s.n.Load()} }
func (s *slowSource) Close() error         { s.once.Do(func() { close(s.done) }); return nil }

// labSyns are SYN probes from 198.51.100.7 (CN in the lab database) to
// ports from..to of 192.0.2.10 (DE), stamped now.
func labSyns(from, to uint16) synth.Stream {
	g := synth.New(synth.Options{Seed: uint64(from), Start: time.Now()})
	return g.TCPScan(synth.ScanSpec{Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("192.0.2.10"),
		Ports: synth.PortRange(from, to), Rate: 1e6, Flags: synth.ScanSYN})
}

func testRule(id, count int) string {
	return fmt.Sprintf(`rules:
  - id: %d
    name: test scan %d
    kind: scan
    from: "!home"
    to: home
    protocol: tcp
    threshold: {count: %d, window: 5m, track: pair, distinct: dst_port}
    suppress: 1h
    severity: 2
    category: Attempted Information Leak
`, id, id, count)
}

// eventually polls cond; the bound only keeps a broken build from hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReloadKeepsStateOnBadRules: a running live pipeline gets a bad rules
// file (state unchanged, error logged with file:line), then a good one whose
// new rule fires.
func TestReloadKeepsStateOnBadRules(t *testing.T) {
	dir := t.TempDir()
	labDB := filepath.Join(dir, "lab.mmdb")
	if err := os.WriteFile(labDB, geotest.Lab(), 0o644); err != nil {
		t.Fatal(err)
	}
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(testRule(9100001, 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, logs, set, table := labApp(t, labDB, rulesPath)
	var mu sync.Mutex
	var got []*alert.Alert
	p, err := pipeline.New(pipeline.Config{Workers: 2, Live: true}, geo.NewHolder(table), set, pipeline.SinkFunc(func(al *alert.Alert) error {
		mu.Lock()
		got = append(got, al)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	reloads := &metrics.Reloads{}
	rl := newReloader(a, nil, p, nil, reloads)
	src := newSlowSource()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.RunSources(ctx, src) }()
	for _, pk := range labSyns(1, 10) {
		src.frames <- pk
	}
	eventually(t, "10 packets", func() bool { return p.Stats().Packets == 10 })

	bad := strings.Replace(testRule(9100002, 5), "    severity: 2\n", "    severity: 2\n    severty: 3\n", 1)
	if err := os.WriteFile(rulesPath, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = rl.Reload()
	if ok, failed := reloads.Counts(); ok != 0 || failed != 1 {
		t.Errorf("reloads ok %d failed %d after the bad file", ok, failed)
	}
	if p.Rules() != set || p.Geo().Load() != table {
		t.Error("the bad file replaced the running state")
	}
	wantLog := rulesPath + `:11:5: rule 9100002: unknown key \"severty\" (did you mean \"severity\"?)`
	if l := logs.String(); !strings.Contains(l, wantLog) || !strings.Contains(l, `"component":"reload"`) ||
		!strings.Contains(l, "keeping the running rules and geoip") {
		t.Errorf("log lacks %s:\n%s", wantLog, l)
	}

	if err := os.WriteFile(rulesPath, []byte(testRule(9100002, 5)), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = rl.Reload()
	if ok, failed := reloads.Counts(); ok != 1 || failed != 1 {
		t.Errorf("reloads ok %d failed %d after the good file", ok, failed)
	}
	if r := p.Rules().Rules; len(r) != 1 || r[0].ID != 9100002 {
		t.Fatalf("rules after reload: %v", r)
	}
	for _, pk := range labSyns(11, 20) {
		src.frames <- pk
	}
	eventually(t, "the new rule's alert", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].SignatureID != 9100002 || got[0].Src.CountryISO != "CN" || got[0].Dst.CountryISO != "DE" {
		t.Errorf("alerts: %+v", got)
	}
}

func TestThrottle(t *testing.T) {
	var buf bytes.Buffer
	th := newThrottle(zerolog.New(&buf), time.Minute)
	now := time.Unix(1000, 0)
	th.now = func() time.Time { return now }
	boom := errors.New("connection refused")
	th.Error(boom, "sending")
	for range 5 {
		now = now.Add(time.Second)
		th.Error(boom, "sending")
	}
	now = now.Add(time.Minute)
	th.Error(errors.New("timeout"), "sending")
	th.Error(boom, "sending")
	th.Flush("sending")
	th.Flush("sending") // nothing more to say
	want := `{"level":"error","error":"connection refused","message":"sending"}
{"level":"error","error":"timeout","suppressed":5,"message":"sending"}
{"level":"error","error":"connection refused","suppressed":1,"message":"sending"}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(50000, 25<<20, 100<<20, 10*time.Second)
	want := "[=======                       ]  25% 50000 packets, 5000 packets/s, ETA 30s"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := progressLine(300, 0, 0, 3*time.Second); got != " 300 packets, 100 packets/s" {
		t.Errorf("stdin progress %q", got)
	}
}

func TestStatusReport(t *testing.T) {
	text := `# TYPE borderwatch_packets_total counter
borderwatch_packets_total{result="decoded"} 900
borderwatch_packets_total{result="malformed"} 4
borderwatch_capture_frames_total{source="afpacket:eth0"} 1000
borderwatch_capture_bytes_total{source="afpacket:eth0"} 64000
borderwatch_capture_drops_total{source="afpacket:eth0"} 7
borderwatch_queue_drops_total 3
borderwatch_flows 12
borderwatch_flows_evicted_total 0
borderwatch_alerts_total{kind="scan",rule="8100101"} 2
borderwatch_rules_loaded 22
borderwatch_reloads_total{result="success"} 1
borderwatch_reloads_total{result="failure"} 0
borderwatch_country_packets_total{country="CN",direction="inbound"} 700
borderwatch_country_packets_total{country="RU",direction="inbound"} 150
borderwatch_country_packets_total{country="US",direction="outbound"} 40
borderwatch_country_packets_total{country="DE",direction="internal"} 10
`
	ms, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printStatus(&out, "127.0.0.1:9467", ms); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"afpacket:eth0     1000  64000      7",
		"pipeline: decoded 900, skipped 4, queue drops 3, flows 12 (evicted 0), alerts 2\n",
		"rules loaded 22; reloads 1 ok, 0 failed\n",
		"top countries in:  CN 700, RU 150\n",
		"top countries out: US 40\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "INTERFACE") || strings.Contains(out.String(), "kernel:") {
		t.Errorf("kernel lines without kernel metrics:\n%s", out.String())
	}
	kernel := `borderwatch_kernel_seen_packets_total 60
borderwatch_kernel_events_total{event="handoff"} 25
borderwatch_kernel_interface_packets_total{hook="egress",iface="eth0"} 20
borderwatch_kernel_interface_packets_total{hook="ingress",iface="eth0"} 30
borderwatch_kernel_interface_packets_total{hook="ingress",iface="eth1"} 10
borderwatch_kernel_interface_bytes_total{hook="egress",iface="eth0"} 1400
borderwatch_kernel_interface_bytes_total{hook="ingress",iface="eth0"} 2000
borderwatch_kernel_interface_bytes_total{hook="ingress",iface="eth1"} 640
borderwatch_kernel_interface_handoffs_total{hook="egress",iface="eth0"} 5
borderwatch_kernel_interface_handoffs_total{hook="ingress",iface="eth0"} 15
borderwatch_kernel_interface_handoffs_total{hook="ingress",iface="eth1"} 5
borderwatch_kernel_interface_ringbuf_full_total{hook="ingress",iface="eth0"} 3
borderwatch_kernel_interface_enforce_drops_total{hook="ingress",iface="eth1"} 4
`
	if ms, err = parseMetrics(strings.NewReader(text + kernel)); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := printStatus(&out, "127.0.0.1:9467", ms); err != nil {
		t.Fatal(err)
	}
	wantTable := `
  INTERFACE     HOOK  PACKETS  BYTES  HANDOFFS  RING FULL  ENFORCE DROPS
       eth0  ingress       30   2000        15          3              0
       eth0   egress       20   1400         5          0              0
       eth1  ingress       10    640         5          0              4
kernel floods:`
	if !strings.Contains(out.String(), wantTable) {
		t.Errorf("status lacks the interface table\n%s\ngot:\n%s", wantTable, out.String())
	}
	if !strings.Contains(out.String(), "kernel: packets 60, handed off 25,") {
		t.Errorf("status lacks the kernel totals:\n%s", out.String())
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines 3\n")); err != nil {
		t.Fatal(err)
	}
	if err := printStatus(&out, "x", metricSet{}); err == nil || err.Error() != "status: x does not serve borderwatch metrics" {
		t.Errorf("error %v", err)
	}
}

// labApp is an app logging to a buffer, with the lab GeoIP database at labDB,
// home DE and only the rules of rulesPath, and the rule set and geo table it
// loads.
func labApp(t *testing.T, labDB, rulesPath string) (*app, *lockedBuffer, *rules.Set, *geo.Table) {
	t.Helper()
	logs := new(lockedBuffer)
	a := newApp()
	a.log = zerolog.New(logs)
	a.cfg.Geo = GeoConfig{Database: labDB, Home: []string{"DE"}}
	a.cfg.Rules = RulesConfig{Paths: []string{rulesPath}, NoDefaults: true}
	set, err := a.loadRules()
	if err != nil {
		t.Fatal(err)
	}
	table, err := a.loadGeo(set.Zones)
	if err != nil {
		t.Fatal(err)
	}
	return a, logs, set, table
}
