package detect

import (
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// TestQuietAtThresholds: quiet (count's test that spares the call to
// check) answers true one below each threshold, where check does not fire,
// and false at it, where check fires; a saturated distinct count (an
// estimate) and a rule without a threshold are left to check.
func TestQuietAtThresholds(t *testing.T) {
	type state struct {
		packets, bytes, burst uint64
		distinct              uint32
		saturated             bool
	}
	cases := []struct {
		name  string
		th    rules.Threshold
		st    state
		quiet bool
		fires bool
	}{
		{"count below", rules.Threshold{Count: 10}, state{packets: 9}, true, false},
		{"count at", rules.Threshold{Count: 10}, state{packets: 10}, false, true},
		{"bytes below", rules.Threshold{Bytes: 1000}, state{packets: 99, bytes: 999}, true, false},
		{"bytes at", rules.Threshold{Bytes: 1000}, state{bytes: 1000}, false, true},
		{"count or bytes, bytes at", rules.Threshold{Count: 10, Bytes: 1000}, state{packets: 1, bytes: 1000}, false, true},
		{"count or bytes, both below", rules.Threshold{Count: 10, Bytes: 1000}, state{packets: 9, bytes: 999}, true, false},
		{"burst below", rules.Threshold{Count: 100, Burst: 5, BurstWindow: time.Second}, state{packets: 50, burst: 4}, true, false},
		{"burst at", rules.Threshold{Count: 100, Burst: 5, BurstWindow: time.Second}, state{packets: 50, burst: 5}, false, true},
		{"no threshold", rules.Threshold{}, state{packets: 1}, false, true},
		{"distinct below", rules.Threshold{Count: 15, Distinct: rules.DistinctDstPort}, state{packets: 500, distinct: 14}, true, false},
		{"distinct at", rules.Threshold{Count: 15, Distinct: rules.DistinctDstPort}, state{distinct: 15}, false, true},
		{"distinct saturated", rules.Threshold{Count: 15, Distinct: rules.DistinctDstPort}, state{distinct: 3, saturated: true}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &rules.Rule{ID: 9000001, Kind: rules.KindVolume, Threshold: c.th}
			r.Threshold.Track, r.Threshold.Window = rules.TrackDst, time.Minute
			if c.th.Distinct != rules.DistinctNone {
				r.Kind, r.Threshold.Track = rules.KindScan, rules.TrackPair
			}
			alerts := 0
			e := New([]*rules.Rule{r}, Config{}, nil)
			e.emit = func(*alert.Alert, *geo.Info, *geo.Info) { alerts++ }
			rs := e.rules[0]
			p := tcpPkt(sec, cnHost, home, 40000, 80, synOnly)
			idx, _ := rs.t.get(&tkey{a1: 1, v4: true}, p.Timestamp)
			rs.resetWindow(idx, p.Timestamp)
			b := &rs.t.b[idx]
			b.packets, b.bytes, b.distinct, b.saturated = c.st.packets, c.st.bytes, c.st.distinct, c.st.saturated
			if rs.burstWin > 0 {
				rs.burst[idx].packets = c.st.burst
			}
			if got := rs.quiet(idx); got != c.quiet {
				t.Fatalf("quiet = %v, want %v", got, c.quiet)
			}
			e.check(rs, idx, p, flow.Result{}, 0, &zeroInfo, &zeroInfo)
			if fired := alerts == 1; fired != c.fires {
				t.Errorf("check fired %v, want %v", fired, c.fires)
			}
		})
	}
}
