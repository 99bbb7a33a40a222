package reload

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// fake is a target that records what happened to its changes.
type fake struct {
	name    string
	fail    error
	journal *[]string
}

func (f fake) target() Target {
	return Target{Name: f.name, Prepare: func(*rules.Set, *geo.Table) (Change, error) {
		*f.journal = append(*f.journal, "prepare "+f.name)
		if f.fail != nil {
			return nil, f.fail
		}
		return change{f}, nil
	}}
}

type change struct{ f fake }

func (c change) Commit() error { *c.f.journal = append(*c.f.journal, "commit "+c.f.name); return nil }
func (c change) Abort() error  { *c.f.journal = append(*c.f.journal, "abort "+c.f.name); return nil }

func TestReloadPreparesAllBeforeCommitting(t *testing.T) {
	set := &rules.Set{}
	for _, tc := range []struct {
		name     string
		fail     map[string]error
		buildErr error
		want     string
		wantErr  string
	}{
		{name: "all good", want: "prepare a, prepare b, prepare c, commit a, commit b, commit c"},
		{name: "second fails", fail: map[string]error{"b": errors.New("no slots")},
			want: "prepare a, prepare b, abort a", wantErr: "b: no slots"},
		{name: "last fails", fail: map[string]error{"c": errors.New("bad table")},
			want: "prepare a, prepare b, prepare c, abort a, abort b", wantErr: "c: bad table"},
		{name: "build fails", buildErr: errors.New("rules.yaml:3:1: bad"), want: "", wantErr: "rules.yaml:3:1: bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var journal []string
			r := &Reloader{
				Build: func() (*rules.Set, *geo.Table, error) {
					if tc.buildErr != nil {
						return nil, nil, tc.buildErr
					}
					return set, nil, nil
				},
				Log: zerolog.Nop(),
			}
			for _, n := range []string{"a", "b", "c"} {
				r.Targets = append(r.Targets, fake{n, tc.fail[n], &journal}.target())
			}
			_, _, err := r.apply()
			if got := strings.Join(journal, ", "); got != tc.want {
				t.Errorf("steps %s, want %s", got, tc.want)
			}
			if (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			for _, e := range tc.fail {
				if !errors.Is(err, e) {
					t.Errorf("error %v does not wrap %v", err, e)
				}
			}
		})
	}
}

// TestReloadFailureCounted: a failed reload runs Before, is counted and
// returns the error it logged.
func TestReloadFailureCounted(t *testing.T) {
	var before int
	reloads := &metrics.Reloads{}
	r := &Reloader{
		Build:   func() (*rules.Set, *geo.Table, error) { return nil, nil, errors.New("bad file") },
		Before:  func() { before++ },
		Reloads: reloads,
		Log:     zerolog.Nop(),
	}
	if err := r.Reload(); err == nil || err.Error() != "bad file" {
		t.Errorf("error %v", err)
	}
	if ok, failed := reloads.Counts(); ok != 0 || failed != 1 || before != 1 {
		t.Errorf("ok %d failed %d, before ran %d times", ok, failed, before)
	}
}

// Every target with a Failed hook learns of a failed reload, whichever
// step failed; a reload that commits tells none.
func TestReloadTellsTargetsOfFailure(t *testing.T) {
	var told []string
	hook := func(name string) func(error) {
		return func(err error) { told = append(told, name+": "+err.Error()) }
	}
	ok := Target{Name: "ok", Prepare: func(*rules.Set, *geo.Table) (Change, error) { return nopChange{}, nil }, Failed: hook("ok")}
	bad := Target{Name: "bad", Prepare: func(*rules.Set, *geo.Table) (Change, error) { return nil, errors.New("slot table full") }}
	build := func() (*rules.Set, *geo.Table, error) { return &rules.Set{}, nil, nil }
	r := &Reloader{Build: build, Targets: []Target{ok, bad}, Log: zerolog.Nop()}
	if err := r.Reload(); err == nil {
		t.Fatal("reload with a failing target succeeded")
	}
	r.Build = func() (*rules.Set, *geo.Table, error) { return nil, nil, errors.New("bad file") }
	if err := r.Reload(); err == nil {
		t.Fatal("reload with a failing build succeeded")
	}
	if want := []string{"ok: bad: slot table full", "ok: bad file"}; !slices.Equal(told, want) {
		t.Errorf("told %q, want %q", told, want)
	}
}

// TestReloadNamesAbortErrors: a Prepare failure and the aborts failing
// after it each name their target.
func TestReloadNamesAbortErrors(t *testing.T) {
	ok := Target{Name: "kernel", Prepare: func(*rules.Set, *geo.Table) (Change, error) { return failingAbort{}, nil }}
	bad := Target{Name: "lists", Prepare: func(*rules.Set, *geo.Table) (Change, error) { return nil, errors.New("list l1: bad line") }}
	r := &Reloader{Build: func() (*rules.Set, *geo.Table, error) { return &rules.Set{}, nil, nil }, Targets: []Target{ok, bad}, Log: zerolog.Nop()}
	err := r.Reload()
	if want := "lists: list l1: bad line\nkernel: abort: map busy"; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

type failingAbort struct{}

func (failingAbort) Commit() error { return nil }
func (failingAbort) Abort() error  { return errors.New("map busy") }

type nopChange struct{}

func (nopChange) Commit() error { return nil }
func (nopChange) Abort() error  { return nil }

// Reloads from several goroutines (SIGHUP and list source updates) run one
// after the other: no target ever prepares or commits two at once.
func TestReloadSerialises(t *testing.T) {
	var inFlight, most atomic.Int32
	enter := func() {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	tgt := Target{Name: "slow", Prepare: func(*rules.Set, *geo.Table) (Change, error) {
		enter()
		return commitFunc(func() { inFlight.Add(-1) }), nil
	}}
	zones, err := geo.NewZones(geo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	table, err := geo.OpenTable(geo.Paths{}, zones)
	if err != nil {
		t.Fatal(err)
	}
	r := &Reloader{Build: func() (*rules.Set, *geo.Table, error) { return &rules.Set{}, table, nil }, Targets: []Target{tgt}, Log: zerolog.Nop()}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				_ = r.Reload()
			}
		}()
	}
	wg.Wait()
	if m := most.Load(); m != 1 {
		t.Errorf("%d reloads ran at once, want 1", m)
	}
}

type commitFunc func()

func (f commitFunc) Commit() error { f(); return nil }
func (commitFunc) Abort() error    { return nil }
