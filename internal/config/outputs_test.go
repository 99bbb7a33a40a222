package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/redact"
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

// TestTAXIIBlock: a taxii: block is the output url: taxii://… gives, is
// checked at its line, and config check shows its password as
// redact.Marker.
func TestTAXIIBlock(t *testing.T) {
	const coll = "https://taxii.example/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
	cfg := Default()
	doc := "outputs:\n  - taxii:\n      collection: " + coll + "\n      user: gw1\n      password: s3cret-pw\n      tlp: green\n      min_severity: 2\n      linger: 2s\n"
	if err := Parse("bw.yaml", []byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	cs, err := cfg.SinkConfigs()
	if err != nil {
		t.Fatal(err)
	}
	tc, ok := cs[0].(*sink.TAXIIConfig)
	if !ok {
		t.Fatalf("output %T, want *sink.TAXIIConfig", cs[0])
	}
	fromURL, err := sink.ParseURL("taxii://gw1:s3cret-pw@taxii.example/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/?tlp=green&min_severity=2&linger=2s")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tc, fromURL) {
		t.Errorf("taxii: block %+v\nurl: taxii:// %+v", tc, fromURL)
	}
	if r := cfg.Redacted(); r.Outputs[0].TAXII.Password != redact.Marker || cfg.Outputs[0].TAXII.Password != "s3cret-pw" {
		t.Errorf("redacted password %q, original %q", r.Outputs[0].TAXII.Password, cfg.Outputs[0].TAXII.Password)
	}

	bad := "outputs:\n  - file: {path: /tmp/a.json}\n  - taxii:\n      collection: http://taxii.example/api1/collections/x/\n"
	err = Parse("bw.yaml", []byte(bad), &cfg)
	if err == nil || err.Error() != ("bw.yaml:3: output 2: taxii output taxii+http://taxii.example/api1/collections/x/: collection URL: plain http only to a loopback address; use https") {
		t.Errorf("plain http to a remote host: %v", err)
	}
	two := "outputs:\n  - taxii: {collection: " + coll + "}\n    url: stdout\n"
	if err := Parse("bw.yaml", []byte(two), &cfg); err == nil || !strings.Contains(err.Error(), "exactly one of url, stdout, file, syslog, redis, kafka, taxii") {
		t.Errorf("taxii and url in one output: %v", err)
	}
}
