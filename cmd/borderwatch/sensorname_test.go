package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSensorName checks sensor_name and --sensor-name: the name is every
// alert's host, the flag overrides the file, and a bad name is a usage error
// naming the file and line or the flag.
func TestSensorName(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bw.yaml")
	if err := os.WriteFile(cfg, []byte("sensor_name: gw-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "--config", cfg, "replay", "-q", samplePath)
	if code != exitOK || strings.Count(out, `"host":"gw-file"`) != 1 {
		t.Errorf("config sensor_name: exit %d, alerts %s%s", code, out, stderr)
	}
	out, stderr, code = runCLI(t, "--config", cfg, "--sensor-name", "gw-flag.example", "replay", "-q", samplePath)
	if code != exitOK || strings.Count(out, `"host":"gw-flag.example"`) != 1 {
		t.Errorf("--sensor-name: exit %d, alerts %s%s", code, out, stderr)
	}
	out, stderr, code = runCLI(t, "--config", cfg, "--sensor-name", "gw flag", "replay", "-q", samplePath)
	if code != exitUsage || out != "" || !strings.Contains(stderr, `--sensor-name: sensor name: byte 3 is ' ': want printable ASCII without spaces`) {
		t.Errorf("bad --sensor-name: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	if err := os.WriteFile(cfg, []byte("# sensor\nsensor_name: \""+strings.Repeat("a", 254)+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = runCLI(t, "--config", cfg, "replay", "-q", samplePath)
	if code != exitUsage || out != "" || !strings.Contains(stderr, cfg+":2: sensor name is 254 bytes long, more than 253") {
		t.Errorf("long sensor_name: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
}
