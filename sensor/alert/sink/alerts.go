package sink

import (
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

// Alerts is where a command's alerts go: the queued outputs of a Writer,
// which never block nor fail (losses are counted per output), or, with no
// output configured, JSON lines on standard output through Lines, blocking
// and lossless (see Lines for why standard output is not a queued Output
// there). Exactly one of Writer and Lines is set.
type Alerts struct {
	Writer *Writer
	Lines  *Lines
}

// OpenAlerts starts the outputs cs or, when there are none, encodes the
// alerts in format onto stdout. When an output fails to open, those
// opened are closed.
func OpenAlerts(cs []Config, log zerolog.Logger, stdout io.Writer, format alert.Format) (*Alerts, error) {
	if len(cs) == 0 {
		return &Alerts{Lines: NewLines(stdout, format)}, nil
	}
	var outs []*Output
	for _, c := range cs {
		o, err := c.Open(log)
		if err != nil {
			NewWriter(outs...).Close()
			return nil, fmt.Errorf("opening alert output: %w", err)
		}
		outs = append(outs, o)
	}
	return &Alerts{Writer: NewWriter(outs...)}, nil
}

// Write writes a; only standard output can fail.
func (a *Alerts) Write(al *alert.Alert) error {
	if a.Lines != nil {
		return a.Lines.Write(al)
	}
	a.Writer.Write(al)
	return nil
}

// Close flushes standard output, or drains and closes the outputs.
func (a *Alerts) Close() error {
	var err error
	if a.Lines != nil {
		err = a.Lines.Flush()
	} else {
		err = a.Writer.Close()
	}
	if err != nil {
		return fmt.Errorf("writing alerts: %w", err)
	}
	return nil
}

// Lost is the number of alerts the outputs dropped.
func (a *Alerts) Lost() uint64 {
	if a.Writer == nil {
		return 0
	}
	var n uint64
	for _, s := range a.Writer.Stats() {
		n += s.Dropped.Total()
	}
	return n
}
