package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/systemd"
)

// notifySocket listens on a datagram socket and points NOTIFY_SOCKET at it.
func notifySocket(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return c
}

// readNotify reads one notification, waiting at most d.
func readNotify(c *net.UnixConn, d time.Duration) (string, error) {
	buf := make([]byte, 4096)
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return "", err
	}
	n, err := c.Read(buf)
	return string(buf[:n]), err
}

// stderrFile is a file standing in for standard error, and sets
// JOURNAL_STREAM to its device and inode when journal.
func stderrFile(t *testing.T, journal bool) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	t.Setenv("JOURNAL_STREAM", "")
	if journal {
		js, ok := systemd.JournalStream(f)
		if !ok {
			t.Skip("no device and inode of files on this system (the journal is Linux's)")
		}
		t.Setenv("JOURNAL_STREAM", js)
	}
	return f
}

// TestAppLogsToJournal runs a command whose standard error is the journal's
// stream: the app's logger writes the priority prefixes.
func TestAppLogsToJournal(t *testing.T) {
	f := stderrFile(t, true)
	root := newRootCmd(newApp())
	root.SetErr(f)
	root.SetOut(&strings.Builder{})
	root.SetArgs([]string{"replay", "-q", samplePath})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `<6>{"level":"info","component":"geo"`) {
		t.Errorf("stderr:\n%s", b)
	}
}

// TestUnitIsTypeNotify: the shipped unit waits for READY=1.
func TestUnitIsTypeNotify(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "borderwatch.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nType=notify\n") {
		t.Error("deploy/borderwatch.service is not Type=notify")
	}
}

// TestErrorLineToJournal: the error main prints on exit has the error
// priority on the journal's stream, and is unchanged elsewhere.
func TestErrorLineToJournal(t *testing.T) {
	err := errors.New("opening capture: no such device")
	if got := errorLine(stderrFile(t, false), err); got != "borderwatch: opening capture: no such device\n" {
		t.Errorf("elsewhere: %q", got)
	}
	if got := errorLine(stderrFile(t, true), err); got != "<3>borderwatch: opening capture: no such device\n" {
		t.Errorf("journal: %q", got)
	}
}
