package reload

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
)

// TestHandleSignals: SIGHUP reloads between the Reloading and Reloaded
// hooks, SIGUSR1 calls Counters.
func TestHandleSignals(t *testing.T) {
	events := make(chan string, 8)
	r := &Reloader{Log: zerolog.Nop(), Build: func() (*rules.Set, *geo.Table, error) {
		events <- "reload"
		return nil, nil, errors.New("bad rule file")
	}}
	ctx, cancel := context.WithCancel(context.Background())
	stop := r.HandleSignals(ctx, Hooks{
		Reloading: func() { events <- "reloading" },
		Reloaded:  func() { events <- "reloaded" },
		Counters:  func() { events <- "counters" },
	})
	defer stop()
	next := func(want string) {
		t.Helper()
		select {
		case got := <-events:
			if got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s", want)
		}
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	next("reloading")
	next("reload")
	next("reloaded")
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	next("counters")
	cancel()
}

// TestHandleSignalsStop: the returned function ends the goroutine handling
// the signals although its context never ends (a goleak-like check on the
// goroutines' stacks), and may be called twice.
func TestHandleSignalsStop(t *testing.T) {
	r := &Reloader{Log: zerolog.Nop()}
	stop := r.HandleSignals(context.Background(), Hooks{})
	if n := handlers(); n != 1 {
		t.Fatalf("%d signal-handling goroutines while handling, want 1", n)
	}
	stop()
	if n := handlers(); n != 0 {
		t.Errorf("%d signal-handling goroutines after stop, want 0", n)
	}
	stop()
}

// handlers counts the goroutines running HandleSignals' loop.
func handlers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "reload.(*Reloader).HandleSignals.func")
}
