package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/syncbuf"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/capture/live"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

// testConfig is a sensor on the interfaces ifaces with AF_PACKET capture,
// the default rule pack, the embedded GeoIP database, no metrics listener,
// alerts on stdout.
func testConfig(t *testing.T, logs *syncbuf.Buffer, stdout *syncbuf.Buffer, ifaces ...string) Config {
	t.Helper()
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load(rules.Options{Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	table, err := geo.OpenTable(geo.Paths{}, z)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := live.CompileRules(set, false)
	if err != nil {
		t.Fatal(err)
	}
	lc := live.DefaultConfiguration()
	lc.Interfaces, lc.Mode = ifaces, "afpacket"
	log := zerolog.New(logs)
	return Config{
		Capture: lc, Pipeline: pipeline.Config{Workers: 1}, Metrics: "off", Console: console.DefaultConfiguration(),
		Rules: set, Geo: table, Kernel: kr,
		OpenOutputs: func() (*sink.Alerts, error) { return sink.OpenAlerts(nil, log, stdout, alert.FormatEVE) },
		Rebuild:     func() (*rules.Set, *geo.Table, error) { return set, table, nil },
		Logger:      func(c string) zerolog.Logger { return log.With().Str("component", c).Logger() },
	}
}

// TestRunCaptureFails: when the first component cannot start, Run returns
// its error and starts none of the later ones.
func TestRunCaptureFails(t *testing.T) {
	var logs, stdout syncbuf.Buffer
	c := testConfig(t, &logs, &stdout, "bw-nosuch0")
	opened := false
	open := c.OpenOutputs
	c.OpenOutputs = func() (*sink.Alerts, error) { opened = true; return open() }
	err := Run(context.Background(), c)
	if err == nil || opened {
		t.Fatalf("Run: %v; outputs opened %v", err, opened)
	}
	if os.Geteuid() == 0 && !strings.Contains(err.Error(), "bw-nosuch0") {
		t.Errorf("error %q does not name the interface", err)
	}
	if l := logs.String(); !strings.Contains(l, `"message":"rules and geoip loaded"`) || strings.Contains(l, "sensor running") {
		t.Errorf("log:\n%s", l)
	}
}

// TestRunOutputsFail: an alert output that cannot start stops Run before
// the pipeline, after closing the capture started before it (root: an
// AF_PACKET socket on lo).
func TestRunOutputsFail(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for an AF_PACKET socket on lo")
	}
	var logs, stdout syncbuf.Buffer
	c := testConfig(t, &logs, &stdout, "lo")
	c.OpenOutputs = func() (*sink.Alerts, error) { return nil, errors.New("output 1: refused") }
	if err := Run(context.Background(), c); err == nil || err.Error() != "output 1: refused" {
		t.Fatalf("Run: %v", err)
	}
	if l := logs.String(); strings.Contains(l, "sensor running") {
		t.Errorf("log:\n%s", l)
	}
}

// TestRunStops: a sensor on lo (AF_PACKET) runs until its context ends,
// then stops every component and logs its counters.
func TestRunStops(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for an AF_PACKET socket on lo")
	}
	var logs, stdout syncbuf.Buffer
	c := testConfig(t, &logs, &stdout, "lo")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"message":"sensor running"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no \"sensor running\" in 10 s:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after its context ended")
	}
	l := logs.String()
	for _, want := range []string{`"capture":"afpacket"`, `"sources":["afpacket:lo"]`, `"metrics":"off"`, `"component":"counters"`} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %s:\n%s", want, l)
		}
	}
}

// TestRunConsolePasswordReload: SIGHUP reads the console's password file
// again (its reload target is wired into Run's reloads): the new password
// works after it; a bad file fails the reload, naming the console, and
// the password in force stays (root: an AF_PACKET socket on lo).
func TestRunConsolePasswordReload(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for an AF_PACKET socket on lo")
	}
	// SIGHUP must not end the test process before Run handles it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	pwFile := filepath.Join(t.TempDir(), "console.pw")
	if err := os.WriteFile(pwFile, []byte("first-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs, stdout syncbuf.Buffer
	c := testConfig(t, &logs, &stdout, "lo")
	c.Metrics = "127.0.0.1:0"
	c.Console.Auth = console.AuthConfiguration{Username: "operator", PasswordFile: pwFile}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	}()
	waitLog := func(what string, n int, hupEvery bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(logs.String(), what) < n {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in 10 s:\n%s", what, logs.String())
			}
			if hupEvery {
				_ = syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitLog(`"message":"sensor running"`, 1, false)
	var addr string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"message":"sensor running"`) {
			var rec struct{ Metrics string }
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatal(err)
			}
			addr = rec.Metrics
		}
	}
	status := func(pass string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/snapshot", nil)
		req.SetBasicAuth("operator", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status("first-Pa55"); s != 200 {
		t.Fatalf("at start: %d", s)
	}
	if err := os.WriteFile(pwFile, []byte("second-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLog(`"message":"reloaded"`, 1, true)
	if a, b := status("second-Pa55"), status("first-Pa55"); a != 200 || b != 401 {
		t.Errorf("after SIGHUP: new password %d, old %d; want 200, 401", a, b)
	}
	if err := os.WriteFile(pwFile, []byte("third\nfourth\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLog(`reload failed`, 1, true)
	if l := logs.String(); !strings.Contains(l, `"error":"console: console.auth.password_file `+pwFile+`: want one non-empty line"`) || strings.Contains(l, "third") {
		t.Errorf("reload failure log:\n%s", l)
	}
	if s := status("second-Pa55"); s != 200 {
		t.Errorf("after a bad file: %d, want the password in force (200)", s)
	}
}

// TestRunStopsAfterReload: a reload (SIGHUP) under way when the sensor is
// told to stop ends before the components stop: its targets still find
// them running (here the metrics endpoint answers) instead of closed
// under them (root: an AF_PACKET socket on lo).
func TestRunStopsAfterReload(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for an AF_PACKET socket on lo")
	}
	// SIGHUP must not end the test process before Run handles it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var logs, stdout syncbuf.Buffer
	c := testConfig(t, &logs, &stdout, "lo")
	c.Metrics = "127.0.0.1:0"
	var addr atomic.Value // the metrics endpoint, once known
	entered, release := make(chan struct{}), make(chan struct{})
	answered := make(chan error, 8)
	var once sync.Once
	c.Targets = []reload.Target{{Name: "slow", Prepare: func(*rules.Set, *geo.Table) (reload.Change, error) {
		once.Do(func() { close(entered) })
		<-release
		resp, err := http.Get("http://" + addr.Load().(string) + "/metrics")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
		return nopChange{}, nil
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c) }()
	released, returned := false, false
	defer func() {
		cancel()
		if !released {
			close(release)
		}
		if returned {
			return
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"message":"sensor running"`) {
		if time.Now().After(deadline) {
			t.Fatalf("not running in 10 s:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"message":"sensor running"`) {
			var rec struct{ Metrics string }
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatal(err)
			}
			addr.Store(rec.Metrics)
		}
	}
	// The signals are handled once Run is past its start: send until the
	// reload is under way.
	for waiting := true; waiting; {
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
		select {
		case <-entered:
			waiting = false
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no reload in 10 s")
			}
		}
	}
	cancel()
	// Time for Run to stop what it would stop under the reload.
	time.Sleep(500 * time.Millisecond)
	close(release)
	released = true
	if err := <-answered; err != nil {
		t.Errorf("the metrics endpoint was closed under a reload in progress: %v", err)
	}
	select {
	case err := <-done:
		returned = true
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the reload")
	}
}

type nopChange struct{}

func (nopChange) Commit() error { return nil }
func (nopChange) Abort() error  { return nil }

// TestSIGHUPDuringStart: a SIGHUP sent while the sensor starts (here,
// while its outputs open) neither ends the process, which is SIGHUP's
// default action, nor is lost: the reload runs once the signals are
// handled. Without the hold, the test binary dies of the signal.
func TestSIGHUPDuringStart(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for an AF_PACKET socket on lo")
	}
	var logs, stdout syncbuf.Buffer
	c := testConfig(t, &logs, &stdout, "lo")
	open := c.OpenOutputs
	c.OpenOutputs = func() (*sink.Alerts, error) {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
			t.Error(err)
		}
		time.Sleep(100 * time.Millisecond) // delivered while starting
		return open()
	}
	runOneReload(t, c, &logs)
}

// TestSIGHUPBeforeRun: a SIGHUP the caller's Config.Held received before
// Run (the CLI loading rules and GeoIP) is acted on once Run handles
// signals: one reload after start.
func TestSIGHUPBeforeRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for an AF_PACKET socket on lo")
	}
	var logs, stdout syncbuf.Buffer
	c := testConfig(t, &logs, &stdout, "lo")
	c.Held = HoldSignals()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // delivered before Run
	runOneReload(t, c, &logs)
}

// runOneReload runs c until it has logged a reload, checks it ran and
// reloaded once, and stops it.
func runOneReload(t *testing.T, c Config, logs *syncbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"message":"reloaded"`) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("no reload in 10 s:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	l := logs.String()
	if !strings.Contains(l, `"message":"sensor running"`) || strings.Count(l, `"message":"reloaded"`) != 1 {
		t.Errorf("want the sensor running and one reload:\n%s", l)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
