package sink

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/syncbuf"
	"github.com/borderwatch/borderwatch/sensor/alert"
)

// TestLinesWritesEveryAlert checks that Lines keeps every alert, in order,
// one EVE line each, and puts nothing out before Flush.
func TestLinesWritesEveryAlert(t *testing.T) {
	var out bytes.Buffer
	l := NewLines(&out, alert.FormatEVE)
	var want []string
	// More than the 64 KiB buffer holds, so Write also blocks on w.
	for i := range 2000 {
		a := testAlert(i%60, 3)
		if err := l.Write(a); err != nil {
			t.Fatalf("alert %d: %v", i, err)
		}
		want = append(want, eveLine(t, a))
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// failWriter fails every write with err.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestLinesReturnsWriteError checks that the writer's error reaches the
// caller (a replay stops on a broken pipe) instead of being retried or
// counted away.
func TestLinesReturnsWriteError(t *testing.T) {
	broken := errors.New("broken pipe")
	l := NewLines(failWriter{broken}, alert.FormatEVE)
	if err := l.Write(testAlert(1, 3)); err != nil {
		t.Fatalf("buffered write: %v", err)
	}
	if err := l.Flush(); !errors.Is(err, broken) {
		t.Fatalf("Flush: %v, want %v", err, broken)
	}
	// bufio keeps the error: the next write fails too.
	if err := l.Write(testAlert(2, 3)); !errors.Is(err, broken) {
		t.Fatalf("Write after the error: %v, want %v", err, broken)
	}
}

// TestLinesFlushEvery checks that the live flusher puts a buffered line out
// without a Flush call.
func TestLinesFlushEvery(t *testing.T) {
	var out syncbuf.Buffer
	l := NewLines(&out, alert.FormatEVE)
	a := testAlert(7, 3)
	if err := l.Write(a); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); s != "" {
		t.Fatalf("written before a flush: %q", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.FlushEvery(ctx, time.Millisecond); close(done) }()
	want := eveLine(t, a) + "\n"
	waitFor(t, "the flusher", func() bool { return out.String() == want })
	cancel()
	<-done
}
