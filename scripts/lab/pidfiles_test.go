package lab

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestLabDaemonsKeepTheirOwnFiles: the lab's daemons run in network
// namespaces but share the host's file system, so a file a daemon writes by
// default (dnsmasq's /var/run/dnsmasq.pid, sshd's /run/sshd.pid) is one for
// all of them and the host's own: four dnsmasqs racing for one pid file made
// one exit ("failed to open pidfile /var/run/dnsmasq.pid: File exists") and
// a lab start fail on "dnsmasq reflector … not ready" in a CI rehearsal.
// Every dnsmasq the lab starts has no pid file, every sshd one in the
// lab's state.
func TestLabDaemonsKeepTheirOwnFiles(t *testing.T) {
	b, err := os.ReadFile("lab.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	starts := regexp.MustCompile(`(?m)^\s*start [^\n]*dnsmasq [^\n]*`).FindAllString(script, -1)
	if len(starts) < 2 {
		t.Fatalf("found %d dnsmasq starts in lab.sh, want the home DNS server and the reflectors", len(starts))
	}
	for _, s := range starts {
		if !strings.Contains(s, " --pid-file= ") {
			t.Errorf("a dnsmasq writes the host's pid file (no empty --pid-file=): %s", strings.TrimSpace(s))
		}
	}
	if !strings.Contains(script, "PidFile $STATE/run/sshd-$1.pid") {
		t.Error("the lab's sshd configuration has no PidFile in the lab's state")
	}
}
