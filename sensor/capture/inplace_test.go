package capture

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// TestRecordsInPlaceAndCopied: records that fit the read-ahead buffer are
// returned in place, larger ones (up to MaxRecordSize) copied; both come
// back whole and in order, with their times, in pcap and in pcapng at
// microsecond and nanosecond resolution (the timestamp fast paths) and at
// 10^-4 s (the general one).
func TestRecordsInPlaceAndCopied(t *testing.T) {
	sizes := []int{60, MaxRecordSize, 1500, readBufferSize - 16, readBufferSize - 200, 60, MaxRecordSize - 1, 61}
	t0 := time.Unix(1700000000, 123456000).UTC()
	data := func(i, n int) []byte {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(i*31 + j)
		}
		return b
	}
	for _, c := range []struct {
		name  string
		ng    bool
		resol uint8
		step  time.Duration
	}{
		{"pcap", false, 0, time.Microsecond},
		{"pcapng-us", true, 6, time.Microsecond},
		{"pcapng-ns", true, 9, time.Nanosecond + time.Microsecond},
		{"pcapng-1e-4", true, 4, 100 * time.Microsecond},
	} {
		var buf bytes.Buffer
		var write func(gopacket.CaptureInfo, []byte) error
		var flush func() error
		if c.ng {
			w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "x", LinkType: layers.LinkTypeEthernet,
				SnapLength: MaxRecordSize, TimestampResolution: pcapgo.NgResolution(c.resol)}, pcapgo.NgWriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			write, flush = w.WritePacket, w.Flush
		} else {
			w := pcapgo.NewWriterNanos(&buf)
			if err := w.WriteFileHeader(MaxRecordSize, layers.LinkTypeEthernet); err != nil {
				t.Fatal(err)
			}
			write, flush = w.WritePacket, func() error { return nil }
		}
		for i, n := range sizes {
			ts := t0.Add(time.Duration(i) * c.step)
			if err := write(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: n, Length: n + 4}, data(i, n)); err != nil {
				t.Fatal(err)
			}
		}
		if err := flush(); err != nil {
			t.Fatal(err)
		}
		src, err := OpenReader(c.name, bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		for i, n := range sizes {
			if err := src.Next(&f); err != nil {
				t.Fatalf("%s: record %d: %v", c.name, i, err)
			}
			want := t0.Add(time.Duration(i) * c.step).UnixNano()
			// The original length of the largest records is above
			// MaxWireLen: clamped.
			if !bytes.Equal(f.Data, data(i, n)) || f.WireLen != min(uint32(n+4), MaxWireLen) || f.Timestamp != want {
				t.Errorf("%s: record %d: %d bytes (want %d, content equal %v), wire %d, time %d (want %d)",
					c.name, i, len(f.Data), n, bytes.Equal(f.Data, data(i, n)), f.WireLen, f.Timestamp, want)
			}
		}
		if err := src.Next(&f); !errors.Is(err, io.EOF) {
			t.Errorf("%s: after the last record: %v, want EOF", c.name, err)
		}
		if st := src.Stats(); st.Frames != uint64(len(sizes)) || st.Errors != 0 {
			t.Errorf("%s: stats %+v", c.name, st)
		}
	}
}
