package config

import (
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert/sink"
)

// TestOutputsWith: --output and --alerts replace the configuration's
// outputs, in that order; without them the configuration's are used.
func TestOutputsWith(t *testing.T) {
	cfg := Default()
	if err := Parse("bw.yaml", []byte("outputs:\n  - file: {path: /var/log/bw.json}\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	cs, err := cfg.OutputsWith(nil, "", "eve")
	if err != nil || len(cs) != 1 || cs[0].(*sink.FileConfig).Path != "/var/log/bw.json" {
		t.Fatalf("the configuration's outputs: %v, %v", cs, err)
	}
	cs, err = cfg.OutputsWith([]string{"stdout"}, "/tmp/a.json", "ecs")
	if err != nil || len(cs) != 2 {
		t.Fatalf("flags: %v, %v", cs, err)
	}
	if _, ok := cs[0].(*sink.StdoutConfig); !ok {
		t.Errorf("first output %T, want the --output stdout", cs[0])
	}
	if f, ok := cs[1].(*sink.FileConfig); !ok || f.Path != "/tmp/a.json" || f.Format != "ecs" {
		t.Errorf("second output %+v, want --alerts /tmp/a.json in ecs", cs[1])
	}
	if _, err := cfg.OutputsWith([]string{"gopher://x"}, "", "eve"); err == nil {
		t.Error("an unknown scheme was taken")
	}
}
