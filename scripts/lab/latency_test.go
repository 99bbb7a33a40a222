//go:build linux

package lab

import (
	"strings"
	"testing"
	"time"
)

// TestLatencyProblems: the 2 s bound on the sensor runs from the packet that
// made the alert's condition true, not from the tools' first packet (two of
// twenty runs failed a correct sensor that way: a 4 MB upload and ten
// hping3 processes took 2.5 s and 2.4 s to cross their thresholds on the
// loaded machine; the alerts were read milliseconds after the crossing).
func TestLatencyProblems(t *testing.T) {
	launch := time.Date(2026, 12, 5, 17, 7, 25, 0, time.UTC)
	mk := func(kind string, firstSeen, ts, arrival time.Duration) *alert {
		a := &alert{arrival: launch.Add(arrival)}
		a.Kind, a.Time, a.Start = kind, launch.Add(ts), launch.Add(firstSeen)
		return a
	}
	for _, tc := range []struct {
		name string
		a    *alert
		want string // substring of the one problem, "" for none
	}{
		{"scan within 2 s", mk("scan", 10*time.Millisecond, 300*time.Millisecond, 320*time.Millisecond), ""},
		{"slow upload, prompt volume alert", mk("volume", 10*time.Millisecond, 2535*time.Millisecond, 2545*time.Millisecond), ""},
		{"staggered flood sources, prompt alert", mk("flood", 260*time.Millisecond, 2638*time.Millisecond, 2640*time.Millisecond), ""},
		{"scan read 2.5 s after its crossing packet", mk("scan", 10*time.Millisecond, 300*time.Millisecond, 2810*time.Millisecond), "after the packet that made its condition true"},
		{"volume read 2.5 s after its crossing packet", mk("volume", 10*time.Millisecond, 100*time.Millisecond, 2600*time.Millisecond), "after the packet that made its condition true"},
		{"listed address read 2.1 s after its packet", mk("reputation", 10*time.Millisecond, 10*time.Millisecond, 2110*time.Millisecond), "more than 2 s"},
		{"timestamp before first_seen", mk("volume", 500*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond), "is before its first_seen"},
		{"first_seen before the scenario", mk("flood", -1500*time.Millisecond, 0, 100*time.Millisecond), "before the scenario started"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := latencyProblems(tc.a, launch)
			switch {
			case tc.want == "" && len(probs) != 0:
				t.Errorf("problems %q, want none", probs)
			case tc.want != "" && (len(probs) != 1 || !strings.Contains(probs[0], tc.want)):
				t.Errorf("problems %q, want one with %q", probs, tc.want)
			}
		})
	}
}
