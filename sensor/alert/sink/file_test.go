package sink

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

func openFile(t *testing.T, c *FileConfig) *Output {
	t.Helper()
	o, err := c.Open(testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestFileCloseFlushes queues many alerts and closes at once: every alert
// is in the file, in order, with mode 0640.
func TestFileCloseFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	o := openFile(t, &FileConfig{Path: path, Common: Common{QueueSize: 2000, BatchSize: 7}})
	var want []string
	for i := range 1000 {
		a := testAlert(i, 2)
		o.Write(a)
		want = append(want, eveLine(t, a))
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, path)
	if !slices.Equal(got, want) {
		t.Fatalf("file has %d lines, want %d; first %q", len(got), len(want), got[:min(1, len(got))])
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	s := o.Stats()
	if s.Written != 1000 || s.Dropped.Total() != 0 || s.QueueDepth != 0 {
		t.Errorf("stats %+v, want 1000 written, no drops, empty queue", s)
	}
	// Writing after Close is dropped and counted.
	o.Write(testAlert(1, 1))
	if got := o.Stats().Dropped.Closed; got != 1 {
		t.Errorf("dropped after close = %d, want 1", got)
	}
}

// TestFileAppends checks an existing file is appended to, not truncated.
func TestFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := openFile(t, &FileConfig{Path: path})
	o.Write(testAlert(1, 1))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"old", eveLine(t, testAlert(1, 1))}
	if got := readLines(t, path); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestFileReopen follows logrotate: rename the file, Reopen, and new
// alerts go to a new file at the path.
func TestFileReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.json")
	o := openFile(t, &FileConfig{Path: path})
	o.Write(testAlert(1, 1))
	waitFor(t, "first alert written", func() bool { return o.Stats().Written == 1 })
	if err := os.Rename(path, path+".rotated"); err != nil {
		t.Fatal(err)
	}
	o.Reopen()
	// Reopen is handled before the next batch, so this alert goes to the
	// new file whatever the timing.
	o.Write(testAlert(2, 1))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readLines(t, path+".rotated"), []string{eveLine(t, testAlert(1, 1))}; !slices.Equal(got, want) {
		t.Errorf("rotated file: got %q, want %q", got, want)
	}
	if got, want := readLines(t, path), []string{eveLine(t, testAlert(2, 1))}; !slices.Equal(got, want) {
		t.Errorf("new file: got %q, want %q", got, want)
	}
}

// TestFileRotation checks size rotation keeps MaxBackups files, newest in
// .1, and never splits a line.
func TestFileRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	line := eveLine(t, testAlert(0, 1))
	// Room for three lines per file; a batch of one line at a time.
	o := openFile(t, &FileConfig{Path: path, MaxBytes: int64(3*(len(line)+1) + 1), MaxBackups: 2, Common: Common{BatchSize: 1}})
	var all []string
	for i := range 10 { // all lines have the same length: i is one digit
		a := testAlert(i, 1)
		o.Write(a)
		all = append(all, eveLine(t, a))
		waitFor(t, "alert written", func() bool { return o.Stats().Written == uint64(i+1) })
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	// Files: .2 = lines 3–5, .1 = 6–8, current = 9; lines 0–2 rotated away.
	for _, c := range []struct {
		name string
		want []string
	}{
		{path + ".2", all[3:6]}, {path + ".1", all[6:9]}, {path, all[9:]},
	} {
		if got := readLines(t, c.name); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %d lines %q, want %q", filepath.Base(c.name), len(got), got, c.want)
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf(".3 exists (err %v); want only 2 backups", err)
	}
}

// TestWriterFanOut sends alerts of severities 1–3 to an EVE output taking
// all and an ECS output taking severity 1 only.
func TestWriterFanOut(t *testing.T) {
	dir := t.TempDir()
	all := openFile(t, &FileConfig{Path: filepath.Join(dir, "all.json")})
	high := openFile(t, &FileConfig{Path: filepath.Join(dir, "high.json"), Common: Common{Format: "ecs", MinSeverity: 1}})
	w := NewWriter(all, high)
	var wantAll, wantHigh []string
	for i, sev := range []int{1, 2, 3, 1} {
		a := testAlert(i, sev)
		w.Write(a)
		wantAll = append(wantAll, eveLine(t, a))
		if sev == 1 {
			b, err := alert.AppendECS(nil, a)
			if err != nil {
				t.Fatal(err)
			}
			wantHigh = append(wantHigh, strings.TrimSuffix(string(b), "\n"))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, filepath.Join(dir, "all.json")); !slices.Equal(got, wantAll) {
		t.Errorf("all.json: got %q, want %q", got, wantAll)
	}
	if got := readLines(t, filepath.Join(dir, "high.json")); !slices.Equal(got, wantHigh) {
		t.Errorf("high.json: got %q, want %q", got, wantHigh)
	}
	st := w.Stats()
	if st[0].Written != 4 || st[0].Filtered != 0 || st[1].Written != 2 || st[1].Filtered != 2 {
		t.Errorf("stats: all %d written %d filtered, high %d written %d filtered; want 4/0, 2/2",
			st[0].Written, st[0].Filtered, st[1].Written, st[1].Filtered)
	}
}

// TestWriteAllocs checks the enqueue path allocates nothing in steady state.
func TestWriteAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	o := openFile(t, &FileConfig{Path: filepath.Join(t.TempDir(), "a.json"), Common: Common{QueueSize: 1}})
	defer o.Close()
	w := NewWriter(o)
	a := testAlert(1, 1)
	allocs := testing.AllocsPerRun(100, func() { w.Write(a) })
	if allocs > 0 {
		t.Errorf("%.1f allocations per Write, want 0", allocs)
	}
}
