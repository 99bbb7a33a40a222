// Package systemdtest holds the test helpers for what internal/systemd
// speaks to: a notification socket standing in for systemd's and a file
// standing in for the journal's standard error stream. Used by the tests of
// internal/systemd and of the command line that drives it.
package systemdtest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/systemd"
)

// NotifySocket listens on a datagram socket and points NOTIFY_SOCKET at it
// for the rest of t.
func NotifySocket(t testing.TB, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return c
}

// ReadNotify reads one notification, waiting at most d.
func ReadNotify(c *net.UnixConn, d time.Duration) (string, error) {
	buf := make([]byte, 4096)
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return "", err
	}
	n, err := c.Read(buf)
	return string(buf[:n]), err
}

// StderrFile is a file standing in for standard error, and sets
// JOURNAL_STREAM to its device and inode when journal (it skips t where
// files have none).
func StderrFile(t testing.TB, journal bool) *os.File {
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
