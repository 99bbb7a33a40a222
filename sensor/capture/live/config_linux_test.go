//go:build linux

package live

import (
	"testing"

	"github.com/borderwatch/borderwatch/bpf"
)

// TestDefaultsAreTheKernelStages: the capture defaults are the kernel
// stage's, written once.
func TestDefaultsAreTheKernelStages(t *testing.T) {
	c, o := DefaultConfiguration(), bpf.DefaultOptions()
	h := c.Handoff
	if uint32(c.SnapLen) != o.SnapLen || uint32(c.RingBytes) != o.RingBytes || uint32(h.SourceBudget) != o.SourceBudget ||
		uint32(h.SourceBurst) != o.SourceBurst || uint32(h.FlowPackets) != o.FlowPackets || uint32(h.ReportBytes) != o.ReportBytes {
		t.Errorf("capture defaults %+v differ from the kernel stage's %+v", c, o)
	}
}
