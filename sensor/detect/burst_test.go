package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
)

// burstRule is the default SYN flood rule's shape: 10000 SYNs in 10 s, or
// 5000 in 1 s, from 100 or more sources.
func burstRule() *rules.Rule {
	return &rules.Rule{ID: 3002, Name: "SYN flood", Kind: rules.KindFlood,
		Protos: rules.ProtoTCP, TCPFlags: synNoAck,
		Threshold: rules.Threshold{Count: 10000, Window: 10 * time.Second, Track: rules.TrackDst, MinSources: 100,
			Burst: 5000, BurstWindow: time.Second},
		Suppress: 10 * time.Minute}
}

// spoofedSYNs sends n SYNs to home from n distinct sources, one every step
// from t0.
func spoofedSYNs(h *harness, t0 int64, n int, step time.Duration) {
	for i := range n {
		h.feed(tcpPkt(t0+int64(i)*int64(step), netip.AddrFrom4(spoofedV4(uint32(i))), home, uint16(1024+i%60000), 80, synOnly))
	}
}

// spoofedV4 returns a distinct address in 198.51.100.0/24 and 203.0.113.0/24
// (CN and RU in the lab database) for each i below 512, and wraps.
func spoofedV4(i uint32) [4]byte {
	if i&256 == 0 {
		return [4]byte{198, 51, 100, byte(i)}
	}
	return [4]byte{203, 0, 113, byte(i)}
}

func TestBurstFlood(t *testing.T) {
	t.Run("short and intense fires once", func(t *testing.T) {
		// 9000 SYNs in 0.9 s, then nothing: 9000 in 10 s is below the
		// long window's 10000.
		h := newHarness(t, []*rules.Rule{burstRule()}, Config{})
		spoofedSYNs(h, sec, 9000, 100*time.Microsecond)
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		if a.Stats.Packets != 5000 || a.Threshold.Observed != 5000 || a.Threshold.Count != 5000 || a.Threshold.Window != 1 || a.Stats.DistinctSources != 512 {
			t.Errorf("alert packets %d observed %d threshold %d in %gs sources %d", a.Stats.Packets, a.Threshold.Observed, a.Threshold.Count, a.Threshold.Window, a.Stats.DistinctSources)
		}
		if st := h.eng.Stats(); st.Suppressed != 0 {
			t.Errorf("%d suppressed, want 0 (4000 more SYNs cross nothing)", st.Suppressed)
		}
	})
	t.Run("without burst the same flood raises nothing", func(t *testing.T) {
		r := burstRule()
		r.Threshold.Burst, r.Threshold.BurstWindow = 0, 0
		h := newHarness(t, []*rules.Rule{r}, Config{})
		spoofedSYNs(h, sec, 9000, 100*time.Microsecond)
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts, want 0", len(h.alerts))
		}
	})
	t.Run("steady rate below both raises nothing", func(t *testing.T) {
		// 900 SYNs a second for 30 s: 9000 per 10 s, 900 per second.
		h := newHarness(t, []*rules.Rule{burstRule()}, Config{})
		spoofedSYNs(h, sec, 27000, time.Second/900)
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts, want 0", len(h.alerts))
		}
	})
	t.Run("a long burst is one episode", func(t *testing.T) {
		// 20000 SYNs a second for 5 s: the burst fires first, then the rest
		// of the episode is suppressed.
		h := newHarness(t, []*rules.Rule{burstRule()}, Config{})
		spoofedSYNs(h, sec, 100000, 50*time.Microsecond)
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		if a := h.alerts[0]; a.Timestamp != sec+4999*int64(50*time.Microsecond) {
			t.Errorf("fired at %d, want at the 5000th SYN", a.Timestamp)
		}
		if st := h.eng.Stats(); st.Suppressed == 0 {
			t.Errorf("the rest of the episode was not counted as suppressed")
		}
	})
}
