package lifecycle

import (
	"errors"
)

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

// Component is one part of a running sensor: Start starts it and returns
// how to stop it. Name says what it is to the reader of the list; the
// component's errors name it themselves.
type Component struct {
	Name  string
	Start func() (stop func() error, err error)
}

// Start starts the components in order and returns them as a Group to
// stop in reverse. When one fails to start, those started are stopped, in
// reverse, and Start returns the component's error with theirs.
func Start(cs ...Component) (*Group, error) {
	g := &Group{}
	for _, c := range cs {
		stop, err := c.Start()
		if err != nil {
			return nil, errors.Join(err, g.Stop())
		}
		g.Add(stop)
	}
	return g, nil
}
