package agent

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/lifecycle"
	"github.com/borderwatch/borderwatch/internal/systemd"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/capture/live"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

// Config is what the live sensor runs with: each component's
// configuration, assembled by the CLI, and the state it loaded.
type Config struct {
	Capture  live.Configuration
	Pipeline pipeline.Config // Live is set by Run
	Metrics  string          // metrics.listen: host:port, or off
	Console  console.Configuration
	Build    metrics.BuildInfo

	// Rules, Geo and Kernel are the loaded rules, the geo table for their
	// zones and the rules' kernel tables (live.CompileRules).
	Rules  *rules.Set
	Geo    *geo.Table
	Kernel *live.Rules

	// OpenOutputs starts the alert outputs (the CLI's flags choose them).
	OpenOutputs func() (*sink.Alerts, error)
	// Rebuild loads the rules and the geo table again for a reload.
	Rebuild func() (*rules.Set, *geo.Table, error)
	// ReloadedConsole, when not nil, returns the console section the
	// last Rebuild read (the configuration file again): the console's
	// reload target takes its authentication from it.
	ReloadedConsole func() console.Configuration
	// Targets are more reload targets, after the pipeline and the kernel
	// stage (the list sources': their lists are in force once committed).
	Targets []reload.Target
	// Collectors are more metrics to serve (the list sources').
	Collectors []prometheus.Collector
	// Background, when not nil, starts what runs beside the capture (the
	// list sources' refresher, which reloads through rl); Run calls wait
	// once the capture stopped.
	Background func(ctx context.Context, rl *reload.Reloader) (wait func())
	// Logger is the sub-logger of a component.
	Logger func(component string) zerolog.Logger
	// Held, when not nil, is a channel the caller registered for SIGHUP
	// and SIGUSR1 (signal.Notify) before its own start-up work (loading
	// rules and GeoIP): Run holds what it receives as it holds what
	// arrives during Run's start, and stops it. Nil: Run registers one.
	Held chan os.Signal
}

// HoldSignals registers a channel for SIGHUP and SIGUSR1, whose default
// action ends the process, for Config.Held: a caller's start-up work
// before Run survives them, and Run acts on them once it handles signals.
func HoldSignals() chan os.Signal {
	held := make(chan os.Signal, 4)
	signal.Notify(held, syscall.SIGHUP, syscall.SIGUSR1)
	return held
}

// Run starts the components, runs until ctx ends or SIGINT or SIGTERM,
// and stops them: at the end the pipeline has closed the live sources,
// the list refresher and a reload under way (SIGHUP) have ended, then the
// metrics endpoint, the pipeline, the alert outputs and the
// kernel stage stop. SIGHUP reloads the rules and GeoIP (Rebuild, then
// prepare and commit everywhere, or nowhere) and reopens the alert
// files; SIGUSR1 logs the counters.
func Run(ctx context.Context, c Config) error {
	log := c.Logger("run")
	// SIGHUP and SIGUSR1 end a process by default: one sent while the
	// sensor starts (a logrotate's postrotate, an operator, a script that
	// saw the process) is held here until the reloader handles them, then
	// raised again.
	early := c.Held
	if early == nil {
		early = HoldSignals()
	}
	defer signal.Stop(early)
	log.Info().Int("rules", len(c.Rules.Rules)).Str("geoip", c.Geo.Source().Name).Msg("rules and geoip loaded")
	for _, w := range c.Rules.GeoWarnings(c.Geo) {
		log.Warn().Msg(w)
	}
	cc := c.Pipeline
	cc.Live = true
	cc.Log = c.Logger("pipeline")
	var (
		lc   *live.Capture
		out  *sink.Alerts
		p    *pipeline.Pipeline
		srv  *metrics.Server
		src  metrics.Sources
		rl   *reload.Reloader
		err  error
		none = func() error { return nil }
		hub  = console.NewHubFor(c.Console, c.Metrics) // nil when the console is off
		geoh = geo.NewHolder(c.Geo)
	)
	started, err := lifecycle.Start(
		lifecycle.Component{Name: "capture", Start: func() (func() error, error) {
			lc, err = live.Open(c.Capture, c.Geo, c.Kernel, c.Logger("capture"))
			return func() error {
				if err := lc.Close(); err != nil {
					log.Warn().Err(err).Msg("detaching capture")
				}
				return nil
			}, err
		}},
		lifecycle.Component{Name: "alert outputs", Start: func() (func() error, error) {
			out, err = c.OpenOutputs()
			return func() error { return out.Close() }, err
		}},
		lifecycle.Component{Name: "pipeline", Start: func() (func() error, error) {
			p, err = pipeline.New(cc, geoh, c.Rules, hub.Wrap(out))
			if err != nil {
				return none, err
			}
			src = metrics.Sources{Build: c.Build, Pipeline: p.Stats, Rules: p.Rules, Geo: geoh, Kernel: lc.KernelStats(),
				Reloads: &metrics.Reloads{}, Extra: c.Collectors}
			if out.Writer != nil {
				src.Sinks = out.Writer.Stats
			}
			kernel := reload.Target{Name: "kernel", Prepare: func(set *rules.Set, table *geo.Table) (reload.Change, error) {
				return lc.Prepare(set, table)
			}}
			rl = NewReloader(c.Rebuild, c.Logger("reload"), p, out.Writer, src.Reloads, append([]reload.Target{kernel}, c.Targets...)...)
			return func() error { p.Close(); return nil }, nil
		}},
		lifecycle.Component{Name: "metrics endpoint", Start: func() (func() error, error) {
			var targets []reload.Target
			srv, targets, err = console.Serve(c.Metrics, c.Console, hub, console.Sources{Sources: src, SensorName: cc.SensorName, Started: time.Now()},
				c.ReloadedConsole, c.Logger("metrics"))
			if err != nil {
				return none, err
			}
			// The console's authentication and password file are read
			// again on SIGHUP. No
			// reload runs yet: signals and list updates start later.
			rl.Targets = append(rl.Targets, targets...)
			return func() error { return srv.Close() }, nil
		}},
	)
	if err != nil {
		return err
	}
	names := make([]string, len(lc.Sources))
	for i, s := range lc.Sources {
		names[i] = s.Name()
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopSignals := rl.HandleSignals(ctx, reload.Hooks{
		Reloading: func() { systemd.NotifyState(log, systemd.ReloadingState()) },
		Reloaded:  func() { systemd.NotifyState(log, "READY=1") },
		Counters:  func() { metrics.LogCounters(c.Logger("counters"), src) },
	})
	defer stopSignals()
	signal.Stop(early)
	for held := true; held; {
		select {
		case s := <-early:
			if sig, ok := s.(syscall.Signal); ok {
				_ = syscall.Kill(os.Getpid(), sig) // handled now
			}
		default:
			held = false
		}
	}
	// Logged once the signals are handled: scripts and tests wait for
	// this line before they send one.
	log.Info().Str("capture", lc.Mode).Strs("sources", names).Str("metrics", srv.Addr()).Int("workers", cc.Workers).
		Bool("enforce", cc.Enforce).Int("drop_rules", len(c.Kernel.Drops())).Msg("sensor running")
	if out.Lines != nil {
		go out.Lines.FlushEvery(ctx, time.Second)
	}
	wait := func() {}
	if c.Background != nil {
		wait = c.Background(ctx, rl)
	}

	// Capture is attached and the signals are handled: systemd
	// (Type=notify) may consider the service started.
	systemd.NotifyState(log, "READY=1\nSTATUS=capturing with "+lc.Mode+" on "+strings.Join(c.Capture.Interfaces, ","))
	runErr := p.RunSources(ctx, lc.Sources...)
	stop()
	wait()
	// A reload under way (SIGHUP) ends before the components it changes
	// stop: stopSignals returns once the signal handling is gone.
	stopSignals()
	systemd.NotifyState(log, "STOPPING=1")
	if err := started.Stop(); err != nil && runErr == nil {
		runErr = err
	}
	src.Kernel = nil // the kernel stage is closed
	metrics.LogCounters(c.Logger("counters"), src)
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	return nil
}

// NewReloader is the reload of a running sensor: it reopens the alert
// files (w, when not nil), builds the rules and the geo table again
// (build) and swaps them into the pipeline and the targets, or into none
// of them.
func NewReloader(build func() (*rules.Set, *geo.Table, error), log zerolog.Logger, p *pipeline.Pipeline, w *sink.Writer, reloads *metrics.Reloads, targets ...reload.Target) *reload.Reloader {
	rl := &reload.Reloader{Build: build, Targets: append([]reload.Target{reload.Pipeline(p)}, targets...), Reloads: reloads, Log: log}
	if w != nil {
		rl.Before = w.Reopen
	}
	return rl
}
