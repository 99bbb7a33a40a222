package sink

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeClock is a clock that moves only when the test advances it, so that
// what a test checks about backoff and shutdown is counted in the output's
// own time and does not depend on the load of the machine.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []*fakeTimer
}

type fakeTimer struct {
	c  *fakeClock
	d  time.Duration // asked for
	at time.Time
	ch chan time.Time // nil for AfterFunc
	f  func()
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) timer {
	return c.add(&fakeTimer{d: d, ch: make(chan time.Time, 1)})
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) timer {
	return c.add(&fakeTimer{d: d, f: f})
}

func (c *fakeClock) add(t *fakeTimer) *fakeTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t.c, t.at = c, c.now.Add(t.d)
	c.pending = append(c.pending, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	i := slices.Index(t.c.pending, t)
	if i < 0 {
		return false
	}
	t.c.pending = slices.Delete(t.c.pending, i, i+1)
	return true
}

// Advance moves the clock d on and fires the timers due by then, earliest
// first (an AfterFunc's function runs before Advance returns).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	c.pending = slices.DeleteFunc(c.pending, func(t *fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		due = append(due, t)
		return true
	})
	c.mu.Unlock()
	slices.SortStableFunc(due, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		if t.f != nil {
			t.f()
			continue
		}
		select {
		case t.ch <- t.at:
		default:
		}
	}
}

// next returns how far the earliest pending channel timer (a backoff or a
// linger: what the output's goroutine waits on), other than those of
// durations in not, is from now; ok is false when there is none.
func (c *fakeClock) next(not ...time.Duration) (d time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.pending {
		if t.ch == nil || slices.Contains(not, t.d) {
			continue
		}
		if w := t.at.Sub(c.now); !ok || w < d {
			d, ok = w, true
		}
	}
	return d, ok
}

// has reports whether a timer of duration d is pending.
func (c *fakeClock) has(d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.pending, func(t *fakeTimer) bool { return t.d == d })
}

// openClocked opens the output of URL u on clk.
func openClocked(t *testing.T, u string, clk *fakeClock, log zerolog.Logger) *Output {
	t.Helper()
	c, err := ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c.common().clock = clk
	o, err := c.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// waitParked waits until o's goroutine waits on a timer of clk (its
// backoff, or a linger) and returns how far that timer is from now. An
// output spinning without waiting never gets there: the wait gives up
// (after 30 s of real time, which only guards against a hung test).
func waitParked(t *testing.T, o *Output, clk *fakeClock) time.Duration {
	t.Helper()
	var d time.Duration
	waitFor(t, "the output to wait on its clock", func() bool {
		var ok bool
		d, ok = clk.next(o.drain + closeGrace)
		return ok
	})
	return d
}

// TestFakeClock checks the fake clock fires what is due, in order, and
// nothing early.
func TestFakeClock(t *testing.T) {
	c := newFakeClock()
	var fired []string
	c.AfterFunc(300*time.Millisecond, func() { fired = append(fired, "func") })
	t1 := c.NewTimer(100 * time.Millisecond)
	t2 := c.NewTimer(200 * time.Millisecond)
	t3 := c.NewTimer(time.Second)
	if d, ok := c.next(); !ok || d != 100*time.Millisecond {
		t.Errorf("next = %s %v, want 100ms", d, ok)
	}
	if d, ok := c.next(100 * time.Millisecond); !ok || d != 200*time.Millisecond {
		t.Errorf("next but 100ms = %s %v, want 200ms", d, ok)
	}
	c.Advance(99 * time.Millisecond)
	select {
	case <-t1.C():
		t.Error("a 100ms timer fired at 99ms")
	default:
	}
	if !t2.Stop() || t2.Stop() {
		t.Error("Stop of a pending timer: want true once, then false")
	}
	c.Advance(300 * time.Millisecond)
	if at := <-t1.C(); !at.Equal(c.Now().Add(-299 * time.Millisecond)) {
		t.Errorf("t1 fired at %s, want its deadline", at)
	}
	select {
	case <-t2.C():
		t.Error("a stopped timer fired")
	case <-t3.C():
		t.Error("a 1s timer fired at 399ms")
	default:
	}
	if len(fired) != 1 || !c.has(time.Second) || c.has(100*time.Millisecond) {
		t.Errorf("fired %v, pending %d; want the func fired and only the 1s timer left", fired, len(c.pending))
	}
}
