package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert/sink"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExampleConfig: the shipped example passes `config check`, and the
// effective configuration shows its values with the flags over them.
func TestExampleConfig(t *testing.T) {
	example := filepath.Join("..", "..", "deploy", "borderwatch.example.yaml")
	out, stderr, code := runCLI(t, "--home", "DE,AT", "config", "check", example)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"# effective configuration from " + example + " and flags: OK\n",
		"  home:\n    - DE\n    - AT\n", // the flag replaces the file's [DE]
		"    sanctioned:\n      - KP\n      - IR\n      - SY\n",
		"      path: /var/log/borderwatch/alerts.json\n",
		"      fsync_interval: 5s\n",
		"      network: tcp\n",
		"  mode: xdp\n",
		"  listen: 127.0.0.1:9467\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	cfg, read, err := readConfig(example, true)
	if err != nil || !read {
		t.Fatal(err)
	}
	cs, err := cfg.sinkConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("%d outputs, want 2", len(cs))
	}
	if fc, ok := cs[0].(*sink.FileConfig); !ok || fc.Path != "/var/log/borderwatch/alerts.json" {
		t.Errorf("output 1: %#v", cs[0])
	}
	if sc, ok := cs[1].(*sink.SyslogConfig); !ok || sc.MinSeverity != 2 || sc.Format != "ecs" || sc.Spool.MaxBytes != 64<<20 {
		t.Errorf("output 2: %#v", cs[1])
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown top-level key", "geo:\n  home: [DE]\ncaptur:\n  mode: xdp\n", `CFG:3: unknown field "captur"`},
		{"unknown nested key", "capture:\n  mode: xdp\n  snaplen: 10\n", `CFG:3: unknown field "snaplen"`},
		{"unknown output key", "outputs:\n  - file:\n      path: /tmp/a\n      rotate: 3\n", `CFG:4: unknown field "rotate"`},
		{"bad mode", "capture:\n  interfaces: [eth0]\n  mode: pcap\n", `CFG:3: capture.mode "pcap": want xdp or afpacket`},
		{"enforce with afpacket", "capture:\n  mode: afpacket\n  enforce: true\n", `CFG:3: capture.enforce needs capture.mode xdp: AF_PACKET only copies packets and cannot drop them`},
		{"bad xdp mode", "capture:\n  xdp_mode: driver\n", `CFG:2: capture.xdp_mode "driver": want auto, native or generic`},
		{"bad egress mode", "capture:\n  egress_mode: tc\n", `CFG:2: capture.egress_mode "tc": want auto, tcx or clsact`},
		{"bad output", "outputs:\n  - file:\n      path: /tmp/a\n      format: xml\n", `CFG:2: output 1: file output /tmp/a: format "xml": want eve or ecs`},
		{"two kinds in one output", "outputs:\n  - stdout: {}\n    url: stdout\n", `CFG:2: output 1: an output takes exactly one of url, stdout, file, syslog, redis, kafka`},
		{"bad url", "outputs:\n  - url: ftp://x\n", `CFG:2: output 1: output "ftp://x": unknown kind (want stdout, file:, syslog+udp://, syslog+tcp://, syslog+tls://, redis:// or kafka://)`},
		{"bad zone term", "geo:\n  home: [DE]\n  zones:\n    bad: [XX]\n", `CFG:4: zone "bad": unknown country code "XX"`},
		{"bad home", "geo:\n  home: [DE, Europa]\n", `CFG:2: home: unknown zone "Europa"`},
		{"bad log level", "logging:\n  level: loud\n", `CFG:2: logging.level "loud": want debug, info, warn or error`},
		{"wrong type", "capture:\n  workers: many\n", `CFG:2: cannot unmarshal string into Go struct field Config.Capture of type int`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "borderwatch.yaml", tc.yaml)
			_, stderr, code := runCLI(t, "config", "check", path)
			want := strings.ReplaceAll(tc.want, "CFG", path)
			if code != exitUsage || !strings.Contains(stderr, "borderwatch: "+want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, want)
			}
		})
	}
}

func TestConfigFileAndFlags(t *testing.T) {
	// A missing default file is fine; a missing explicit one is an error.
	a := newApp()
	root := newRootCmd(a)
	root.SetArgs([]string{"config", "check"})
	root.SetOut(new(strings.Builder))
	if err := root.Execute(); err != nil && !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("default config: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none.yaml")
	_, stderr, code := runCLI(t, "--config", missing, "version")
	if code != exitUsage || !strings.Contains(stderr, "reading config: open "+missing+": no such file or directory") {
		t.Errorf("missing --config: exit %d, %s", code, stderr)
	}
	// The file sets home and the rules; --home overrides home only.
	rulesPath := writeFile(t, "extra.yaml", "rules: []\n")
	cfg := writeFile(t, "bw.yaml", "geo:\n  home: [FR]\nrules:\n  paths: ["+rulesPath+"]\nlogging:\n  format: console\n")
	out, stderr, code := runCLI(t, "--config", cfg, "--home", "DE", "config", "check")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"  home:\n    - DE\n", "  paths:\n    - " + rulesPath + "\n", "  format: console\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}
