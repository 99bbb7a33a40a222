//go:build linux

package live

import (
	"os"
	"testing"

	"github.com/borderwatch/borderwatch/bpf"
)

// TestDefaultsAreTheKernelStages: the capture defaults are the kernel
// stage's, written once.
func TestDefaultsAreTheKernelStages(t *testing.T) {
	c, o := DefaultConfiguration(), bpf.DefaultOptions()
	h := c.Handoff
	if uint32(c.SnapLen) != o.SnapLen || uint32(c.RingBytes) != o.RingBytes || uint32(h.SourceBudget) != o.SourceBudget ||
		uint32(h.SourceBurst) != o.SourceBurst || uint32(h.FlowPackets) != o.FlowPackets || uint32(h.ReportBytes) != o.ReportBytes ||
		uint32(h.FloodPPS) != o.FloodPPS || uint32(h.FloodSamples) != o.FloodSamples || uint32(h.FloodTotalPPS) != o.FloodTotalPPS ||
		uint32(h.FloodSamplesPPS) != o.FloodSamplesPPS || h.CoarseClock == o.PreciseTime {
		t.Errorf("capture defaults %+v differ from the kernel stage's %+v", c, o)
	}
}

// TestHandoffReachesTheKernel loads the kernel stage from a capture
// configuration whose capture.handoff differs from every default, and
// reads the settings back from the loaded program: what the configuration
// asks for is what the kernel runs with.
func TestHandoffReachesTheKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root (CAP_BPF)")
	}
	cc := DefaultConfiguration()
	cc.SnapLen = 200
	cc.Handoff = HandoffConfiguration{SourceBudget: 7, SourceBurst: 9, FlowPackets: 3, ReportBytes: 4096,
		FloodPPS: 11, FloodSamples: 13, FloodTotalPPS: 17, FloodSamplesPPS: 19, CoarseClock: true}
	cc.Enforce = true
	def := DefaultConfiguration().Handoff
	if cc.Handoff.SourceBudget == def.SourceBudget || cc.Handoff.SourceBurst == def.SourceBurst ||
		cc.Handoff.FlowPackets == def.FlowPackets || cc.Handoff.ReportBytes == def.ReportBytes ||
		cc.Handoff.FloodPPS == def.FloodPPS || cc.Handoff.FloodSamples == def.FloodSamples ||
		cc.Handoff.FloodTotalPPS == def.FloodTotalPPS || cc.Handoff.FloodSamplesPPS == def.FloodSamplesPPS ||
		cc.Handoff.CoarseClock == def.CoarseClock {
		t.Fatalf("the test's handoff %+v must differ from the defaults %+v", cc.Handoff, def)
	}
	opts, err := kernelOptions(cc)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := bpf.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	got, err := objs.Settings()
	if err != nil {
		t.Fatal(err)
	}
	want := bpf.Settings{SnapLen: 200, SourceBudget: 7, SourceBurst: 9, FlowPackets: 3, ReportBytes: 4096, Enforce: true,
		FloodPPS: 11, FloodSamples: 13, FloodTotalPPS: 17, FloodSamplesPPS: 19}
	if got != want {
		t.Errorf("the kernel runs with %+v, the configuration asked for %+v", got, want)
	}
}
