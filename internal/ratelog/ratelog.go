// Package ratelog decides when a repeated event is logged again: at most
// once per interval, with the count of the occurrences not logged in
// between, so that an error repeating thousands of times a second gives a
// line per interval, not thousands. The caller writes the line itself (its
// message and fields are its own); Limiter only says whether, and how many
// were skipped.
//
//	if skipped, ok := l.Allow(); ok {
//		log.Error().Err(err).Uint64("suppressed", skipped).Msg("…")
//	}
package ratelog

import (
	"sync"
	"time"
)

// Limiter lets one log line through per interval. The first occurrence,
// and the first after Reset, always passes. The zero Limiter lets every
// line through; it is safe for concurrent use.
type Limiter struct {
	every time.Duration

	mu      sync.Mutex
	last    time.Time // of the last line let through; zero: none yet
	skipped uint64    // occurrences not logged since last
}

// New is a Limiter letting a line through at most once per every.
func New(every time.Duration) *Limiter { return &Limiter{every: every} }

// Allow is AllowAt(time.Now()).
func (l *Limiter) Allow() (skipped uint64, ok bool) { return l.AllowAt(time.Now()) }

// AllowAt records an occurrence at now and reports whether it is logged:
// ok when no line was let through within the interval before now, with
// skipped the occurrences not logged since the last line (then counted
// afresh); otherwise the occurrence is counted as skipped.
func (l *Limiter) AllowAt(now time.Time) (skipped uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.skipped++
		return 0, false
	}
	skipped = l.skipped
	l.last, l.skipped = now, 0
	return skipped, true
}

// PassAt records an occurrence at now that is logged whatever the
// interval (a new kind of error, worth a line at once) and returns the
// occurrences not logged since the last line; the interval restarts at
// now.
func (l *Limiter) PassAt(now time.Time) (skipped uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	skipped = l.skipped
	l.last, l.skipped = now, 0
	return skipped
}

// Reset starts afresh (an outage ended): the next occurrence is let
// through at once, and the occurrences skipped so far are forgotten.
func (l *Limiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last, l.skipped = time.Time{}, 0
}
