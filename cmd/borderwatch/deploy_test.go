package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSystemdUnit runs systemd-analyze verify on the shipped unit, with
// ExecStart pointed at a binary that exists here.
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd)")
	}
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "borderwatch.service"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(unit)
	for _, want := range []string{
		"DynamicUser=yes\n",
		"AmbientCapabilities=CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_NET_RAW\n",
		"CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_NET_RAW\n",
		"ProtectSystem=strict\n", "ProtectHome=yes\n", "PrivateTmp=yes\n", "NoNewPrivileges=yes\n",
		"ReadWritePaths=/var/log/borderwatch\n", "LogsDirectory=borderwatch\n",
		"ExecReload=/bin/kill -HUP $MAINPID\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "borderwatch.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "/usr/local/bin/borderwatch", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestLogrotateSnippet(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "borderwatch.logrotate"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/var/log/borderwatch/*.json {", "postrotate", "--signal=HUP borderwatch.service", "kill -HUP"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("logrotate snippet lacks %q", want)
		}
	}
}

// TestGrafanaDashboard: every metric the dashboard queries is one the
// sensor exports.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "sensor", "metrics", "metrics.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`borderwatch_[a-z_]+`)
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range re.FindAllString(tg.Expr, -1) {
				n++
				if !strings.Contains(string(src), `desc("`+strings.TrimPrefix(m, "borderwatch_")+`"`) {
					t.Errorf("panel %q queries %s, which the sensor does not export", p.Title, m)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d metric references in the dashboard", n)
	}
}
