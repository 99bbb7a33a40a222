package pipeline

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/internal/ratelog"
	"github.com/rs/zerolog"
)

// Bounds of the panic guard: more than MaxPanics recovered panics within
// PanicWindow (wall clock) stop the pipeline with ErrPanics instead of
// dropping packet after packet.
const (
	MaxPanics   = 100
	PanicWindow = 10 * time.Second
)

// panicLogEvery is how often a recovered panic is logged at most; the
// panics in between are counted and reported with the next log line.
const panicLogEvery = 10 * time.Second

// PanicsError is the error the pipeline stops with when panics repeat
// beyond the bound.
type PanicsError struct {
	N      int           // panics within Window
	Window time.Duration // the window
	Last   string        // the last panic's value
}

func (e *PanicsError) Error() string {
	return fmt.Sprintf("pipeline: %d panics within %s (last: %s): stopping instead of dropping every packet", e.N, e.Window, e.Last)
}

// guard recovers the panics of the per-packet path (decoder, flow table,
// detectors, enrichment, sink) at the worker and reader boundaries: the
// packet in process is dropped and counted, the panic is logged
// (rate-limited, with its stack the first time, never the packet's
// bytes), and the goroutine carries on with the next packet. Beyond
// MaxPanics within PanicWindow it fails: the run in progress is cancelled
// and returns a *PanicsError.
type guard struct {
	log    zerolog.Logger
	total  atomic.Uint64
	failed atomic.Bool

	mu          sync.Mutex
	windowStart time.Time
	inWindow    int
	logs        *ratelog.Limiter // of the panic log lines; made by the first panic
	stackLogged bool
	err         *PanicsError
	cancel      context.CancelFunc // of the run in progress, nil between runs
}

// try calls step and reports whether it panicked; a panic is recovered and
// counted. step must not keep state that a panic leaves half-updated and
// that its next call trusts.
func (g *guard) try(where string, step func()) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			g.recovered(where, r)
			panicked = true
		}
	}()
	step()
	return false
}

// recovered counts and logs one panic and checks the bound.
func (g *guard) recovered(where string, r any) { g.recoveredAt(where, r, time.Now()) }

// recoveredAt is recovered at t.
func (g *guard) recoveredAt(where string, r any, t time.Time) {
	g.total.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.Sub(g.windowStart) > PanicWindow {
		g.windowStart, g.inWindow = t, 0
	}
	g.inWindow++
	value := fmt.Sprint(r)
	if len(value) > 200 {
		value = value[:200] + "…"
	}
	if g.inWindow > MaxPanics && g.err == nil {
		g.err = &PanicsError{N: g.inWindow, Window: PanicWindow, Last: value}
		g.failed.Store(true)
		if g.cancel != nil {
			g.cancel()
		}
	}
	if g.logs == nil {
		g.logs = ratelog.New(panicLogEvery)
	}
	if unlogged, ok := g.logs.AllowAt(t); ok {
		ev := g.log.Error().Str("in", where).Str("panic", value).Uint64("panics_total", g.total.Load()).
			Uint64("not_logged", unlogged)
		if !g.stackLogged {
			ev = ev.Str("stack", string(debug.Stack()))
			g.stackLogged = true
		}
		ev.Msg("recovered a panic: packet dropped")
	}
}

// fail returns the error the guard failed with, nil while it has not.
func (g *guard) fail() error {
	if !g.failed.Load() {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// setCancel installs the cancel function of the run in progress (nil at
// its end); a guard that already failed cancels at once.
func (g *guard) setCancel(cancel context.CancelFunc) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cancel = cancel
	if cancel != nil && g.err != nil {
		cancel()
	}
}
