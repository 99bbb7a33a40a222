package live

import (
	"errors"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// Capture is what Open started: the sources, and for XDP the kernel stage.
type Capture struct {
	Mode    string // "xdp" or "afpacket"
	Sources []capture.Source
	kernel  kernelStage // nil without XDP
}

// kernelStage is the XDP source's kernel side.
type kernelStage interface {
	Kernel() (metrics.KernelStats, error)
	loadGeo(*geo.Table) error
	loadRules(*Rules) error
}

// KernelStats is the reader of the kernel counters, nil without XDP.
func (c *Capture) KernelStats() func() (metrics.KernelStats, error) {
	if c.kernel == nil {
		return nil
	}
	return c.kernel.Kernel
}

// HasKernel says whether the kernel stage runs (XDP).
func (c *Capture) HasKernel() bool { return c.kernel != nil }

// LoadGeo pushes a (reloaded) geo table to the kernel stage; nothing
// without XDP.
func (c *Capture) LoadGeo(t *geo.Table) error {
	if c.kernel == nil {
		return nil
	}
	return c.kernel.loadGeo(t)
}

// LoadRules pushes (reloaded) listed prefixes and drop rules to the kernel
// stage; nothing without XDP.
func (c *Capture) LoadRules(kr *Rules) error {
	if c.kernel == nil {
		return nil
	}
	return c.kernel.loadRules(kr)
}

// Close closes every source and, for XDP, detaches the programs and
// releases the kernel objects. Closing twice is harmless.
func (c *Capture) Close() error {
	var errs []error
	for _, s := range c.Sources {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
