package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/syncbuf"
)

// sampleTailLine is what `tail` prints for the committed sample alert.
const sampleTailLine = `2026-11-25 22:21:27.014 sev2 scan          8100101 inbound CN 36.110.0.1:48330 → ?? 192.168.1.10:15 TCP [BRICS → home] 15 ports, 15 pkts, 600 B "BW SCAN inbound TCP port scan from abroad"` + "\n"

// TestTailSample: `borderwatch tail FILE` prints the sample alert as one
// line, without colour off a terminal; --json the line unchanged; a
// filter that does not match prints nothing.
func TestTailSample(t *testing.T) {
	t.Chdir(repoRoot)
	const sample = "testdata/sample/scan-inbound.alerts.json"
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tail", sample}, sampleTailLine},
		{[]string{"tail", "--kind", "sweep,scan", "--country", "cn", "--min-severity", "2", sample}, sampleTailLine},
		{[]string{"tail", "--json", "-n", "all", sample}, string(raw)},
		{[]string{"tail", "--kind", "flood", sample}, ""},
		{[]string{"tail", "--country", "DE", sample}, ""},
		{[]string{"tail", "--min-severity", "1", sample}, ""},
		{[]string{"tail", "-n", "0", sample}, ""},
	} {
		t.Run(strings.Join(c.args[1:], " "), func(t *testing.T) {
			out, stderr, code := runCLI(t, c.args...)
			if code != exitOK || out != c.want || stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want stdout %q", code, out, stderr, c.want)
			}
		})
	}
}

// TestTailDefaultFile: without FILE, tail reads the first file output of
// the configuration, in either of its forms.
func TestTailDefaultFile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "sample", "scan-inbound.alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	alerts := filepath.Join(dir, "alerts.json")
	if err := os.WriteFile(alerts, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, outputs := range []string{
		"  - syslog: {network: tcp, address: 127.0.0.1:514}\n  - file: {path: " + alerts + "}\n",
		"  - url: file:" + alerts + "\n",
	} {
		cfg := filepath.Join(dir, "borderwatch.yaml")
		if err := os.WriteFile(cfg, []byte("outputs:\n"+outputs), 0o600); err != nil {
			t.Fatal(err)
		}
		out, stderr, code := runCLI(t, "tail", "-c", cfg)
		if code != exitOK || out != sampleTailLine {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", outputs, code, out, stderr)
		}
	}
}

// TestTailStdin: - reads standard input; bad lines are skipped, noted and
// summed up on standard error.
func TestTailStdin(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "sample", "scan-inbound.alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCmd(newApp())
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader("password=hunter2\n" + string(raw)))
	root.SetArgs([]string{"tail", "-"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	wantErr := "tail: stdin:1: skipped: not JSON: not a JSON object\ntail: skipped 1 line: 1 not JSON\n"
	if out.String() != sampleTailLine || errb.String() != wantErr {
		t.Errorf("stdout %q\nstderr %q, want %q", out.String(), errb.String(), wantErr)
	}
}

// TestTailUsageErrors: bad flags and files are usage errors (exit 2) that
// say what is wrong.
func TestTailUsageErrors(t *testing.T) {
	dir := t.TempDir()
	noFile := filepath.Join(dir, "no-file.yaml")
	if err := os.WriteFile(noFile, []byte("outputs:\n  - stdout: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tail", "--kind", "scna", "x"}, `--kind "scna": not a detector kind (did you mean "scan"?)`},
		{[]string{"tail", "--country", "Germany", "x"}, `--country "Germany": want an ISO 3166-1 alpha-2 code such as DE`},
		{[]string{"tail", "--min-severity", "-1", "x"}, `--min-severity -1: want 0 (all) or 1 (highest) to 255`},
		{[]string{"tail", "-n", "ten", "x"}, `--lines "ten": want 0 to 1000000, or all`},
		{[]string{"tail", "-f", "-"}, `--follow needs a FILE, not standard input`},
		{[]string{"tail", "-c", noFile}, `no FILE given and the configuration (` + noFile + `) has no file output: name the alert file`},
		{[]string{"tail", filepath.Join(dir, "missing.json")}, `open ` + filepath.Join(dir, "missing.json") + `: no such file or directory`},
		{[]string{"tail", dir}, `open ` + dir + `: not a regular file (a folder)`},
		{[]string{"tail", "a", "b"}, `accepts at most 1 arg(s), received 2`},
	} {
		t.Run(strings.Join(c.args[1:], " "), func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 with %q", code, stderr, c.want)
			}
		})
	}
}

// TestTailFollow: `tail -f` waits for the file, shows what is appended,
// and ends without error when interrupted (its context).
func TestTailFollow(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "sample", "scan-inbound.alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alerts.json")
	root := newRootCmd(newApp())
	var out, errb syncbuf.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs([]string{"tail", "-f", "--kind", "scan", path})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	wait := func(what func() bool, desc string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !what(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s; stdout %q, stderr %q", desc, out.String(), errb.String())
			}
		}
	}
	wait(func() bool { return strings.Contains(errb.String(), "does not exist yet") }, "note that the file is missing")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	wait(func() bool { return out.String() == sampleTailLine }, "alert line")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("tail -f ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tail -f did not end when interrupted")
	}
}

// TestTailGzip: a rotated, compressed alert file is read decompressed;
// --follow on it is a usage error.
func TestTailGzip(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "sample", "scan-inbound.alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alerts.json.2.gz")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := runCLI(t, "tail", path); code != exitOK || out != sampleTailLine {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if _, stderr, code := runCLI(t, "tail", "-f", path); code != exitUsage || !strings.Contains(stderr, "gzip-compressed: --follow follows plain alert files only") {
		t.Errorf("-f: exit %d, stderr %q", code, stderr)
	}
}
