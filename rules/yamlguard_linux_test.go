package rules

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestLoadRefusesFIFO: a FIFO where a rule file is expected is refused
// without blocking (it hung `rules check` and reloads).
func TestLoadRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := Load(Options{Paths: []string{dir}, NoDefaults: true})
	want := dir + ": no rule files (*.yaml, *.yml) in the folder\n" + fifo + ": open: not a regular file (a FIFO)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}
