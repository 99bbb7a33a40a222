package live

import (
	"fmt"
	"strings"
	"testing"
)

func TestConfigurationProblems(t *testing.T) {
	def := DefaultConfiguration()
	if ps := def.Problems(); len(ps) != 0 {
		t.Fatalf("defaults have problems: %v", ps)
	}
	c := DefaultConfiguration()
	c.Mode, c.Enforce, c.XDPMode, c.SnapLen, c.RingBytes, c.Readers = "afpacket", true, "turbo", 2000, 5000, 0
	c.Interfaces = []string{"eth0", "a/b"}
	c.Handoff = HandoffConfiguration{SourceBudget: -1, SourceBurst: 1 << 21, FlowPackets: 1 << 17, ReportBytes: 1 << 31, FloodPPS: -1, FloodSamples: 1 << 25, FloodTotalPPS: 1 << 25, FloodSamplesPPS: -2}
	var got []string
	for _, p := range c.Problems() {
		got = append(got, fmt.Sprintf("%s: %s", p.Key, p.Msg))
	}
	want := []string{
		"enforce: capture.enforce needs capture.mode xdp: AF_PACKET only copies packets and cannot drop them",
		`xdp_mode: capture.xdp_mode "turbo": want auto, native or generic`,
		"snap_length: capture.snap_length 2000: want 64 to 1024",
		"readers: capture.readers 0: want 1 to 64",
		"handoff.source_budget: capture.handoff.source_budget -1: want 0 to 1048576",
		"handoff.source_burst: capture.handoff.source_burst 2097152: want 0 to 1048576",
		"handoff.flow_packets: capture.handoff.flow_packets 131072: want 0 to 65536",
		"handoff.report_bytes: capture.handoff.report_bytes 2147483648: want 0 to 1073741824",
		"handoff.flood_pps: capture.handoff.flood_pps -1: want 0 to 16777216",
		"handoff.flood_samples: capture.handoff.flood_samples 33554432: want 0 to 16777216",
		"handoff.flood_total_pps: capture.handoff.flood_total_pps 33554432: want 0 to 16777216",
		"handoff.flood_samples_pps: capture.handoff.flood_samples_pps -2: want 0 to 16777216",
		"ring_bytes: capture.ring_bytes 5000: want a power of two",
		`interfaces[1]: capture.interfaces: "a/b" is not an interface name`,
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("problems:\n%s\nwant:\n%s", g, w)
	}
}
