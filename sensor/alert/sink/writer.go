package sink

import (
	"errors"
	"sync"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

// Writer fans alerts out to several Outputs. It encodes each alert at most
// once per format in use. Its methods are safe for concurrent use; none
// blocks except Close.
type Writer struct {
	outs []*Output
}

// NewWriter returns a Writer over outs; it takes ownership of them.
func NewWriter(outs ...*Output) *Writer { return &Writer{outs: outs} }

// Outputs returns the outputs, in the order given.
func (w *Writer) Outputs() []*Output { return w.outs }

// Write hands a to every output whose minimum severity it passes. The
// alert is encoded before Write returns; a may be reused afterwards.
func (w *Writer) Write(a *alert.Alert) {
	var enc [2]*[]byte // per format, encoded on first use
	var bad [2]bool
	for _, o := range w.outs {
		if !o.Accepts(a) {
			o.filtered.Add(1)
			continue
		}
		o.accepted.Add(1)
		f := o.format
		if enc[f] == nil && !bad[f] {
			e := getEntry()
			var err error
			if *e, err = appendAlert(f, (*e)[:0], a); err != nil {
				putEntry(e)
				bad[f] = true
			} else {
				enc[f] = e
			}
		}
		if bad[f] {
			o.dEncode.Add(1)
			continue
		}
		// enqueueEncoded takes over the buffer; hand each output a copy
		// until the last user.
		c := getEntry()
		*c = append((*c)[:0], *enc[f]...)
		o.enqueueEncoded(a, c)
	}
	for _, e := range enc {
		if e != nil {
			putEntry(e)
		}
	}
}

// Reopen asks every output to reopen its file (after SIGHUP).
func (w *Writer) Reopen() {
	for _, o := range w.outs {
		o.Reopen()
	}
}

// Stats returns every output's counters, in output order.
func (w *Writer) Stats() []Stats {
	s := make([]Stats, len(w.outs))
	for i, o := range w.outs {
		s[i] = o.Stats()
	}
	return s
}

// Close closes every output in parallel, delivering what is queued, and joins their
// errors.
func (w *Writer) Close() error {
	errs := make([]error, len(w.outs))
	var wg sync.WaitGroup
	for i, o := range w.outs {
		wg.Go(func() { errs[i] = o.Close() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
