package sink

import (
	"bufio"
	"context"
	"io"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

// Lines is the blocking, lossless output: it encodes each alert as one JSON
// line into a buffer over w in the caller's goroutine, and Write waits while
// w does. It never drops, never retries and has no queue: once w fails, Write
// and Flush return that error (bufio keeps it), and the caller counts the
// alerts not written and fails the run.
//
// It is what a bounded run (replay, rules test) writes standard output with,
// and why that is not an Output: an Output exists for a destination that
// fails and comes back — it queues, drops when full, backs off and retries —
// so that live capture never waits on it. A replay reads a file and can wait;
// a lost alert there is a wrong answer, and a broken pipe on standard output
// is a failed run, not an outage to ride out.
//
// Lines buffers; Flush (or FlushEvery, for live use) puts the lines out. Its
// methods are safe for concurrent use.
type Lines struct {
	mu  sync.Mutex
	enc *alert.Encoder
	w   *bufio.Writer
	buf []byte
}

// NewLines returns a Lines writing alerts encoded in format f to w.
func NewLines(w io.Writer, f alert.Format) *Lines {
	return &Lines{enc: alert.NewEncoder(f), w: bufio.NewWriterSize(w, 64<<10)}
}

// Write encodes a as one line; it blocks while the buffer is written out.
func (l *Lines) Write(a *alert.Alert) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	l.buf, err = l.enc.Append(l.buf[:0], a)
	if err != nil {
		return err
	}
	_, err = l.w.Write(l.buf)
	return err
}

// Flush writes the buffered lines out.
func (l *Lines) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Flush()
}

// FlushEvery flushes every period until ctx ends, so that live alerts do not
// wait for the buffer to fill. Errors are left to the next Write or Flush.
func (l *Lines) FlushEvery(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = l.Flush()
		}
	}
}
