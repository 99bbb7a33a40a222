package systemd_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/systemd"
	"github.com/borderwatch/borderwatch/internal/systemd/systemdtest"
	"github.com/rs/zerolog"
)

func TestSdNotify(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := systemd.Notify("READY=1"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v", err)
	}
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify.sock"),
		"@borderwatch-test-" + strconv.Itoa(os.Getpid()), // abstract, as systemd uses
	} {
		c := systemdtest.NotifySocket(t, name)
		if err := systemd.Notify("READY=1\nSTATUS=capturing"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := systemdtest.ReadNotify(c, 5*time.Second); err != nil || got != "READY=1\nSTATUS=capturing" {
			t.Errorf("%s: received %q, %v", name, got, err)
		}
	}
	if st := systemd.ReloadingState(); !strings.HasPrefix(st, "RELOADING=1") {
		t.Errorf("reloading state %q", st)
	}
	t.Setenv("NOTIFY_SOCKET", "vsock:2:1234")
	if err := systemd.Notify("READY=1"); err == nil || !strings.Contains(err.Error(), "only unix socket paths") {
		t.Errorf("vsock address: %v", err)
	}
}

// TestJournalPriorities: with standard error on the journal's stream, every
// line carries its level's sd-daemon priority, so that journalctl -p err
// shows the errors; elsewhere the lines are unchanged.
func TestJournalPriorities(t *testing.T) {
	logAll := func(t *testing.T, f *os.File, format string) string {
		t.Helper()
		out, err := systemd.LogOutput(f, format)
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
		got := logAll(t, systemdtest.StderrFile(t, true), "json")
		want := `<7>{"level":"debug","message":"d"}` + "\n" + `<6>{"level":"info","message":"i"}` + "\n" +
			`<4>{"level":"warn","message":"w"}` + "\n" + `<3>{"level":"error","error":"boom","message":"e"}` + "\n"
		if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("journal console", func(t *testing.T) {
		got := logAll(t, systemdtest.StderrFile(t, true), "console")
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
		f := systemdtest.StderrFile(t, false)
		systemdtest.StderrFile(t, true) // JOURNAL_STREAM names another file
		got := logAll(t, f, "json")
		if !strings.HasPrefix(got, `{"level":"debug","message":"d"}`+"\n") || strings.Contains(got, "<") {
			t.Errorf("prefixes outside the journal:\n%s", got)
		}
	})
	t.Run("console on a file has no colour", func(t *testing.T) {
		got := logAll(t, systemdtest.StderrFile(t, false), "console")
		if strings.Contains(got, "\x1b[") || !strings.Contains(got, "ERR e error=boom") {
			t.Errorf("console to a file: %q", got)
		}
	})
}

// TestNoColor: NO_COLOR turns colours off also on a terminal.
func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	if systemd.Colourful(os.Stderr) {
		t.Error("colour with NO_COLOR set")
	}
}
