//go:build linux

package lab

import (
	"strings"
	"testing"
	"time"
)

// TestLatencyProblems: the 2 s bound runs from the attack's first packet,
// except for volume alerts, where it runs from the packet that crossed the
// byte threshold (run 4 of the first reliability loop failed a correct
// sensor: the 4 MB upload took 2.5 s on the loaded machine, the alert came
// milliseconds after the crossing packet).
func TestLatencyProblems(t *testing.T) {
	launch := time.Date(2026, 12, 5, 17, 7, 25, 0, time.UTC)
	at := func(d time.Duration) string { return launch.Add(d).Format(eveTime) }
	mk := func(kind string, firstSeen, ts, arrival time.Duration) *alert {
		a := &alert{Timestamp: at(ts), arrival: launch.Add(arrival)}
		a.Alert.Metadata.Kind = []string{kind}
		a.Stats.FirstSeen = at(firstSeen)
		return a
	}
	for _, tc := range []struct {
		name string
		a    *alert
		want string // substring of the one problem, "" for none
	}{
		{"scan within 2 s", mk("scan", 10*time.Millisecond, 300*time.Millisecond, 320*time.Millisecond), ""},
		{"scan 2.5 s after its first packet", mk("scan", 10*time.Millisecond, 2500*time.Millisecond, 2510*time.Millisecond), "after the attack's first packet"},
		{"slow upload, prompt volume alert", mk("volume", 10*time.Millisecond, 2535*time.Millisecond, 2545*time.Millisecond), ""},
		{"volume alert 2.5 s after the crossing packet", mk("volume", 10*time.Millisecond, 100*time.Millisecond, 2600*time.Millisecond), "after the packet that crossed its byte threshold"},
		{"volume timestamp before first_seen", mk("volume", 500*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond), "is before its first_seen"},
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
