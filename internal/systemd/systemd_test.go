package systemd

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
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

func TestSdNotify(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := Notify("READY=1"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v", err)
	}
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify.sock"),
		"@borderwatch-test-" + strconv.Itoa(os.Getpid()), // abstract, as systemd uses
	} {
		c := notifySocket(t, name)
		if err := Notify("READY=1\nSTATUS=capturing"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := readNotify(c, 5*time.Second); err != nil || got != "READY=1\nSTATUS=capturing" {
			t.Errorf("%s: received %q, %v", name, got, err)
		}
	}
	if st := ReloadingState(); !strings.HasPrefix(st, "RELOADING=1") {
		t.Errorf("reloading state %q", st)
	}
	t.Setenv("NOTIFY_SOCKET", "vsock:2:1234")
	if err := Notify("READY=1"); err == nil || !strings.Contains(err.Error(), "only unix socket paths") {
		t.Errorf("vsock address: %v", err)
	}
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
		js, ok := JournalStream(f)
		if !ok {
			t.Skip("no device and inode of files on this system (the journal is Linux's)")
		}
		t.Setenv("JOURNAL_STREAM", js)
	}
	return f
}

// TestJournalPriorities: with standard error on the journal's stream, every
// line carries its level's sd-daemon priority, so that journalctl -p err
// shows the errors; elsewhere the lines are unchanged.
func TestJournalPriorities(t *testing.T) {
	logAll := func(t *testing.T, f *os.File, format string) string {
		t.Helper()
		out, err := LogOutput(f, format)
		if err != nil {
			t.Fatal(err)
		}
		l := zerolog.New(out).Level(zerolog.DebugLevel)
		l.Debug().Msg("d")
		l.Info().Msg("i")
		l.Warn().Msg("w")
		l.Error().Err(errors.New("boom")).Msg("e")
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Run("journal json", func(t *testing.T) {
		got := logAll(t, stderrFile(t, true), "json")
		want := `<7>{"level":"debug","message":"d"}` + "\n" + `<6>{"level":"info","message":"i"}` + "\n" +
			`<4>{"level":"warn","message":"w"}` + "\n" + `<3>{"level":"error","error":"boom","message":"e"}` + "\n"
		if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("journal console", func(t *testing.T) {
		got := logAll(t, stderrFile(t, true), "console")
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != 4 {
			t.Fatalf("got %d lines:\n%s", len(lines), got)
		}
		for i, want := range []string{"<7>", "<6>", "<4>", "<3>"} {
			if !strings.HasPrefix(lines[i], want) {
				t.Errorf("line %d %q lacks the prefix %s", i, lines[i], want)
			}
		}
		if strings.Contains(got, "\x1b[") {
			t.Errorf("colour codes in the journal: %q", got)
		}
	})
	t.Run("not the journal", func(t *testing.T) {
		f := stderrFile(t, false)
		stderrFile(t, true) // JOURNAL_STREAM names another file
		got := logAll(t, f, "json")
		if !strings.HasPrefix(got, `{"level":"debug","message":"d"}`+"\n") || strings.Contains(got, "<") {
			t.Errorf("prefixes outside the journal:\n%s", got)
		}
	})
	t.Run("console on a file has no colour", func(t *testing.T) {
		got := logAll(t, stderrFile(t, false), "console")
		if strings.Contains(got, "\x1b[") || !strings.Contains(got, "ERR e error=boom") {
			t.Errorf("console to a file: %q", got)
		}
	})
}

// TestNoColor: NO_COLOR turns colours off also on a terminal.
func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	if Colourful(os.Stderr) {
		t.Error("colour with NO_COLOR set")
	}
}
