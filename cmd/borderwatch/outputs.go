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
	f, err := alert.ParseFormat(o.format)
	if err != nil {
		return nil, f, usageError{Err: err}
	}
	cs, err := a.cfg.OutputsWith(o.outputs, o.alertsPath, o.format)
	if err != nil {
		return nil, f, usageError{Err: err}
	}
	return cs, f, nil
}

// openAlertOutput starts the outputs cs or, when there are none, encodes
// the alerts in format onto stdout.
func (a *app) openAlertOutput(cs []sink.Config, stdout io.Writer, format alert.Format) (*sink.Alerts, error) {
	out, err := sink.OpenAlerts(cs, a.log, stdout, format)
	if err != nil {
		return nil, usageError{Err: err}
	}
	return out, nil
}
