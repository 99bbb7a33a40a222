package main

import (
	"io"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/spf13/pflag"
)

// outputFlags are the alert output flags of run and replay.
type outputFlags struct {
	outputs    []string
	alertsPath string
	format     string
}

func (o *outputFlags) bind(f *pflag.FlagSet) {
	f.StringArrayVar(&o.outputs, "output", nil, "alert output URL (repeatable; replaces the configuration's outputs): stdout, file:PATH, syslog+udp|tcp|tls://, redis://, kafka://; see the sink documentation")
	f.StringVar(&o.alertsPath, "alerts", "", "append alerts to this file instead of standard output (shorthand for --output file:FILE)")
	f.StringVar(&o.format, "format", "eve", "alert format of standard output and --alerts: eve (Suricata EVE superset) or ecs (Elastic Common Schema)")
}

// configs returns the alert outputs and the --format of standard output
// and --alerts: --output and --alerts replace the configuration's outputs;
// no outputs means standard output (the caller's).
func (o *outputFlags) configs(a *app) ([]sink.Config, alert.Format, error) {
	return a.outputConfigs(o.outputs, o.alertsPath, o.format)
}

func (a *app) outputConfigs(urls []string, alertsPath, format string) ([]sink.Config, alert.Format, error) {
	f, err := alert.ParseFormat(format)
	if err != nil {
		return nil, f, usageError{err}
	}
	if len(urls) == 0 && alertsPath == "" {
		cs, err := a.cfg.SinkConfigs()
		if err != nil {
			return nil, f, usageError{err}
		}
		return cs, f, nil
	}
	var cs []sink.Config
	for _, u := range urls {
		c, err := sink.ParseURL(u)
		if err != nil {
			return nil, f, usageError{err}
		}
		cs = append(cs, c)
	}
	if alertsPath != "" {
		c := &sink.FileConfig{Path: alertsPath, Common: sink.Common{Format: format}}
		if err := c.Validate(); err != nil {
			return nil, f, usageError{err}
		}
		cs = append(cs, c)
	}
	return cs, f, nil
}

// openAlertOutput starts the outputs cs or, when there are none, encodes
// the alerts in format onto stdout.
func (a *app) openAlertOutput(cs []sink.Config, stdout io.Writer, format alert.Format) (*sink.Alerts, error) {
	out, err := sink.OpenAlerts(cs, a.log, stdout, format)
	if err != nil {
		return nil, usageError{err}
	}
	return out, nil
}
