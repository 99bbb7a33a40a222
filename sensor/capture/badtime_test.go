package capture

import (
	"encoding/binary"
	"io"
	"slices"
	"testing"
)

// TestBadTimeSkipped covers the pcap records whose fraction of a second is
// beyond the timestamp's resolution (1e6 microseconds, 1e9 nanoseconds):
// each is skipped and counted in Stats.BadTime and Stats.Errors, the
// records around it are read with their timestamps; the largest fraction
// in range is read. Both byte orders and resolutions, with and without the
// fast paths, whole, dribbled and mapped.
func TestBadTimeSkipped(t *testing.T) {
	rs := testRecords() // 5 records, 60..100 bytes
	// recordAt returns the offset of record i of a file of rs.
	recordAt := func(i int) int {
		off := 24
		for _, r := range rs[:i] {
			off += 16 + len(r.data)
		}
		return off
	}
	for _, c := range []struct {
		name  string
		order binary.ByteOrder
		nano  bool
		fracs map[int]uint32 // record -> fraction written
		kept  []int          // records delivered
		bad   uint64
	}{
		{"microseconds 1e6", le, false, map[int]uint32{2: 1_000_000}, []int{0, 1, 3, 4}, 1},
		{"microseconds 2^32-1", binary.BigEndian, false, map[int]uint32{0: 0xffffffff, 4: 4_000_000_000}, []int{1, 2, 3}, 2},
		{"microseconds 999999", le, false, map[int]uint32{1: 999_999}, []int{0, 1, 2, 3, 4}, 0},
		{"nanoseconds 1e9", le, true, map[int]uint32{3: 1_000_000_000}, []int{0, 1, 2, 4}, 1},
		{"nanoseconds 2^32-1", binary.BigEndian, true, map[int]uint32{1: 0xffffffff}, []int{0, 2, 3, 4}, 1},
		{"nanoseconds 999999999", binary.BigEndian, true, map[int]uint32{4: 999_999_999}, []int{0, 1, 2, 3, 4}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := pcapFile(c.order, c.nano, 1, rs)
			want := make([]int64, len(rs))
			for i, r := range rs {
				want[i] = r.ts
				if !c.nano {
					want[i] = r.ts / 1000 * 1000
				}
			}
			for i, frac := range c.fracs {
				c.order.PutUint32(data[recordAt(i)+4:], frac)
				mult := int64(1)
				if !c.nano {
					mult = 1000
				}
				want[i] = rs[i].ts/1e9*1e9 + int64(frac)*mult
			}
			got, s, err := readEnd(t, data)
			if err != io.EOF {
				t.Fatalf("end %v, want io.EOF", err)
			}
			var times, wantTimes []int64
			var lens, wantLens []int
			for _, f := range got {
				times = append(times, f.Timestamp)
				lens = append(lens, len(f.Data))
			}
			for _, i := range c.kept {
				wantTimes = append(wantTimes, want[i])
				wantLens = append(wantLens, len(rs[i].data))
			}
			if !slices.Equal(lens, wantLens) || !slices.Equal(times, wantTimes) {
				t.Errorf("frames of %v bytes at %v\n  want %v at %v", lens, times, wantLens, wantTimes)
			}
			if st := s.Stats(); st.BadTime != c.bad || st.Errors != c.bad || st.Frames != uint64(len(c.kept)) {
				t.Errorf("stats %+v, want %d bad times and errors, %d frames", st, c.bad, len(c.kept))
			}
			sameBothWays(t, data)
		})
	}
}

// TestPcapngTimestampEdges checks a pcapng timestamp is one count of its
// interface's units plus if_tsoffset, and that a block whose time does not
// fit int64 nanoseconds either way is skipped and counted (Stats.BadTime)
// instead of wrapping, and the blocks after it are read: a negative offset
// before 1970 is a time like any other, one reaching below -292 years is
// out of range, as one above 2262 is.
func TestPcapngTimestampEdges(t *testing.T) {
	const sec = 1714564800
	off := func(v int64) []byte { return ngOpt(ngOptIfTsoffset, le.AppendUint64(nil, uint64(v))) }
	nanos := ngOpt(ngOptIfTsresol, []byte{9})
	for _, c := range []struct {
		name string
		opts [][]byte
		ts   uint64
		want int64 // the frame's timestamp, when not skipped
		skip bool  // out of range: skipped and counted
	}{
		{"offset before 1970", [][]byte{off(-2 * sec)}, sec*1e6 + 5, -sec*1e9 + 5000, false},
		{"offset to the last second", [][]byte{nanos, off(maxTimestampSec - 1)}, 1e9 + 999_999_999, maxTimestampSec*1e9 + 999_999_999, false},
		{"offset past the last second", [][]byte{nanos, off(maxTimestampSec)}, 1e9, 0, true},
		{"offset to the first second", [][]byte{off(-maxTimestampSec)}, 0, -maxTimestampSec * 1e9, false},
		{"offset below the first second", [][]byte{off(-maxTimestampSec - 1)}, 0, 0, true},
		{"offset -2^63", [][]byte{off(-1 << 63)}, sec * 1e6, 0, true},
		{"offset 2^63-1", [][]byte{off(1<<63 - 1)}, sec * 1e6, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The block under test, then one of a second interface
			// without an offset (at sec).
			data := cat(ngSHB(), ngIDB(0, append(c.opts, ngEndOpt)...), ngIDB(0, ngEndOpt), ngEPB(0, c.ts, 60, 60, pkt(60)), ngEPB(1, sec*1e6, 70, 70, pkt(70)))
			got, src, err := readEnd(t, data)
			st := src.Stats()
			if err != io.EOF {
				t.Fatalf("end %v, want io.EOF", err)
			}
			if c.skip {
				if len(got) != 1 || got[0].Timestamp != sec*1e9 || st.BadTime != 1 || st.Errors != 1 {
					t.Fatalf("frames %+v, bad time %d, errors %d; want only the next block's, 1 and 1", got, st.BadTime, st.Errors)
				}
			} else if len(got) != 2 || got[0].Timestamp != c.want || st.BadTime != 0 {
				t.Fatalf("frames %+v, bad time %d; want the first at %d, 0", got, st.BadTime, c.want)
			}
			sameBothWays(t, data)
		})
	}
}

// TestSimplePacketTime checks a pcapng simple packet block, which has no
// timestamp, takes the last frame's (0 before any), not the epoch.
func TestSimplePacketTime(t *testing.T) {
	spb := ngBlock(ngBlockSimple, cat(le.AppendUint32(nil, 60), pkt(60)))
	data := cat(ngSHB(), ngIDB(65535, ngEndOpt), spb, ngEPB(0, usec, 60, 60, pkt(60)), spb, spb, ngEPB(0, usec+7, 60, 60, pkt(60)), spb)
	got, _, err := readEnd(t, data)
	if err != io.EOF {
		t.Fatalf("end %v, want io.EOF", err)
	}
	var times []int64
	for _, f := range got {
		times = append(times, f.Timestamp)
	}
	want := []int64{0, usec * 1000, usec * 1000, usec * 1000, (usec + 7) * 1000, (usec + 7) * 1000}
	if !slices.Equal(times, want) {
		t.Errorf("timestamps %v\n  want %v", times, want)
	}
	sameBothWays(t, data)
}
