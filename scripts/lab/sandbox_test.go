//go:build linux

package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EUnitSandbox runs unit-sandbox.sh: the sensor with XDP under the
// sandbox of deploy/borderwatch.service (its user, capabilities,
// no_new_privs, SystemCallFilter as a seccomp filter, ProtectProc/ProcSubset,
// read-only /sys) must attach, count, alert, reload and detach. Part of
// `make e2e`; skipped in plain `go test ./...`.
func TestE2EUnitSandbox(t *testing.T) {
	requireE2E(t)
	for _, tool := range []string{"setpriv", "unshare", "prlimit", "pgrep", "systemd-analyze", "/usr/bin/python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("unit sandbox: %s missing (scripts/install-deps.sh installs it)", tool)
		}
	}
	if out, err := exec.Command("/usr/bin/python3", "-c", "import seccomp").CombinedOutput(); err != nil {
		t.Fatalf("unit sandbox: python3-seccomp missing (scripts/install-deps.sh installs it): %v\n%s", err, out)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command("timeout", "300", filepath.Join(dir, "unit-sandbox.sh"))
	out, err := c.CombinedOutput()
	t.Logf("unit-sandbox.sh:\n%s", out)
	if err != nil {
		t.Fatalf("unit-sandbox.sh: %v", err)
	}
	for _, want := range []string{"seccomp-exec: ", "(bpf allowed)", "CapEff: 000000c000003000", "NoNewPrivs: 1 Seccomp: 2", "PASS: "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("unit-sandbox.sh output lacks %q", want)
		}
	}
}
