package capture

import (
	"bytes"
	"io"
	"testing"
)

// TestBadLengthSkipped covers the records whose lengths contradict each
// other, in both formats: a captured length above the original length is
// skipped and counted in Stats.BadLength and Stats.Errors, the records
// around it are read. A captured length above the snap length (of the pcap
// header, of the pcapng interface) is read whole, as Wireshark reads it.
// Every file is also read with and without the fast paths, whole and
// dribbled.
func TestBadLengthSkipped(t *testing.T) {
	rs := testRecords() // 60, 70, 80, 90, 100 bytes; original lengths +0..+4
	pcapWith := func(snap uint32, edit func(b []byte, third int)) []byte {
		b := pcapFile(le, true, 1, rs)
		le.PutUint32(b[16:20], snap)
		third := 24 + (16 + len(rs[0].data)) + (16 + len(rs[1].data))
		if edit != nil {
			edit(b, third)
		}
		return b
	}
	snap64 := func(b []byte, _ int) {} // every record but the first captures more than 64 bytes
	obsolete := func(capLen, wireLen uint32, data []byte) []byte {
		body := le.AppendUint16(nil, 0) // interface
		body = le.AppendUint16(body, 0) // drops
		body = le.AppendUint32(body, uint32(usec>>32))
		body = le.AppendUint32(body, uint32(usec&0xffffffff))
		body = le.AppendUint32(body, capLen)
		body = le.AppendUint32(body, wireLen)
		return ngBlock(ngBlockPacket, append(body, data...))
	}
	good := ngEPB(0, usec, 60, 60, pkt(60))
	for _, c := range []struct {
		name   string
		data   []byte
		frames []int // captured lengths of the frames delivered
		bad    uint64
	}{
		{"pcap captured above original", pcapWith(65535, func(b []byte, third int) { le.PutUint32(b[third+12:], 1) }), []int{60, 70, 90, 100}, 1},
		{"pcap captured above snap length", pcapWith(64, snap64), []int{60, 70, 80, 90, 100}, 0},
		{"pcap snap length 0", pcapWith(0, nil), []int{60, 70, 80, 90, 100}, 0},
		{"pcap snap length exact", pcapWith(100, nil), []int{60, 70, 80, 90, 100}, 0},
		{"pcapng captured above original", cat(ngSHB(), ngIDB(65535, ngEndOpt), good, ngEPB(0, usec, 60, 59, pkt(60)), good), []int{60, 60}, 1},
		{"pcapng original 0", cat(ngSHB(), ngIDB(65535, ngEndOpt), ngEPB(0, usec, 60, 0, pkt(60)), good), []int{60}, 1},
		{"pcapng captured above snap length", cat(ngSHB(), ngIDB(50, ngEndOpt), ngEPB(0, usec, 50, 60, pkt(50)), good, ngEPB(0, usec, 40, 60, pkt(40))), []int{50, 60, 40}, 0},
		{"pcapng snap length per interface", cat(ngSHB(), ngIDB(50, ngEndOpt), ngIDB(65535, ngEndOpt), good, ngEPB(1, usec, 60, 60, pkt(60))), []int{60, 60}, 0},
		{"pcapng snap length 0", cat(ngSHB(), ngIDB(0, ngEndOpt), ngEPB(0, usec, 1000, 1000, pkt(1000))), []int{1000}, 0},
		{"pcapng obsolete packet block", cat(ngSHB(), ngIDB(65535, ngEndOpt), obsolete(60, 59, pkt(60)), obsolete(60, 60, pkt(60))), []int{60}, 1},
		// A simple packet block has no captured length: it is the least
		// of the original length, the block's data and the snap length.
		{"pcapng simple packet block", cat(ngSHB(), ngIDB(50, ngEndOpt), ngBlock(ngBlockSimple, le.AppendUint32(nil, 40)), ngBlock(ngBlockSimple, cat(le.AppendUint32(nil, 20), pkt(40))), ngBlock(ngBlockSimple, cat(le.AppendUint32(nil, 1500), pkt(60)))), []int{0, 20, 50}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, s, err := readEnd(t, c.data)
			if err != io.EOF {
				t.Fatalf("end %v, want io.EOF", err)
			}
			var lens []int
			for _, f := range got {
				lens = append(lens, len(f.Data))
				if uint32(len(f.Data)) > f.WireLen && f.WireLen != 0 {
					t.Errorf("frame of %d bytes delivered with original length %d", len(f.Data), f.WireLen)
				}
			}
			if !bytes.Equal(intBytes(lens), intBytes(c.frames)) {
				t.Errorf("frames of %v bytes, want %v", lens, c.frames)
			}
			if st := s.Stats(); st.BadLength != c.bad || st.Errors != c.bad || st.Frames != uint64(len(c.frames)) {
				t.Errorf("stats %+v, want %d bad lengths and errors, %d frames", st, c.bad, len(c.frames))
			}
			sameBothWays(t, c.data)
		})
	}
}

func intBytes(v []int) []byte {
	var b []byte
	for _, x := range v {
		b = le.AppendUint32(b, uint32(x))
	}
	return b
}

// TestSectionByteOrderChange checks a second section in the other byte
// order is read in its own order, its interfaces its own: a big-endian
// section after a little-endian one, then little-endian again, with a
// packet of an interface only the first section described.
func TestSectionByteOrderChange(t *testing.T) {
	data := cat(ngSHB(), ngIDB(65535, ngEndOpt), ngIDB(65535, ngEndOpt), ngEPB(1, usec, 60, 60, pkt(60)),
		beFile(), ngSHB(), ngIDB(65535, ngEndOpt), ngEPB(0, usec+2, 42, 50, pkt(42)), ngEPB(1, usec, 60, 60, pkt(60)))
	got, _, err := readEnd(t, data)
	want := "x.pcapng: offset 532: enhanced packet block: interface 1 not described in the section (1 interfaces)"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v\n  want %s", err, want)
	}
	type fr struct {
		n, wire int
		iface   uint16
		ts      int64
	}
	var frames []fr
	for _, f := range got {
		frames = append(frames, fr{len(f.Data), int(f.WireLen), f.Iface, f.Timestamp})
	}
	exp := []fr{{60, 60, 1, usec * 1000}, {60, 60, 0, usec * 1000}, {64, 64, 0, (usec + 1) * 1000}, {42, 50, 0, (usec + 2) * 1000}}
	if len(frames) != len(exp) {
		t.Fatalf("frames %+v\n  want %+v", frames, exp)
	}
	for i := range exp {
		if frames[i] != exp[i] {
			t.Errorf("frame %d: %+v, want %+v", i, frames[i], exp[i])
		}
	}
	sameBothWays(t, data)
}
