package console

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/inputerr"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

// ConfigError is an error of the console's settings or files (a bad
// value, the password file, the TLS certificate) or of the metrics
// listener: invalid input (the CLI's exit code 2), not a runtime failure.
type ConfigError = inputerr.Error

// Check refuses, before anything starts, a configuration that is invalid
// or would serve the console on the metrics listener listen beyond
// loopback without authentication.
func (c *Configuration) Check(listen string) error {
	for _, p := range c.Problems() {
		return &ConfigError{Err: errors.New(p.Msg)}
	}
	if err := c.CheckListen(listen); err != nil {
		return &ConfigError{Err: fmt.Errorf("console: %w", err)}
	}
	return nil
}

// On reports whether the console is served: enabled, on a metrics
// listener that is not off.
func (c *Configuration) On(listen string) bool {
	return c.Enabled && listen != "off" && listen != ""
}

// NewHubFor is the hub the pipeline publishes its alerts to; nil (no cost
// per alert) when the console is off.
func NewHubFor(c Configuration, listen string) *Hub {
	if !c.On(listen) {
		return nil
	}
	return NewHub(c)
}

// Serve starts the metrics listener at listen (metrics.listen; "off"
// serves nothing) over TLS when c.TLS says so, with the console at / fed
// by hub when hub is not nil. It returns the console's reload targets
// besides the listener: its authentication, read again on SIGHUP from
// next() (the console section the reload read; nil: c) and the password
// file (Server.ReloadTarget). Bad settings and a listener that cannot be
// opened are a *ConfigError.
func Serve(listen string, c Configuration, hub *Hub, src Sources, next func() Configuration, log zerolog.Logger) (*metrics.Server, []reload.Target, error) {
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return nil, nil, &ConfigError{Err: err}
	}
	opt := metrics.Options{TLS: tlsCfg}
	var targets []reload.Target
	if hub != nil {
		srv, err := New(c, hub, src)
		if err != nil {
			return nil, nil, &ConfigError{Err: err}
		}
		srv.listen, srv.log = listen, log.With().Str("component", "console").Logger()
		opt.Root, opt.Collectors = srv.Handler(), []prometheus.Collector{srv.Collector()}
		targets = append(targets, srv.ReloadTarget(next))
	}
	s, err := metrics.ServeWith(listen, metrics.New(src.Sources), log, opt)
	if le := (*metrics.ListenError)(nil); errors.As(err, &le) {
		return nil, nil, &ConfigError{Err: le}
	}
	if err != nil {
		return nil, nil, err
	}
	return s, targets, nil
}

// ReportFile is the report of a replay written to a file (replay
// --report): created before the replay, so that a bad path fails first,
// and written once it ends.
type ReportFile struct {
	f   *os.File
	rep *Report
}

// CreateReport creates the file at path for a report; a nil *ReportFile
// without a path. A path that exists and is not a regular file is refused
// without opening it (a FIFO would block the open). Errors are a
// *ConfigError naming the flag.
func CreateReport(path string) (*ReportFile, error) {
	if path == "" {
		return nil, nil
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, &ConfigError{Err: fmt.Errorf("--report %s: not a regular file", path)}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, &ConfigError{Err: fmt.Errorf("--report: %w", err)}
	}
	return &ReportFile{f: f, rep: NewReport(0)}, nil
}

// Wrap records the alerts on their way to next (next itself when r is
// nil).
func (r *ReportFile) Wrap(next pipeline.Sink) pipeline.Sink {
	if r == nil {
		return next
	}
	return r.rep.Wrap(next)
}

// Write writes the report of the replay of files, with its counters and
// geo table, and closes the file; nothing when r is nil.
func (r *ReportFile) Write(files []string, stats pipeline.Stats, table *geo.Table, version, sensor string) error {
	if r == nil {
		return nil
	}
	err := r.rep.WriteHTML(r.f, ReportInput{Files: files, Stats: stats, Table: table, Generated: time.Now(), Version: version, Sensor: sensor})
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the report %s: %w", r.f.Name(), err)
	}
	return nil
}
