package main

import (
	"fmt"
	"io"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// outputConfigs returns the alert outputs and the --format of standard
// output and --alerts: --output and --alerts replace the configuration's
// outputs; no outputs means standard output (the caller's).
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

// openOutputs starts the outputs; on error the ones started are closed.
func (a *app) openOutputs(cs []sink.Config) (*sink.Writer, error) {
	var outs []*sink.Output
	for _, c := range cs {
		o, err := c.Open(a.log)
		if err != nil {
			sink.NewWriter(outs...).Close()
			return nil, usageErr("opening alert output: %w", err)
		}
		outs = append(outs, o)
	}
	return sink.NewWriter(outs...), nil
}

// alertOutput is where a command's alerts go: the outputs, or else JSON
// lines on standard output, blocking and lossless (see sink.Lines for why
// standard output is not a queued sink.Output here).
type alertOutput struct {
	writer *sink.Writer // the outputs; nil for standard output
	lines  *sink.Lines  // standard output; nil with outputs
}

// openAlertOutput starts the outputs cs or, when there are none, encodes
// the alerts in format onto stdout.
func (a *app) openAlertOutput(cs []sink.Config, stdout io.Writer, format alert.Format) (*alertOutput, error) {
	if len(cs) == 0 {
		return &alertOutput{lines: sink.NewLines(stdout, format)}, nil
	}
	w, err := a.openOutputs(cs)
	if err != nil {
		return nil, err
	}
	return &alertOutput{writer: w}, nil
}

// sink is the pipeline's side of the output. A sink.Writer never blocks
// nor fails: losses are counted per output.
func (o *alertOutput) sink() pipeline.Sink {
	if o.lines != nil {
		return o.lines
	}
	return pipeline.SinkFunc(func(a *alert.Alert) error {
		o.writer.Write(a)
		return nil
	})
}

// close flushes standard output, or drains and closes the outputs.
func (o *alertOutput) close() error {
	var err error
	if o.lines != nil {
		err = o.lines.Flush()
	} else {
		err = o.writer.Close()
	}
	if err != nil {
		return fmt.Errorf("writing alerts: %w", err)
	}
	return nil
}
