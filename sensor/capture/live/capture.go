package live

import (
	"errors"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// Capture is what Open started: the sources, and for XDP the kernel stage.
type Capture struct {
	Mode    string // "xdp" or "afpacket"
	Sources []capture.Source
	kernel  kernelStage // nil without XDP
	enforce bool        // drop rules drop (XDP)
}

// kernelStage is the XDP source's kernel side.
type kernelStage interface {
	Kernel() (metrics.KernelStats, error)
	prepare(*geo.Table, *Rules) (Change, error)
}

// KernelStats is the reader of the kernel counters, nil without XDP.
func (c *Capture) KernelStats() func() (metrics.KernelStats, error) {
	if c.kernel == nil {
		return nil
	}
	return c.kernel.Kernel
}

// Change is a prepared change of the kernel stage's tables: Commit makes
// the programs use them, Abort throws them away.
type Change interface {
	Commit() error
	Abort() error
}

// Prepare builds and checks the kernel tables of a reloaded rule set and
// geo table — the drop rules the kernel must express (with enforcement),
// the rule slots, the geo table pages — and writes them where the programs
// do not read them yet; the running tables stay until Commit. Without XDP
// there is nothing to change.
func (c *Capture) Prepare(set *rules.Set, table *geo.Table) (Change, error) {
	if c.kernel == nil {
		return noChange{}, nil
	}
	kr, err := CompileRules(set, c.enforce)
	if err != nil {
		return nil, err
	}
	kc, err := c.kernel.prepare(table, kr)
	if err != nil {
		return nil, err
	}
	return kc, nil
}

type noChange struct{}

func (noChange) Commit() error { return nil }
func (noChange) Abort() error  { return nil }

// Close closes every source and, for XDP, detaches the programs and
// releases the kernel objects. Closing twice is harmless.
func (c *Capture) Close() error {
	var errs []error
	for _, s := range c.Sources {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
