package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// checkConsole refuses, before anything starts, a console configuration
// that is invalid or would serve the console beyond loopback without
// authentication (usage error, exit 2).
func (a *app) checkConsole() error {
	for _, p := range a.cfg.Console.Problems() {
		return usageErr("%s", p.Msg)
	}
	if err := a.cfg.Console.CheckListen(a.cfg.Metrics.Listen); err != nil {
		return usageError{Err: err}
	}
	return nil
}

// newConsoleHub is the hub the pipeline publishes its alerts to; nil (no
// cost per alert) when the console is off.
func (a *app) newConsoleHub() *console.Hub {
	if !a.cfg.Console.Enabled || a.cfg.Metrics.Listen == "off" || a.cfg.Metrics.Listen == "" {
		return nil
	}
	return console.NewHub(a.cfg.Console)
}

// serveMetrics starts the metrics listener with the console at / (when
// console.enabled) fed by hub.
func (a *app) serveMetrics(src metrics.Sources, hub *console.Hub) (*metrics.Server, error) {
	c := a.cfg.Console
	opt := metrics.Options{}
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return nil, usageError{Err: err}
	}
	opt.TLS = tlsCfg
	if hub != nil {
		srv, err := console.New(c, hub, console.Sources{Sources: src, SensorName: a.cfg.SensorName, Started: time.Now()})
		if err != nil {
			return nil, usageError{Err: err}
		}
		opt.Root, opt.Collectors = srv.Handler(), []prometheus.Collector{srv.Collector()}
	}
	s, err := metrics.ServeWith(a.cfg.Metrics.Listen, metrics.New(src), a.logger("metrics"), opt)
	if le := (*metrics.ListenError)(nil); errors.As(err, &le) {
		err = usageError{Err: le}
	}
	return s, err
}

// replayReport is replay's --report FILE: the alerts are also recorded,
// and the HTML report is written once the replay ends.
type replayReport struct {
	f   *os.File
	rep *console.Report
}

func addReportFlag(f *pflag.FlagSet, path *string) {
	f.StringVar(path, "report", "", "also write a self-contained HTML report (map, timeline, traffic per country, alert table) to FILE")
}

// newReplayReport creates FILE now, so that a bad path fails before the
// replay (exit 2); nil without --report.
func newReplayReport(path string) (*replayReport, error) {
	if path == "" {
		return nil, nil
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, usageErr("--report %s: not a regular file", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usageErr("--report: %w", err)
	}
	return &replayReport{f: f, rep: console.NewReport(0)}, nil
}

// wrap records the alerts on their way to next.
func (r *replayReport) wrap(next pipeline.Sink) pipeline.Sink {
	if r == nil {
		return next
	}
	return r.rep.Wrap(next)
}

// write writes and closes the report.
func (r *replayReport) write(a *app, files []string, stats pipeline.Stats, table *geo.Table) error {
	if r == nil {
		return nil
	}
	err := r.rep.WriteHTML(r.f, console.ReportInput{Files: files, Stats: stats, Table: table, Generated: time.Now(),
		Version: buildInfo().Version, Sensor: a.cfg.SensorName})
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the report %s: %w", r.f.Name(), err)
	}
	return nil
}
