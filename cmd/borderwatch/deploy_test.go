package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// unitHardening is every sandboxing directive of the shipped unit with its
// exact value(s), in order for directives given on several lines (the
// SystemCallFilter lines apply in order: bpf is added back last).
var unitHardening = map[string][]string{
	"DynamicUser":             {"yes"},
	"AmbientCapabilities":     {"CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_NET_RAW"},
	"CapabilityBoundingSet":   {"CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_NET_RAW"},
	"NoNewPrivileges":         {"yes"},
	"LogsDirectory":           {"borderwatch"},
	"ReadWritePaths":          {"/var/log/borderwatch"},
	"StateDirectory":          {"borderwatch"},
	"ExecReload":              {"/bin/kill -HUP $MAINPID"},
	"ProtectSystem":           {"strict"},
	"ProtectHome":             {"yes"},
	"PrivateTmp":              {"yes"},
	"PrivateDevices":          {"yes"},
	"PrivateIPC":              {"yes"},
	"PrivateMounts":           {"yes"},
	"ProtectKernelTunables":   {"yes"},
	"ProtectKernelModules":    {"yes"},
	"ProtectKernelLogs":       {"yes"},
	"ProtectControlGroups":    {"yes"},
	"ProtectClock":            {"yes"},
	"ProtectHostname":         {"yes"},
	"ProtectProc":             {"invisible"},
	"ProcSubset":              {"pid"},
	"RestrictNamespaces":      {"yes"},
	"RestrictRealtime":        {"yes"},
	"RestrictSUIDSGID":        {"yes"},
	"LockPersonality":         {"yes"},
	"MemoryDenyWriteExecute":  {"yes"},
	"RestrictAddressFamilies": {"AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET"},
	"SystemCallFilter":        {"@system-service", "~@privileged @resources", "bpf"},
	"SystemCallErrorNumber":   {"EPERM"},
	"SystemCallArchitectures": {"native"},
	"UMask":                   {"0027"},
	"LimitMEMLOCK":            {"infinity"},
}

// unitDirectives returns the [Service] directives of a unit, by name, with
// the values of repeated directives in file order.
func unitDirectives(text string) map[string][]string {
	d := map[string][]string{}
	section := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			if k, v, ok := strings.Cut(line, "="); ok {
				d[k] = append(d[k], v)
			}
		}
	}
	return d
}

// hardeningProblems lists how a unit differs from unitHardening.
func hardeningProblems(text string) []string {
	got := unitDirectives(text)
	var probs []string
	for _, k := range slices.Sorted(maps.Keys(unitHardening)) {
		if want := unitHardening[k]; !slices.Equal(got[k], want) {
			probs = append(probs, fmt.Sprintf("%s = %q, want %q", k, got[k], want))
		}
	}
	// Directives that would break the sensor: XDP must attach to the
	// host's interfaces (no private network) with capabilities in the
	// host's user namespace (no private users); the user is dynamic.
	for _, k := range []string{"PrivateNetwork", "PrivateUsers", "User", "Group", "SupplementaryGroups"} {
		if v, ok := got[k]; ok {
			probs = append(probs, fmt.Sprintf("unit sets %s=%q", k, v))
		}
	}
	return probs
}

// TestUnitHardening asserts each sandboxing directive of the shipped unit,
// and that the check fails for a unit that lacks or weakens one.
func TestUnitHardening(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "borderwatch.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"no ProtectProc", "ProtectProc=invisible\n", ""},
		{"no ProcSubset", "ProcSubset=pid\n", ""},
		{"tunables writable", "ProtectKernelTunables=yes\n", "ProtectKernelTunables=no\n"},
		{"no bpf", "SystemCallFilter=bpf\n", ""},
		{"privileged kept", "SystemCallFilter=~@privileged @resources\n", "SystemCallFilter=~@resources\n"},
		{"commented out", "MemoryDenyWriteExecute=yes\n", "#MemoryDenyWriteExecute=yes\n"},
		{"private network", "LockPersonality=yes\n", "LockPersonality=yes\nPrivateNetwork=yes\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(unit), tc.old) {
				t.Fatalf("unit lacks %q", tc.old)
			}
			bad := strings.Replace(string(unit), tc.old, tc.new, 1)
			if probs := hardeningProblems(bad); len(probs) == 0 {
				t.Errorf("the check accepts the unit with %s", tc.name)
			}
		})
	}
	for _, p := range hardeningProblems(string(unit)) {
		t.Errorf("shipped unit: %s", p)
	}
}

// TestUnitSecurityExposure: systemd's own rating of the sandbox
// (systemd-analyze security) stays at 2.0 or below; it was 3.9 before
// SystemCallFilter, ProtectKernelTunables, ProtectProc and the like.
func TestUnitSecurityExposure(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd)")
	}
	unit := filepath.Join("..", "..", "deploy", "borderwatch.service")
	out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", "--no-pager", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for borderwatch.service: (\d+\.\d)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: no overall exposure in its output (%v):\n%s", err, out)
	}
	t.Logf("exposure %s", m[1])
	if err != nil {
		t.Errorf("systemd-analyze security: exposure %s is above 2.0 (%v)", m[1], err)
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
