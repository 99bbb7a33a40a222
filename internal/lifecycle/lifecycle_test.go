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
