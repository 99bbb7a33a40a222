package reload

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Hooks are what HandleSignals calls besides Reload: around a reload (the
// service manager's RELOADING and READY notifications) and on SIGUSR1.
type Hooks struct {
	Reloading, Reloaded, Counters func()
}

// HandleSignals reloads on SIGHUP and calls h.Counters on SIGUSR1 until ctx
// ends or the returned function is called. That function stops the signal
// delivery and the goroutine handling them, and returns once it is gone
// (after the reload or hook in progress, if any); calling it again does
// nothing. A failed reload is logged by Reload and keeps the running
// state.
func (r *Reloader) HandleSignals(ctx context.Context, h Hooks) (stop func()) {
	call := func(f func()) {
		if f != nil {
			f()
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-quit:
				return
			case s := <-sigs:
				switch s {
				case syscall.SIGHUP:
					call(h.Reloading)
					_ = r.Reload() // logged
					call(h.Reloaded)
				case syscall.SIGUSR1:
					call(h.Counters)
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(quit)
			<-done
		})
	}
}
