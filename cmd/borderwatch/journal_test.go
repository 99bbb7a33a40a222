package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/systemd/systemdtest"
)

// TestAppLogsToJournal runs a command whose standard error is the journal's
// stream: the app's logger writes the priority prefixes.
func TestAppLogsToJournal(t *testing.T) {
	f := systemdtest.StderrFile(t, true)
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
	if got := errorLine(systemdtest.StderrFile(t, false), err); got != "borderwatch: opening capture: no such device\n" {
		t.Errorf("elsewhere: %q", got)
	}
	if got := errorLine(systemdtest.StderrFile(t, true), err); got != "<3>borderwatch: opening capture: no such device\n" {
		t.Errorf("journal: %q", got)
	}
}
