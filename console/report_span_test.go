package console

import (
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

// TestTimelineLongSpan: alerts 56 years apart (one capture with a zeroed
// clock) fall in the first and the last bar, with their start times; the
// bar's int64 arithmetic overflowed past 4.9 years (a panic, or wrong
// bars).
func TestTimelineLongSpan(t *testing.T) {
	r := NewReport(0)
	late := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	r.Add(&alert.Alert{Kind: "scan", Timestamp: 0})
	r.Add(&alert.Alert{Kind: "scan", Timestamp: late.UnixNano()})
	byKind, _, from, to := r.timelines()
	if from != "1970-01-01 00:00:00" || to != "2026-12-05 21:00:00" {
		t.Errorf("from %q to %q", from, to)
	}
	if len(byKind.Bars) != timelineBars {
		t.Fatalf("%d bars", len(byKind.Bars))
	}
	for i, b := range byKind.Bars {
		want := 0
		if i == 0 || i == timelineBars-1 {
			want = 1
		}
		if len(b.Rects) != want {
			t.Errorf("bar %d: %d rects, want %d", i, len(b.Rects), want)
		}
	}
	last := byKind.Bars[timelineBars-1].Rects
	// The last bar starts 59/60 of the span in.
	start := time.Unix(late.Unix()/timelineBars*(timelineBars-1), 0).UTC().Format("15:04:05")
	if len(last) == 1 && last[0].Title != "scan: 1 alerts from "+start {
		t.Errorf("last bar %q", last[0].Title)
	}
}
