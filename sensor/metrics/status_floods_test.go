package metrics

import (
	"strings"
	"testing"
)

func TestStatusFloods(t *testing.T) {
	text := `borderwatch_packets_total{result="decoded"} 900
borderwatch_kernel_seen_packets_total 961000
borderwatch_kernel_events_total{event="handoff"} 3200
borderwatch_kernel_events_total{event="flood_sampled"} 1201
borderwatch_kernel_events_total{event="flood_suppressed"} 957800
borderwatch_kernel_events_total{event="flood_untracked"} 2
borderwatch_kernel_events_total{event="flood_sample_lost"} 0
borderwatch_kernel_events_total{event="flood_forwarded"} 12
borderwatch_kernel_events_total{event="flood_capped"} 48210
borderwatch_kernel_events_total{event="flood_sample_budget"} 3310
borderwatch_kernel_handoffs_total{path="flood_sample"} 1201
borderwatch_kernel_handoffs_total{path="cap_budget"} 1500
borderwatch_kernel_handoffs_total{path="flow_first"} 499
borderwatch_kernel_flood_packets_total{class="syn",dst="192.0.2.10"} 960000
borderwatch_kernel_flood_sampled_total{class="syn",dst="192.0.2.10"} 1200
borderwatch_kernel_flood_suppressed_total{class="syn",dst="192.0.2.10"} 957800
borderwatch_kernel_flood_sources{class="syn",dst="192.0.2.10"} 1420
borderwatch_kernel_flood_active{class="syn",dst="192.0.2.10"} 1
borderwatch_kernel_flood_packets_total{class="udp",dst="2001:db8:1::9"} 40
borderwatch_kernel_flood_sampled_total{class="udp",dst="2001:db8:1::9"} 1
borderwatch_kernel_flood_suppressed_total{class="udp",dst="2001:db8:1::9"} 0
borderwatch_kernel_flood_sources{class="udp",dst="2001:db8:1::9"} 3
borderwatch_kernel_flood_active{class="udp",dst="2001:db8:1::9"} 0
`
	out := statusOf(t, text)
	want := `kernel hand-offs by path: listed 0, dropped 0, flood_sample 1201, cap_budget 1500, below_cap 0, fragment 0, tcp_flags 0, flow_first 499, budget_new 0, budget 0
`
	if !strings.Contains(out, want) {
		t.Errorf("status lacks the hand-off paths\n%s\ngot:\n%s", want, out)
	}
	want = `kernel floods: samples handed off 1201, packets kept in the kernel 957800, forwarded copies 12, untracked 2, samples lost (ring full) 0, capped (flood_total_pps) 48210, samples over the total (flood_samples_pps) 3310
    DESTINATION  CLASS  PACKETS  SAMPLED  KEPT IN KERNEL  SOURCES  UNDER FLOOD
     192.0.2.10    syn   960000     1200          957800    ~1420          yes
  2001:db8:1::9    udp       40        1               0       ~3           no
pipeline:`
	if !strings.Contains(out, want) {
		t.Errorf("status lacks the flood report\n%s\ngot:\n%s", want, out)
	}
}
