package reload

import (
	"context"
	"errors"
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
