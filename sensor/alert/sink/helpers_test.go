package sink

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/rs/zerolog"
)

// testAlert returns alert number i with severity sev: a TCP alert with a
// community id and flow id that encode i.
func testAlert(i, sev int) *alert.Alert {
	return &alert.Alert{
		Timestamp:   time.Date(2026, 11, 25, 22, 0, i, 1000, time.UTC).UnixNano(),
		FlowID:      uint64(1000 + i),
		CommunityID: "1:test" + strconv.Itoa(i) + "=",
		SrcIP:       netip.MustParseAddr("203.0.113.7"),
		SrcPort:     uint16(40000 + i),
		DstIP:       netip.MustParseAddr("192.0.2.10"),
		DstPort:     22,
		Proto:       6,
		Direction:   "to_server",
		GeoDir:      "inbound",
		SignatureID: 9100001,
		Rev:         1,
		Signature:   "test alert " + strconv.Itoa(i),
		Severity:    sev,
		Kind:        "portscan",
	}
}

// eveLine is the EVE encoding of a, without the newline.
func eveLine(t *testing.T, a *alert.Alert) string {
	t.Helper()
	b, err := alert.AppendEVE(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

func testLog(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t))
}

// waitFor polls cond until it holds; the deadline only guards against a
// hung test, nothing is asserted about time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freePort returns a loopback port that was free a moment ago, for network
// "tcp" or "udp".
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// needBinary skips the test when name is not installed.
func needBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return filepath.Join(dir, name)
			}
		}
		t.Skipf("%s not installed (apt-get install %s); skipping", name, name)
	}
	return p
}

// startProcess starts cmd and stops it in t.Cleanup.
func startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
}

// waitTCP waits until addr accepts connections.
func waitTCP(t *testing.T, addr string) {
	t.Helper()
	waitFor(t, addr+" to accept connections", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// readLines returns the lines of path without newlines; a missing file is
// empty.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
