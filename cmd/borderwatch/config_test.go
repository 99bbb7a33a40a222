package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/internal/config"
	"github.com/borderwatch/borderwatch/sensor/alert"
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
	cfg, read, err := config.Read(example, true)
	if err != nil || !read {
		t.Fatal(err)
	}
	cs, err := cfg.SinkConfigs()
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
		{"two kinds in one output", "outputs:\n  - stdout: {}\n    url: stdout\n", `CFG:2: output 1: an output takes exactly one of url, stdout, file, syslog, redis, kafka, taxii`},
		{"bad url", "outputs:\n  - url: ftp://x\n", `CFG:2: output 1: output "ftp://x": unknown kind (want stdout, file:, syslog+udp://, syslog+tcp://, syslog+tls://, redis://, kafka:// or taxii://)`},
		{"bad zone term", "geo:\n  home: [DE]\n  zones:\n    bad: [XX]\n", `CFG:4: zone "bad": unknown country code "XX"`},
		{"bad home", "geo:\n  home: [DE, Europa]\n", `CFG:2: home: unknown zone "Europa"`},
		{"bad log level", "logging:\n  level: loud\n", `CFG:2: logging.level "loud": want debug, info, warn or error`},
		{"wrong type", "capture:\n  workers: many\n", `CFG:2:12: capture.workers: want an integer, got string "many"`},
		{"wrong type of a secret", "outputs:\n  - redis:\n      address: h:1\n      password: {s3cret: 1}\n", `CFG:4:18: outputs[0].redis.password: want a string, got a mapping`},
		{"too large for the field", "outputs:\n  - kafka:\n      brokers: [k:9092]\n      topic: t\n      batch_max_bytes: 4294967296\n", `CFG:5:24: outputs[0].kafka.batch_max_bytes: 4294967296 is too large`},
		{"duplicate key", "capture:\n  workers: 2\n  workers: 3\n", `CFG:3`},
		{"two documents", "capture: {}\n---\nlogging: {}\n", `CFG:3: document 2: the configuration is one YAML document`},
		{"queue size", "capture:\n  queue_size: 100000000\n", `CFG:2: capture.queue_size 100000000: want 1 to 65536`},
		{"snap length", "capture:\n  snap_length: 65535\n", `CFG:2: capture.snap_length 65535: want 64 to 1024`},
		{"batch size", "capture:\n  batch_size: 100000\n", `CFG:2: capture.batch_size 100000: want 1 to 65536`},
		{"ring bytes", "capture:\n  ring_bytes: 1073741824\n", `CFG:2: capture.ring_bytes 1073741824: want 4096 to 268435456`},
		{"ring bytes power of two", "capture:\n  ring_bytes: 5000\n", `CFG:2: capture.ring_bytes 5000: want a power of two`},
		{"afpacket blocks", "capture:\n  afpacket_blocks: 100000\n", `CFG:2: capture.afpacket_blocks 100000: want 1 to 1024`},
		{"workers", "capture:\n  workers: 1000\n", `CFG:2: capture.workers 1000: want 1 to 256`},
		{"readers", "capture:\n  readers: 0\n", `CFG:2: capture.readers 0: want 1 to 64`},
		{"queued packets", "capture:\n  workers: 64\n  queue_size: 1024\n  batch_size: 256\n", `CFG:3: capture: workers × (queue_size + 2) × batch_size is 16809984 packet slots: want at most 1048576 (about 100 MiB)`},
		{"afpacket memory", "capture:\n  interfaces: [a, b, c, d, e]\n  readers: 4\n  afpacket_blocks: 1024\n", `CFG:4: capture: interfaces × readers × afpacket_blocks is 20480 MiB of AF_PACKET rings: want at most 4096`},
		{"output queue", "outputs:\n  - stdout: {queue_size: 100000000}\n", `CFG:2: output 1: stdout output: queue_size 100000000: want 0 (default 4096) to 65536`},
		{"spool bytes", "outputs:\n  - redis: {address: 'h:1', spool: {path: /tmp/s, max_bytes: 1099511627776}}\n", `CFG:2: output 1: redis output h:1: spool max_bytes 1099511627776: want 0 (default 67108864) to 17179869184`},
		{"control characters in a message", "outputs:\n  - syslog: {network: \"a\\nb\\u202e\", address: 'h:1'}\n", `CFG:2: output 1: syslog output a\nb\u202e://h:1: network "a\nb\u202e": want udp, tcp or tls`},
		{"deep nesting", "rules:\n  paths: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", `CFG:2:40: nested more than 32 levels deep`},
		{"alias bomb", "a: &a [x]\nb: [" + strings.Repeat("*a,", 200) + "]\n", `CFG:2:302: more than 100 anchors and aliases in one file`},
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

// TestConfigAllErrors: one run reports every problem of the file, in line
// order, type errors with the key path, and the good values still count.
func TestConfigAllErrors(t *testing.T) {
	path := writeFile(t, "bw.yaml", `capture:
  workers: many
  queue_size: 100000000
  snap_length: "x"
  bogus: 1
logging:
  level: loud
outputs:
  - redis: {address: "h:1", password: [a]}
  - url: "redis://:pw@h/0?queue_size=9999999"
`)
	_, stderr, code := runCLI(t, "config", "check", path)
	want := "borderwatch: " + strings.ReplaceAll(`CFG:2:12: capture.workers: want an integer, got string "many"
CFG:3: capture.queue_size 100000000: want 1 to 65536
CFG:4:16: capture.snap_length: want an integer, got string "x"
CFG:5: unknown field "bogus"
CFG:7: logging.level "loud": want debug, info, warn or error
CFG:9:39: outputs[0].redis.password: want a string, got a list
CFG:10: output 2: redis output h:6379: queue_size 9999999: want 0 (default 4096) to 65536
`, "CFG", path)
	if code != exitUsage || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
}

// TestConfigFileBounds: the configuration file must be a regular file of
// at most config.MaxBytes; nothing else is read.
func TestConfigFileBounds(t *testing.T) {
	big := writeFile(t, "big.yaml", "# "+strings.Repeat("x", config.MaxBytes)+"\n")
	_, stderr, code := runCLI(t, "config", "check", big)
	if want := "borderwatch: reading config: open " + big + ": file larger than the limit of 1 MiB\n"; code != exitUsage || stderr != want {
		t.Errorf("big: exit %d, %q, want %q", code, stderr, want)
	}
	dir := t.TempDir()
	_, stderr, code = runCLI(t, "--config", dir, "version")
	if want := "borderwatch: reading config: open " + dir + ": not a regular file (a folder)\n"; code != exitUsage || stderr != want {
		t.Errorf("folder: exit %d, %q, want %q", code, stderr, want)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, stderr, code = runCLI(t, "config", "check", "/dev/zero")
		if want := "borderwatch: reading config: open /dev/zero: not a regular file (a character device)\n"; code != exitUsage || stderr != want {
			t.Errorf("/dev/zero: exit %d, %q, want %q", code, stderr, want)
		}
	}
}

// TestConfigSecrets: passwords and URL credentials appear in no output of
// config check, no error and no log line of an output.
func TestConfigSecrets(t *testing.T) {
	secrets := []string{"s3cret", "PWsys", "PWkafka", "h0nk"}
	check := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q:\n%s", what, s, text)
			}
		}
	}
	good := writeFile(t, "good.yaml", `outputs:
  - url: redis://:s3cret@127.0.0.1:1/0?mode=lpush&key=bw
  - url: redis://u:h0nk@127.0.0.1:1/0
  - redis:
      address: 127.0.0.1:1
      username: u
      password: s3cret
`)
	out, stderr, code := runCLI(t, "config", "check", good)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	check("config check", out+stderr)
	for _, want := range []string{"  - url: redis://:xxxxx@127.0.0.1:1/0?mode=lpush&key=bw\n", "  - url: redis://u:xxxxx@127.0.0.1:1/0\n", "      password: xxxxx\n", "      username: u\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{
		"outputs:\n  - url: syslog+tls://u:PWsys@siem.example:6514\n",
		"outputs:\n  - url: kafka://u:PWkafka@k1:9092/alerts\n",
		"outputs:\n  - url: redis://:s3cret@127.0.0.1:1/x\n",
		"outputs:\n  - url: redis://:s3cret@127.0.0.1:1/0?bogus=1\n",
		"outputs:\n  - url: redis://:s3cret@127.0.0.1:bad/0\n",
		"outputs:\n  - redis: {address: 'h:1', password: 1, bogus: s3cret}\n",
		"outputs:\n  - redis: {address: 'h:1', password: [s3cret]}\n",
		"outputs:\n  - redis: {address: 'h:1', password: s3cret, mode: bogusmode}\n",
	} {
		out, stderr, code := runCLI(t, "config", "check", writeFile(t, "bad.yaml", bad))
		if code != exitUsage {
			t.Errorf("%s: exit %d", bad, code)
		}
		check("config check error", out+stderr)
	}
	// The outputs' names (their log field) and logs.
	cfg, _, err := config.Read(good, true)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := cfg.SinkConfigs()
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	log := zerolog.New(zerolog.SyncWriter(&logs))
	for _, c := range cs {
		o, err := c.Open(log)
		if err != nil {
			t.Fatal(err)
		}
		check("output name", o.Name())
		o.Write(testAlert())
		done := make(chan struct{})
		go func() { o.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Log("output did not close") // not what this test checks
		}
	}
	check("log", logs.String())
	if !strings.Contains(logs.String(), `"output":"redis://127.0.0.1:1/0`) {
		t.Errorf("no log line of the outputs:\n%s", logs.String())
	}
}

func testAlert() *alert.Alert {
	return &alert.Alert{
		Timestamp: time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC).UnixNano(),
		SrcIP:     netip.MustParseAddr("203.0.113.7"), SrcPort: 40000,
		DstIP: netip.MustParseAddr("192.0.2.10"), DstPort: 22, Proto: 6,
		Direction: "to_server", GeoDir: "inbound",
		SignatureID: 9100001, Rev: 1, Signature: "test alert", Severity: 1, Kind: "portscan",
	}
}
