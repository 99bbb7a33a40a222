package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/evetest"
)

// runCLI runs the borderwatch command line in-process and returns stdout,
// stderr and the exit code main would give.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	out, stderr, err := execCLI(args...)
	if err != nil {
		stderr += "borderwatch: " + err.Error() + "\n"
	}
	return out, stderr, exitCode(err)
}

// sampleHost is the sensor name in the committed sample alert; the test
// puts it in place of the host name the replay writes by default.
const sampleHost = "gw1"

// TestReplaySample is the README's first command, run from the repository
// root: the sample replayed on the embedded defaults prints exactly the
// committed alert line (with this machine's name as host, sampleHost in the
// file), valid against Suricata's EVE schema.
func TestReplaySample(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "scan-inbound.alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(repoRoot)
	out, stderr, code := runCLI(t, "replay", "testdata/sample/scan-inbound.pcap")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	host := alert.DefaultSensorName()
	if !strings.Contains(out, `"host":"`+host+`"`) {
		t.Errorf("no host %q in %s", host, out)
	}
	out = strings.Replace(out, `"host":"`+host+`"`, `"host":"`+sampleHost+`"`, 1)
	evetest.ValidateLines(t, "sample replay", []byte(out))
	if out != string(want) {
		t.Errorf("alerts differ from testdata/sample/scan-inbound.alerts.json\ngot:\n%s\nwant:\n%s", out, want)
	}
	for _, line := range []string{
		"replayed 2061 packets (124010 bytes)",
		"decoded 2061; skipped 0",
		"alerts 1, scan 1",
	} {
		if !strings.Contains(stderr, line) {
			t.Errorf("summary lacks %q:\n%s", line, stderr)
		}
	}
}

// TestReplayAlertsFile checks --alerts appends and keeps stdout empty.
func TestReplayAlertsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	if err := os.WriteFile(path, []byte("earlier line\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "replay", "-q", "--log-level", "warn", "--alerts", path, samplePath)
	if code != exitOK || out != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "earlier line" || !strings.Contains(lines[1], `"signature_id":8100101`) {
		t.Errorf("alerts file:\n%s", got)
	}
}

func TestReplayExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing file", []string{"replay", "no/such.pcap"}, exitUsage, "no/such.pcap"},
		{"no file", []string{"replay"}, exitUsage, "requires at least 1 arg"},
		{"bad flag", []string{"replay", "--no-such-flag", samplePath}, exitUsage, "unknown flag: --no-such-flag"},
		{"bad format", []string{"replay", "--format", "xml", samplePath}, exitUsage, `unknown alert format "xml"`},
		{"not a capture", []string{"replay", "replay_test.go"}, exitUsage, "replay_test.go"},
		{"bad home", []string{"replay", "--home", "eurpoe", samplePath}, exitUsage, `"eurpoe"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d (want %d), stderr %q (want it to contain %q)", code, tc.code, stderr, tc.msg)
			}
		})
	}
}

// TestReplayNotesMissingHome checks the operator is told what "no home" means.
func TestReplayNotesMissingHome(t *testing.T) {
	const note = "no home jurisdiction set (--home or geo.home): home is only the private"
	_, stderr, code := runCLI(t, "replay", "-q", samplePath)
	if code != exitOK || strings.Count(stderr, note) != 1 {
		t.Errorf("exit %d, stderr %q: want the note once", code, stderr)
	}
	_, stderr, code = runCLI(t, "replay", "-q", "--home", "DE", samplePath)
	if code != exitOK || strings.Contains(stderr, note) {
		t.Errorf("exit %d, stderr %q: want no note with --home", code, stderr)
	}
}
