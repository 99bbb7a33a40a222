package sink

import "time"

// clock is the time an Output waits on: its backoff, linger, drain
// deadline and Close's grace, and the time of its errors. It is the real
// clock except in tests, which drive a fake one so that what they check
// about shutdown and backoff does not depend on how loaded the machine is.
// The backends' own dial and write timeouts stay on the real clock; the
// drain deadline reaches them through the context it cancels.
type clock interface {
	Now() time.Time
	NewTimer(d time.Duration) timer
	AfterFunc(d time.Duration, f func()) timer
}

// timer is a *time.Timer behind the clock interface.
type timer interface {
	// C is the channel the timer fires on; nil for an AfterFunc timer.
	C() <-chan time.Time
	Stop() bool
}

// realClock is the clock of the time package.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) timer {
	return realTimer{time.AfterFunc(d, f)}
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }
