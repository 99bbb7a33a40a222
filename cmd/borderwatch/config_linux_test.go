package main

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestConfigFIFO: a FIFO given as the configuration is refused at once
// (reading it blocked until a writer came).
func TestConfigFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "bw.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, stderr, code := runCLI(t, "config", "check", fifo)
	if want := "borderwatch: reading config: open " + fifo + ": not a regular file (a FIFO)\n"; code != exitUsage || stderr != want {
		t.Errorf("exit %d, %q, want %q", code, stderr, want)
	}
}
