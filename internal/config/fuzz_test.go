package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfig feeds arbitrary bytes to the configuration loader: it must
// not panic; every error line is FILE:LINE[:COL]: reason; a configuration
// that loads has every size setting within its bounds.
func FuzzConfig(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "borderwatch.example.yaml")); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"", "# only\n", "capture:\n  workers: many\n  queue_size: 100000000\n",
		"capture: {interfaces: [eth0], mode: afpacket, readers: 4, afpacket_blocks: 1024}\n",
		"outputs:\n  - url: redis://:pw@h/0?queue_size=9\n  - redis: {address: 'h:1', password: [x]}\n",
		"geo:\n  home: [DE]\n  zones:\n    a: [FR]\n", "a: &a [x]\nb: *a\n", "capture: &c {workers: 2}\nlogging: *c\n",
		"rules: [[[[]]]]\n", "---\n---\n", "capture:\n  ring_bytes: 4097\n", "outputs: [{kafka: {brokers: [k], topic: t, batch_max_bytes: 99999999999}}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Default()
		err := Parse("fuzz.yaml", data, &cfg)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("error line without the file: %q", line)
				}
			}
			return
		}
		cc := cfg.Capture
		for _, l := range PipelineLimits {
			if v := l.Val(&cc); v < l.Min || v > l.Max {
				t.Fatalf("capture.%s %d loaded, outside %d to %d", l.Key, v, l.Min, l.Max)
			}
		}
		if ps := cc.Live().Problems(); len(ps) > 0 {
			t.Fatalf("loaded with capture problems: %v", ps)
		}
		if n := cc.Workers * (cc.QueueSize + 2) * cc.BatchSize; n > MaxQueuedPackets {
			t.Fatalf("%d queued packets loaded", n)
		}
		if _, err := cfg.SinkConfigs(); err != nil {
			t.Fatalf("loaded, but the outputs fail: %v", err)
		}
	})
}
