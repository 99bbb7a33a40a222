package main

import (
	"context"
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
	"github.com/borderwatch/borderwatch/internal/config"
	"github.com/borderwatch/borderwatch/internal/syncbuf"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/agent"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/reload"
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

// lockedBuffer is the log of a command running in a goroutine.
type lockedBuffer = syncbuf.Buffer

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
	rl := appReloader(a, p, reloads)
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
	if err := rl.Reload(); err == nil {
		t.Error("the bad rules file reloaded without an error")
	}
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
	if err := rl.Reload(); err != nil {
		t.Fatalf("good reload: %v", err)
	}
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

// appReloader is run's reload of p and the targets, reading a's
// configuration again.
func appReloader(a *app, p *pipeline.Pipeline, reloads *metrics.Reloads, targets ...reload.Target) *reload.Reloader {
	build, _ := reloadState(a, nil, nil)
	return agent.NewReloader(build, a.logger("reload"), p, nil, reloads, targets...)
}

func labApp(t *testing.T, labDB, rulesPath string) (*app, *lockedBuffer, *rules.Set, *geo.Table) {
	t.Helper()
	logs := new(lockedBuffer)
	a := newApp()
	a.log = zerolog.New(logs)
	a.cfg.Geo = config.GeoConfig{Database: labDB, Home: []string{"DE"}}
	a.cfg.Rules = config.RulesConfig{Paths: []string{rulesPath}, NoDefaults: true}
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

// TestRunFlagsChecked: the run flags are checked like the configuration
// file's values, before any interface is looked at (the check once looked
// for problems at "$.capture…" paths, which never matched: --workers 0 ran
// with no worker and a bad --xdp-mode fell back to AF_PACKET).
func TestRunFlagsChecked(t *testing.T) {
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--workers", "0"}, "borderwatch: capture.workers 0: want 1 to 256 (flag or configuration file)\n"},
		{[]string{"--xdp-mode", "bogus"}, "borderwatch: capture.xdp_mode \"bogus\": want auto, native or generic (flag or configuration file)\n"},
		{[]string{"--metrics-listen", "9467"}, "borderwatch: metrics.listen \"9467\": want host:port or off (flag or configuration file)\n"},
	} {
		args := append([]string{"run", "-i", "bw-nosuch0"}, c.flags...)
		_, stderr, code := runCLI(t, args...)
		if code != exitUsage || stderr != c.want {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q", c.flags, code, stderr, c.want)
		}
	}
}

// TestReloadStateConsole: run's Rebuild reads the configuration file again
// and hands its console section to the console's reload target: a changed
// console.auth is what the next reload applies; a Rebuild that fails keeps
// the last good one.
func TestReloadStateConsole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "borderwatch.yaml")
	write := func(user string) {
		t.Helper()
		y := "console:\n  auth:\n    username: " + user + "\n    password_file: " + filepath.Join(dir, user+".pw") + "\n"
		if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("operator")
	a := newApp()
	root := newRootCmd(a)
	if err := a.loadConfig(root, path, true); err != nil {
		t.Fatal(err)
	}
	build, reloaded := reloadState(a, root, nil)
	if got := reloaded().Auth; got.Username != "operator" {
		t.Fatalf("before any reload: %+v, want the start's", got)
	}
	write("admin")
	if _, _, err := build(); err != nil {
		t.Fatal(err)
	}
	if got := reloaded().Auth; got.Username != "admin" || got.PasswordFile != filepath.Join(dir, "admin.pw") {
		t.Errorf("after a reload: %+v, want admin's", got)
	}
	if err := os.WriteFile(path, []byte("console:\n  nope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := build(); err == nil {
		t.Fatal("a bad configuration file rebuilt")
	}
	if got := reloaded().Auth; got.Username != "admin" {
		t.Errorf("after a failed reload: %+v, want the last good (admin)", got)
	}
}

// TestReloadNamesRestartOnly: a reload of a changed configuration file
// warns, by name only, about the sections it does not apply; an unchanged
// file warns about nothing.
func TestReloadNamesRestartOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "borderwatch.yaml")
	write := func(workers int, pass string) {
		t.Helper()
		y := fmt.Sprintf("capture:\n  workers: %d\noutputs:\n  - url: \"redis://:%s@127.0.0.1:6379/0?mode=list&key=bw\"\n", workers, pass)
		if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(2, "s3cretA")
	a := newApp()
	root := newRootCmd(a)
	if err := a.loadConfig(root, path, true); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	a.log = zerolog.New(&logs)
	build, _ := reloadState(a, root, nil)
	if _, _, err := build(); err != nil {
		t.Fatal(err)
	}
	if logs.String() != "" {
		t.Errorf("an unchanged file: %s", logs.String())
	}
	write(3, "s3cretB")
	if _, _, err := build(); err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	if !strings.Contains(got, `"settings":["outputs","capture"]`) || !strings.Contains(got, "next restart") {
		t.Errorf("a changed file: %s", got)
	}
	if strings.Contains(got, "s3cret") {
		t.Errorf("a secret in the log: %s", got)
	}
}

// TestReloadRestartOnlyRunFlags: run's flags override the configuration
// file read again by a reload as they did at start, so a section they set
// is not reported as changed at every reload (a sensor started with
// --workers or --metrics-listen once warned "capture" and "metrics" at
// each SIGHUP of an unchanged file); a section changed in the file still
// is.
func TestReloadRestartOnlyRunFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "borderwatch.yaml")
	write := func(redis string) {
		t.Helper()
		y := "capture:\n  workers: 2\nmetrics:\n  listen: 127.0.0.1:9467\noutputs:\n  - url: \"redis://127.0.0.1:6379/0?mode=list&key=" + redis + "\"\n"
		if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("bw")
	a := newApp()
	var o runOpts
	cmd := newRootCmd(a)
	f := cmd.Flags()
	f.StringSliceVarP(&o.ifaces, "iface", "i", nil, "")
	f.IntVar(&o.workers, "workers", 1, "")
	f.StringVar(&o.metricsListen, "metrics-listen", "", "")
	if err := cmd.ParseFlags([]string{"-i", "lo", "--workers", "3", "--metrics-listen", "127.0.0.1:9555"}); err != nil {
		t.Fatal(err)
	}
	if err := a.loadConfig(cmd, path, true); err != nil {
		t.Fatal(err)
	}
	if err := o.apply(cmd, &a.cfg); err != nil {
		t.Fatal(err)
	}
	if a.cfg.Capture.Workers != 3 || a.cfg.Metrics.Listen != "127.0.0.1:9555" {
		t.Fatalf("start: workers %d, listen %q; want the flags'", a.cfg.Capture.Workers, a.cfg.Metrics.Listen)
	}
	var logs syncbuf.Buffer
	a.log = zerolog.New(&logs)
	build, _ := reloadState(a, cmd, &o)
	if _, _, err := build(); err != nil {
		t.Fatal(err)
	}
	if logs.String() != "" {
		t.Errorf("an unchanged file, run flags set: %s", logs.String())
	}
	write("bw2")
	if _, _, err := build(); err != nil {
		t.Fatal(err)
	}
	if got := logs.String(); !strings.Contains(got, `"settings":["outputs"]`) {
		t.Errorf("the outputs changed in the file: %s", got)
	}
	// --output replaces the file's outputs: their change is not pending
	before := logs.String()
	o.out.outputs = []string{"stdout"}
	write("bw3")
	if _, _, err := build(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(logs.String(), before); got != "" {
		t.Errorf("the file's outputs changed under --output: %s", got)
	}
}
