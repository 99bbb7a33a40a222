package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayReport: replay --report writes the self-contained report of
// what it replayed, beside the alerts on standard output.
func TestReplayReport(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.html")
	capture := filepath.Join("..", "..", "testdata", "cases", "lab-nmap-sA", "capture.pcap")
	out, stderr, code := runCLI(t, "replay", "--geoip", labGeoIP(t), "--home", "DE", "-q", "--report", report, capture)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `"signature_id":8100104`) {
		t.Fatalf("stdout: %s", out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{
		"<title>borderwatch replay report</title>",
		`<dd id="alert-total">1 · scan 1</dd>`,
		`<tr id="traffic-FR"><th scope="row">France (FR)</th>`,
		`class="country a5 t5" data-cc="FR"`,
		`class="country home" data-cc="DE"`,
		"<code>" + capture + "</code>",
		`<tr data-kind="scan" data-src="FR">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// A report path that cannot be written is a usage error before the replay.
	_, stderr, code = runCLI(t, "replay", "--report", filepath.Join(t.TempDir(), "no", "such", "dir", "r.html"), capture)
	if code != exitUsage || !strings.Contains(stderr, "--report: open ") {
		t.Errorf("bad path: exit %d: %s", code, stderr)
	}
	// A folder (or a FIFO, a device) is refused, not opened.
	dir := t.TempDir()
	_, stderr, code = runCLI(t, "replay", "--report", dir, capture)
	if code != exitUsage || !strings.Contains(stderr, "borderwatch: --report "+dir+": not a regular file") {
		t.Errorf("folder: exit %d: %s", code, stderr)
	}
}

// TestRunConsoleNeedsAuthBeyondLoopback: run refuses, before attaching
// anything, to serve the console on a non-loopback address without
// console.auth, and accepts console.enabled: false.
func TestRunConsoleNeedsAuthBeyondLoopback(t *testing.T) {
	_, stderr, code := runCLI(t, "run", "--iface", "lo", "--metrics-listen", "0.0.0.0:0")
	want := "borderwatch: console: the metrics listener 0.0.0.0:0 is not a loopback address: set console.auth"
	if code != exitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	cfg := filepath.Join(t.TempDir(), "bw.yaml")
	if err := os.WriteFile(cfg, []byte("console:\n  client_buffer: 0\n  auth:\n    username: op\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCLI(t, "--config", cfg, "config", "check", cfg)
	for _, w := range []string{cfg + ":2: console.client_buffer 0: want 1 to 65536", cfg + ":3: console.auth: username and password_file go together"} {
		if code != exitUsage || !strings.Contains(stderr, w) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, w, stderr)
		}
	}
}
