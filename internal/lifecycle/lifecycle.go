package lifecycle

import "errors"

// Group is the started components, in start order. The zero value is
// ready to use; a Group is used by one goroutine.
type Group struct {
	stops []func() error
}

// Add records a started component by how to stop it. A stop function
// returns the errors that fail the run (an alert output that could not
// flush) and logs those that do not.
func (g *Group) Add(stop func() error) {
	g.stops = append(g.stops, stop)
}

// Stop stops every component, the last added first, each once, and
// returns their errors joined. Later calls stop nothing.
func (g *Group) Stop() error {
	var errs []error
	for i := len(g.stops) - 1; i >= 0; i-- {
		errs = append(errs, g.stops[i]())
	}
	g.stops = nil
	return errors.Join(errs...)
}
