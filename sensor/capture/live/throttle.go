package live

import (
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// throttle logs repeated errors at most once per interval, with the count of
// those suppressed in between. It is safe for concurrent use.
type throttle struct {
	log   zerolog.Logger
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newThrottle(log zerolog.Logger, every time.Duration) *throttle {
	return &throttle{log: log, every: every}
}

// Error logs err with msg unless a line was logged within the interval.
func (t *throttle) Error(err error, msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if !t.last.IsZero() && now.Sub(t.last) < t.every {
		t.suppressed++
		return
	}
	ev := t.log.Error().Err(err)
	if t.suppressed > 0 {
		ev = ev.Int("suppressed", t.suppressed)
	}
	ev.Msg(msg)
	t.last, t.suppressed = now, 0
}
