package config

import (
	"reflect"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/capture/live"
)

// TestCaptureConfigIsTheComponents: the capture defaults are the live
// capture component's, the handoff section reaches it, and its values are
// checked with the file and line.
func TestCaptureConfigIsTheComponents(t *testing.T) {
	def := Default()
	if got, want := def.Capture.Live(), live.DefaultConfiguration(); !reflect.DeepEqual(got, want) {
		t.Errorf("default capture configuration %+v, want the component's %+v", got, want)
	}
	cfg := Default()
	src := "capture:\n  handoff:\n    source_budget: 50\n    flow_packets: 16\n    report_bytes: 0\n    flood_pps: 5000\n    flood_total_pps: 2000\n    flood_samples_pps: 300\n"
	if err := Parse("bw.yaml", []byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	h := cfg.Capture.Live().Handoff
	if want := (live.HandoffConfiguration{SourceBudget: 50, SourceBurst: 100, FlowPackets: 16, ReportBytes: 0, FloodPPS: 5000, FloodSamples: 100, FloodTotalPPS: 2000, FloodSamplesPPS: 300}); h != want {
		t.Errorf("handoff %+v, want %+v", h, want)
	}
	cfg = Default()
	err := Parse("bw.yaml", []byte("capture:\n  handoff:\n    flow_packets: 70000\n"), &cfg)
	if want := "bw.yaml:3: capture.handoff.flow_packets 70000: want 0 to 65536"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
