package reload

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// Change is a prepared state: Commit installs it, Abort throws it away.
// Commit must not fail on anything Prepare could have checked.
type Change interface {
	Commit() error
	Abort() error
}

// Target is a component a reload changes.
type Target struct {
	Name string
	// Prepare builds and checks the component's state for set and table
	// without changing the running state.
	Prepare func(set *rules.Set, table *geo.Table) (Change, error)
	// Failed, when set, learns of every failed reload, whoever asked for
	// it (SIGHUP, a list update) and whichever step failed, so that a
	// component can say why what it staged is not in force.
	Failed func(err error)
}

// Reloader runs reloads. Build is required; Before, when set, runs first
// on every reload (the CLI reopens the alert files there).
type Reloader struct {
	Build   func() (*rules.Set, *geo.Table, error)
	Before  func()
	Targets []Target
	Reloads *metrics.Reloads // counts attempts; may be nil
	Log     zerolog.Logger

	mu sync.Mutex // one reload at a time (SIGHUP, list updates)
}

// Reload builds the new state and swaps it into every target, or logs why
// not and keeps the running state (rule errors carry file:line:column).
// It returns the error it logged.
// Reloads from several goroutines run one after the other.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Before != nil {
		r.Before()
	}
	start := time.Now()
	set, table, err := r.apply()
	if r.Reloads != nil {
		r.Reloads.Record(err, time.Now())
	}
	if err != nil {
		r.Log.Error().Err(err).Msg("reload failed; keeping the running rules and geoip")
		for _, t := range r.Targets {
			if t.Failed != nil {
				t.Failed(err)
			}
		}
		return err
	}
	r.Log.Info().Int("rules", len(set.Rules)).Str("geoip", table.Source().Name).Dur("took", time.Since(start)).Msg("reloaded")
	return nil
}

func (r *Reloader) apply() (*rules.Set, *geo.Table, error) {
	set, table, err := r.Build()
	if err != nil {
		return nil, nil, err
	}
	changes := make([]Change, 0, len(r.Targets))
	for _, t := range r.Targets {
		c, err := t.Prepare(set, table)
		if err != nil {
			err = fmt.Errorf("%s: %w", t.Name, err)
			for i, p := range changes {
				if aerr := p.Abort(); aerr != nil {
					err = errors.Join(err, fmt.Errorf("%s: abort: %w", r.Targets[i].Name, aerr))
				}
			}
			return nil, nil, err
		}
		changes = append(changes, c)
	}
	var errs []error
	for i, c := range changes {
		if err := c.Commit(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Targets[i].Name, err))
		}
	}
	return set, table, errors.Join(errs...)
}

// Pipeline is the target of the user-space pipeline: its rule set (checked
// against the detection state bound) and its geo table.
func Pipeline(p *pipeline.Pipeline) Target {
	return Target{Name: "pipeline", Prepare: func(set *rules.Set, table *geo.Table) (Change, error) {
		// The rules' worst-case detection state.
		if err := p.CheckRules(set); err != nil {
			return nil, err
		}
		table.PerPacket(set.GeoNeeds()) // builds the per-packet table before the swap
		return pipelineChange{p, set, table}, nil
	}}
}

type pipelineChange struct {
	p     *pipeline.Pipeline
	set   *rules.Set
	table *geo.Table
}

func (c pipelineChange) Commit() error {
	c.p.Geo().Swap(c.table)
	return c.p.SetRules(c.set)
}

func (pipelineChange) Abort() error { return nil }
