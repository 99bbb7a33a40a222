package ratelog

import (
	"sync"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
	l := New(10 * time.Second)
	type step struct {
		at      time.Duration
		reset   bool
		pass    bool // PassAt instead of AllowAt
		ok      bool
		skipped uint64
	}
	for i, s := range []step{
		{at: 0, ok: true},                          // the first passes
		{at: time.Second},                          // within the interval
		{at: 5 * time.Second},                      //
		{at: 9*time.Second + 999*time.Millisecond}, //
		{at: 10 * time.Second, ok: true, skipped: 3},
		{at: 11 * time.Second},
		{at: 12 * time.Second, reset: true, ok: true}, // Reset: at once, 11s forgotten
		{at: 13 * time.Second},
		{at: time.Hour, ok: true, skipped: 1},
		{at: time.Hour + time.Second},
		{at: time.Hour - time.Second},                                     // a clock going back stays quiet
		{at: time.Hour + 2*time.Second, pass: true, ok: true, skipped: 2}, // passes within the interval
		{at: time.Hour + 3*time.Second},                                   // which restarted
		{at: time.Hour + 12*time.Second, ok: true, skipped: 1},
	} {
		if s.reset {
			l.Reset()
		}
		var skipped uint64
		ok := true
		if s.pass {
			skipped = l.PassAt(t0.Add(s.at))
		} else {
			skipped, ok = l.AllowAt(t0.Add(s.at))
		}
		if ok != s.ok || skipped != s.skipped {
			t.Errorf("step %d at %s: %d, %v; want %d, %v", i, s.at, skipped, ok, s.skipped, s.ok)
		}
	}
	var zero Limiter
	for i := range 3 {
		if skipped, ok := zero.AllowAt(t0); !ok || skipped != 0 {
			t.Errorf("zero Limiter, call %d: %d, %v", i, skipped, ok)
		}
	}
}

// TestLimiterConcurrent: every occurrence is either logged or counted in
// the next line's skipped.
func TestLimiterConcurrent(t *testing.T) {
	l := New(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	logged := 0
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if _, ok := l.Allow(); ok {
					mu.Lock()
					logged++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	skipped, ok := l.AllowAt(time.Now().Add(2 * time.Hour))
	if logged != 1 || !ok || skipped != 7999 {
		t.Errorf("logged %d, then %d skipped (%v); want 1 and 7999", logged, skipped, ok)
	}
}
