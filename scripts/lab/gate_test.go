//go:build linux

package lab

import (
	"os/exec"
	"strings"
	"testing"
)

// TestE2EGate: without BWL_E2E the lab test skips; with it (make e2e) a
// missing tool or a non-root user is a failure that names what is missing,
// never a skip.
func TestE2EGate(t *testing.T) {
	all := func(string) (string, error) { return "/usr/bin/x", nil }
	without := func(missing ...string) func(string) (string, error) {
		return func(tool string) (string, error) {
			for _, m := range missing {
				if tool == m {
					return "", exec.ErrNotFound
				}
			}
			return "/usr/bin/" + tool, nil
		}
	}
	for _, tc := range []struct {
		name       string
		e2e        string
		euid       int
		look       func(string) (string, error)
		skip       bool
		failHas    []string
		failLacks  []string
		failsEmpty bool
	}{
		{name: "plain go test skips", e2e: "", euid: 0, look: without("hydra"), skip: true, failsEmpty: true},
		{name: "plain go test as a user skips", e2e: "", euid: 1000, look: all, skip: true, failsEmpty: true},
		{name: "make e2e, everything there", e2e: "1", euid: 0, look: all, failsEmpty: true},
		{name: "make e2e without hydra fails naming it", e2e: "1", euid: 0, look: without("hydra"),
			failHas: []string{"lab tools missing: hydra ", "install-deps.sh"}, failLacks: []string{"root"}},
		{name: "make e2e without several tools names each", e2e: "1", euid: 0, look: without("masscan", "dnsmasq", "/usr/sbin/sshd", "ethtool"),
			failHas: []string{"dnsmasq", "/usr/sbin/sshd", "masscan", "ethtool"}},
		{name: "make e2e as a user fails", e2e: "1", euid: 1000, look: all, failHas: []string{"needs root", "sudo make e2e"}},
		{name: "make e2e as a user without hping3 names both", e2e: "1", euid: 1000, look: without("hping3"),
			failHas: []string{"needs root", "hping3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skip, fail := e2eGate(tc.e2e, tc.euid, tc.look)
			if (skip != "") != tc.skip {
				t.Errorf("skip = %q, want skip %v", skip, tc.skip)
			}
			if tc.failsEmpty && fail != "" {
				t.Errorf("fail = %q, want none", fail)
			}
			if !tc.failsEmpty && fail == "" {
				t.Fatalf("no failure, want one")
			}
			for _, w := range tc.failHas {
				if !strings.Contains(fail, w) {
					t.Errorf("failure %q does not name %q", fail, w)
				}
			}
			for _, w := range tc.failLacks {
				if strings.Contains(fail, w) {
					t.Errorf("failure %q mentions %q", fail, w)
				}
			}
		})
	}
}
