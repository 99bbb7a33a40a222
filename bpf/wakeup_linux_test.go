//go:build linux

package bpf

import (
	"fmt"
	"testing"
	"time"

	"github.com/cilium/ebpf"
)

// TestRecordsReachTheReader checks that a reader already asleep in
// ReadRecord gets records submitted without a wake-up (below WakeBytes),
// through its poll, and that the record crossing WakeBytes wakes it even
// when its poll interval is far longer than the test's patience.
func TestRecordsReachTheReader(t *testing.T) {
	const snap = 160
	recLen := (recordHeaderLen + snap + 15) &^ 7 // ring bytes of a record
	for _, tc := range []struct {
		name    string
		wake    uint32
		poll    time.Duration
		packets int
	}{
		{"lone record, found by the poll", 64 << 10, 5 * time.Millisecond, 1},
		{"batch woken at WakeBytes", 4096, time.Hour, (4096 + recLen - 1) / recLen},
		{"lone record, woken by the kernel default", 0, time.Hour, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := loadLab(t, func(o *Options) { o.WakeBytes, o.PollInterval, o.SnapLen = tc.wake, tc.poll, snap })
			type result struct {
				sport uint16
				rec   Record
				err   error
			}
			got := make(chan result, tc.packets)
			go func() {
				var rec Record
				for range tc.packets {
					err := o.ReadRecord(&rec)
					r := result{rec: rec, err: err}
					if err == nil && len(rec.Data) >= 36 {
						r.sport = uint16(rec.Data[34])<<8 | uint16(rec.Data[35])
					}
					got <- r
					if err != nil {
						return
					}
				}
			}()
			time.Sleep(50 * time.Millisecond) // most likely asleep by now
			var sizes []int
			for i := range tc.packets {
				p := v4tcp(t, "198.51.100.7", "192.0.2.10", uint16(40000+i), 22, "S")
				sizes = append(sizes, len(p))
				if ret, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil || ret != xdpPass {
					t.Fatalf("packet %d: verdict %d, %v", i, ret, err)
				}
			}
			timeout := time.After(10 * time.Second)
			for i := range tc.packets {
				select {
				case r := <-got:
					if r.err != nil {
						t.Fatalf("record %d: %v", i, r.err)
					}
					if r.rec.Reasons != ReasonTCPFlags || r.rec.Direction != DirInbound || r.rec.SrcCountry != cid("US") ||
						r.rec.DstCountry != cid("DE") || r.sport != uint16(40000+i) || len(r.rec.Data) != sizes[i] {
						t.Fatalf("record %d: reasons %s dir %d countries %d>%d port %d, %d bytes; want tcp-flags, inbound, US>DE, port %d, %d bytes",
							i, r.rec.Reasons, r.rec.Direction, r.rec.SrcCountry, r.rec.DstCountry, r.sport, len(r.rec.Data), 40000+i, sizes[i])
					}
				case <-timeout:
					t.Fatalf("%d of %d records read in 10s", i, tc.packets)
				}
			}
		})
	}
}

// TestRecordClock checks which clock stamps the records: by default the
// coarse monotonic clock (the last tick's time, no later than a coarse
// read after the run), with PreciseTime the precise one (within a precise
// read before and after the run, later than the last tick's time).
func TestRecordClock(t *testing.T) {
	for _, precise := range []bool{false, true} {
		t.Run(fmt.Sprintf("precise=%v", precise), func(t *testing.T) {
			o := loadLab(t, func(o *Options) { o.PreciseTime = precise })
			const n = 5
			var cb, ca, pb, pa [n]uint64
			for i := range n {
				p := v4tcp(t, "198.51.100.7", "192.0.2.10", uint16(40000+i), 22, "S")
				cb[i], pb[i] = monotonicCoarse(), monotonic()
				if ret, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil || ret != xdpPass {
					t.Fatalf("packet %d: verdict %d, %v", i, ret, err)
				}
				pa[i], ca[i] = monotonic(), monotonicCoarse()
				time.Sleep(time.Millisecond)
			}
			recs := drain(t, o)
			if len(recs) != n {
				t.Fatalf("%d records, want %d", len(recs), n)
			}
			later := 0 // records stamped after the coarse clock's read
			for i, r := range recs {
				if precise {
					if r.Monotonic < pb[i] || r.Monotonic > pa[i] {
						t.Errorf("record %d: time %d outside the precise run [%d, %d]", i, r.Monotonic, pb[i], pa[i])
					}
					if r.Monotonic > ca[i] {
						later++
					}
					continue
				}
				if r.Monotonic < cb[i] || r.Monotonic > ca[i] {
					t.Errorf("record %d: time %d outside the coarse clock's [%d, %d] (precise run [%d, %d])", i, r.Monotonic, cb[i], ca[i], pb[i], pa[i])
				}
			}
			// A tick between the run and the read puts a precise time
			// before the coarse read; not for all five packets.
			if precise && later == 0 {
				t.Errorf("no precise record time after the coarse clock's read")
			}
		})
	}
}
