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

// opener checks the alert outputs — --output and --alerts replace the
// configuration's — and --format, and returns how to start them: the
// outputs or, when there are none, the alerts encoded in --format onto
// stdout.
func (o *outputFlags) opener(a *app, stdout io.Writer) (func() (*sink.Alerts, error), error) {
	f, err := alert.ParseFormat(o.format)
	if err != nil {
		return nil, usageError{Err: err}
	}
	cs, err := a.cfg.OutputsWith(o.outputs, o.alertsPath, o.format)
	if err != nil {
		return nil, usageError{Err: err}
	}
	return func() (*sink.Alerts, error) {
		out, err := sink.OpenAlerts(cs, a.log, stdout, f)
		return out, usage(err)
	}, nil
}
