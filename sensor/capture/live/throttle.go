package live

import (
	"time"

	"github.com/borderwatch/borderwatch/internal/ratelog"
	"github.com/rs/zerolog"
)

// throttle logs repeated errors at most once per interval, with the count of
// those suppressed in between (ratelog). It is safe for concurrent use.
type throttle struct {
	log   zerolog.Logger
	limit *ratelog.Limiter
}

func newThrottle(log zerolog.Logger, every time.Duration) *throttle {
	return &throttle{log: log, limit: ratelog.New(every)}
}

// Error logs err with msg unless a line was logged within the interval.
func (t *throttle) Error(err error, msg string) { t.errorAt(err, msg, time.Now()) }

// errorAt is Error at now.
func (t *throttle) errorAt(err error, msg string, now time.Time) {
	suppressed, ok := t.limit.AllowAt(now)
	if !ok {
		return
	}
	ev := t.log.Error().Err(err)
	if suppressed > 0 {
		ev = ev.Uint64("suppressed", suppressed)
	}
	ev.Msg(msg)
}
