package lifecycle

import (
	"errors"
	"strings"
	"testing"
)

func TestStopReverseOnce(t *testing.T) {
	var order []string
	var g Group
	for _, n := range []string{"capture", "outputs", "pipeline", "metrics"} {
		g.Add(func() error {
			order = append(order, n)
			if n == "outputs" {
				return errors.New("disk full")
			}
			return nil
		})
	}
	err := g.Stop()
	if got := strings.Join(order, ","); got != "metrics,pipeline,outputs,capture" {
		t.Errorf("stop order %s", got)
	}
	if err == nil || err.Error() != "disk full" {
		t.Errorf("error %v", err)
	}
	if err := g.Stop(); err != nil || len(order) != 4 {
		t.Errorf("second Stop: %v, %d stops", err, len(order))
	}
}

// TestStartStopsWhatStarted: a component that fails to start stops the
// ones started before it, in reverse, and none after it starts.
func TestStartStopsWhatStarted(t *testing.T) {
	var log []string
	comp := func(name string, fail bool) Component {
		return Component{Name: name, Start: func() (func() error, error) {
			if fail {
				return nil, errors.New("no such device")
			}
			log = append(log, "start "+name)
			return func() error { log = append(log, "stop "+name); return nil }, nil
		}}
	}
	_, err := Start(comp("capture", false), comp("outputs", false), comp("metrics", true), comp("never", false))
	if err == nil || err.Error() != "no such device" {
		t.Errorf("error %v", err)
	}
	if got := strings.Join(log, ","); got != "start capture,start outputs,stop outputs,stop capture" {
		t.Errorf("got %s", got)
	}
	log = nil
	g, err := Start(comp("capture", false), comp("outputs", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Stop(); err != nil || strings.Join(log, ",") != "start capture,start outputs,stop outputs,stop capture" {
		t.Errorf("got %s, %v", strings.Join(log, ","), err)
	}
}
