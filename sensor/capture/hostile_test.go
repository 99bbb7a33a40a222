package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// Hand-built pcapng blocks, little-endian unless a test says otherwise.
var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

// ngBlock frames body as a block of type typ: type, total length, body
// padded to 4 bytes, total length.
func ngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := le.AppendUint32(nil, typ)
	b = le.AppendUint32(b, n)
	b = append(b, body...)
	return le.AppendUint32(b, n)
}

// ngSHB is a section header block, version 1.0, no options: 28 bytes.
func ngSHB() []byte {
	body := le.AppendUint32(nil, ngByteOrderMark)
	body = le.AppendUint16(body, 1)
	body = le.AppendUint16(body, 0)
	body = le.AppendUint64(body, ^uint64(0))
	return ngBlock(ngBlockSection, body)
}

// ngOpt is one option: code, length, value padded to 4 bytes.
func ngOpt(code uint16, val []byte) []byte {
	b := le.AppendUint16(nil, code)
	b = le.AppendUint16(b, uint16(len(val)))
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

var ngEndOpt = []byte{0, 0, 0, 0}

// ngIDB is an interface description block: Ethernet, the snap length, the
// options as given (end of options included by the caller).
func ngIDB(snap uint32, opts ...[]byte) []byte {
	body := le.AppendUint16(nil, 1)
	body = le.AppendUint16(body, 0)
	body = le.AppendUint32(body, snap)
	for _, o := range opts {
		body = append(body, o...)
	}
	return ngBlock(ngBlockInterface, body)
}

// ngEPB is an enhanced packet block of interface iface with a timestamp in
// the interface's units; capLen is written as given (data is what follows).
func ngEPB(iface uint32, ts uint64, capLen, wireLen uint32, data []byte) []byte {
	body := le.AppendUint32(nil, iface)
	body = le.AppendUint32(body, uint32(ts>>32))
	body = le.AppendUint32(body, uint32(ts))
	body = le.AppendUint32(body, capLen)
	body = le.AppendUint32(body, wireLen)
	body = append(body, data...)
	return ngBlock(ngBlockEnhanced, body)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// usec is 2024-05-01 12:00:00 UTC in microseconds, the default resolution.
const usec = 1714564800_000000

func pkt(n int) []byte { return bytes.Repeat([]byte{0xab}, n) }

// readErr reads a source to its end; it returns the frames and the error
// that ended it.
func readEnd(t *testing.T, data []byte) ([]Frame, Source, error) {
	t.Helper()
	s, err := OpenReader("x.pcapng", bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	got, err := readAll(t, s)
	return got, s, err
}

// TestHostilePcapng feeds every field of the blocks the reader trusts with
// values that broke gopacket's reader (a divide by zero, a 4 GB allocation,
// reads past the block) or that no writer produces; each must give a
// FormatError with the offset of the block or option at fault, after the
// frames before it.
func TestHostilePcapng(t *testing.T) {
	shb := ngSHB()
	idb := ngIDB(65535, ngEndOpt)
	good := ngEPB(0, usec, 60, 60, pkt(60))
	tsresol := func(v byte) []byte { return ngIDB(65535, ngOpt(ngOptIfTsresol, []byte{v}), ngEndOpt) }
	big := ngEPB(0, usec, 60, 60, pkt(60))
	le.PutUint32(big[20:24], 0xfffffff0) // captured length 4 GB in a 92-byte block
	badTrail := ngEPB(0, usec, 60, 60, pkt(60))
	le.PutUint32(badTrail[len(badTrail)-4:], 96)
	cases := []struct {
		name   string
		data   []byte
		frames int
		want   string // the error after the frames
	}{
		// The 60-byte file of the issue: an IDB with if_tsresol 0x40.
		{"tsresol 0x40 alone", cat(shb, tsresol(0x40)), 0,
			"x.pcapng: offset 44: interface description: unsupported if_tsresol 0x40 (at most 10^-19 or 2^-63 s)"},
		{"tsresol 0x7f", cat(shb, idb, good, tsresol(0x7f)), 1,
			"x.pcapng: offset 160: interface description: unsupported if_tsresol 0x7f (at most 10^-19 or 2^-63 s)"},
		{"tsresol 0xc0", cat(shb, idb, good, tsresol(0xc0)), 1,
			"x.pcapng: offset 160: interface description: unsupported if_tsresol 0xc0 (at most 10^-19 or 2^-63 s)"},
		{"tsresol 0xff", cat(shb, idb, good, tsresol(0xff)), 1,
			"x.pcapng: offset 160: interface description: unsupported if_tsresol 0xff (at most 10^-19 or 2^-63 s)"},
		{"tsresol 10^-20", cat(shb, idb, good, tsresol(20)), 1,
			"x.pcapng: offset 160: interface description: unsupported if_tsresol 0x14 (at most 10^-19 or 2^-63 s)"},
		{"tsresol of 2 bytes", cat(shb, idb, good, ngIDB(0, ngOpt(ngOptIfTsresol, []byte{6, 0}), ngEndOpt)), 1,
			"x.pcapng: offset 160: interface description: if_tsresol of 2 bytes, want 1"},
		{"two if_tsresol", cat(shb, idb, good, ngIDB(0, ngOpt(ngOptIfTsresol, []byte{6}), ngOpt(ngOptIfTsresol, []byte{9}), ngEndOpt)), 1,
			"x.pcapng: offset 168: interface description: more than one if_tsresol"},
		{"two if_tsoffset", cat(shb, idb, good, ngIDB(0, ngOpt(ngOptIfTsoffset, le.AppendUint64(nil, 1)), ngOpt(ngOptIfTsoffset, le.AppendUint64(nil, 2)), ngEndOpt)), 1,
			"x.pcapng: offset 172: interface description: more than one if_tsoffset"},
		{"tsoffset of 4 bytes", cat(shb, idb, good, ngIDB(0, ngOpt(ngOptIfTsoffset, []byte{1, 2, 3, 4}), ngEndOpt)), 1,
			"x.pcapng: offset 160: interface description: if_tsoffset of 4 bytes, want 8"},
		// A time out of range skips its block (counted in BadTime,
		// TestPcapngTimestampEdges); the file goes on.
		{"tsoffset overflows the timestamp", cat(shb, ngIDB(0, ngOpt(ngOptIfTsoffset, le.AppendUint64(nil, 1<<62)), ngEndOpt), good), 0, ""},
		{"timestamp beyond 2262", cat(shb, idb, ngEPB(0, 1<<63, 60, 60, pkt(60)), good), 1, ""},
		{"option past the block", cat(shb, idb, good, ngIDB(0, le.AppendUint16(le.AppendUint16(nil, ngOptIfName), 200), ngEndOpt)), 1,
			"x.pcapng: offset 160: interface description: option 2 of 200 bytes runs past the end of the block"},
		{"captured length 4 GB", cat(shb, idb, good, big), 1,
			"x.pcapng: offset 144: enhanced packet block: captured length 4294967280 beyond the block's 60 bytes of data"},
		{"captured length past the block", cat(shb, idb, ngEPB(0, usec, 64, 64, pkt(60))), 0,
			"x.pcapng: offset 52: enhanced packet block: captured length 64 beyond the block's 60 bytes of data"},
		{"unknown interface", cat(shb, idb, good, ngEPB(1, usec, 60, 60, pkt(60))), 1,
			"x.pcapng: offset 144: enhanced packet block: interface 1 not described in the section (1 interfaces)"},
		{"packet before any interface", cat(shb, good), 0,
			"x.pcapng: offset 28: enhanced packet block: interface 0 not described in the section (0 interfaces)"},
		{"simple packet before any interface", cat(shb, ngBlock(ngBlockSimple, le.AppendUint32(nil, 4))), 0,
			"x.pcapng: offset 28: simple packet block: interface 0 not described in the section (0 interfaces)"},
		{"trailing length differs", cat(shb, idb, good, badTrail), 1,
			"x.pcapng: offset 144: enhanced packet block: trailing total length 96 differs from the leading 92"},
		{"block length not a multiple of 4", cat(shb, idb, good, le.AppendUint32(le.AppendUint32(nil, 5), 13), pkt(20)), 1,
			"x.pcapng: offset 144: block type 0x5: total length 13 is not a multiple of 4 of at least 12"},
		{"block length below 12", cat(shb, idb, good, le.AppendUint32(le.AppendUint32(nil, 5), 4), pkt(20)), 1,
			"x.pcapng: offset 144: block type 0x5: total length 4 is not a multiple of 4 of at least 12"},
		{"block length 4 GB", cat(shb, idb, good, le.AppendUint32(le.AppendUint32(nil, 5), 0xfffffffc), pkt(20)), 1,
			"x.pcapng: offset 144: block type 0x5: total length 4294967292 beyond the 16777216-byte limit"},
		{"interface block below its minimum", cat(shb, ngBlock(ngBlockInterface, nil)), 0,
			"x.pcapng: offset 28: interface description: total length 12 below the minimum 20"},
		{"enhanced block below its minimum", cat(shb, idb, ngBlock(ngBlockEnhanced, nil)), 0,
			"x.pcapng: offset 52: enhanced packet block: total length 12 below the minimum 32"},
		{"bad byte order in a second section", cat(shb, idb, good, ngBlock(ngBlockSection, make([]byte, 16))), 1,
			"x.pcapng: offset 144: section header: bad byte-order magic 00 00 00 00"},
		{"version 2.0", cat(shb, idb, good, func() []byte { b := ngSHB(); le.PutUint16(b[12:14], 2); return b }()), 1,
			"x.pcapng: offset 144: section header: unsupported pcapng version 2.0 (want 1.0)"},
		{"section header beyond the buffer", cat(shb, idb, good, ngBlock(ngBlockSection, cat(ngSHB()[8:24], make([]byte, readBufferSize)))), 1,
			"x.pcapng: offset 144: section header: total length 262172 beyond the 262144-byte limit"},
		{"end of options with a length", cat(shb, idb, good, ngIDB(0, []byte{0, 0, 4, 0}, ngEndOpt)), 1,
			""}, // tolerated: the options end there
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := readEnd(t, c.data)
			if len(got) != c.frames {
				t.Errorf("%d frames, want %d", len(got), c.frames)
			}
			if c.want == "" {
				if err != io.EOF {
					t.Errorf("end %v, want io.EOF", err)
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) || err.Error() != c.want {
				t.Errorf("error %v\n  want %s", err, c.want)
			}
		})
	}
}

// TestPcapngTimestampResolutions checks the if_tsresol values at the edges
// of what fits 64 bits read right, and if_tsoffset is added.
func TestPcapngTimestampResolutions(t *testing.T) {
	const sec = 1714564800
	for _, c := range []struct {
		name string
		opts [][]byte
		ts   uint64
		want int64
	}{
		{"default microseconds", nil, sec*1e6 + 5, sec*1e9 + 5000},
		{"nanoseconds", [][]byte{ngOpt(ngOptIfTsresol, []byte{9})}, sec*1e9 + 7, sec*1e9 + 7},
		{"10^-19", [][]byte{ngOpt(ngOptIfTsresol, []byte{19})}, 1e19 + 25e9, 1e9 + 2},
		{"2^-63", [][]byte{ngOpt(ngOptIfTsresol, []byte{0x80 | 63})}, 1<<63 | 1<<62, 1.5e9},
		{"2^-10", [][]byte{ngOpt(ngOptIfTsresol, []byte{0x80 | 10})}, 3*1024 + 512, 3.5e9},
		{"offset", [][]byte{ngOpt(ngOptIfTsresol, []byte{0}), ngOpt(ngOptIfTsoffset, le.AppendUint64(nil, sec))}, 2, (sec + 2) * 1e9},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := cat(ngSHB(), ngIDB(0, append(c.opts, ngEndOpt)...), ngEPB(0, c.ts, 60, 60, pkt(60)))
			got, _, err := readEnd(t, data)
			if err != io.EOF || len(got) != 1 || got[0].Timestamp != c.want {
				t.Fatalf("frames %+v, end %v; want one at %d", got, err, c.want)
			}
		})
	}
}

// heapAlloc is the bytes allocated by f.
func heapAlloc(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestOversizeRecordsSkipped checks a record longer than MaxRecordSize is
// skipped without reading it into memory, counted, and the next one read;
// and a length no writer produces is a corrupt file, not an allocation.
func TestOversizeRecordsSkipped(t *testing.T) {
	const over = MaxRecordSize + 4
	ngOver := ngEPB(0, usec, over, over, pkt(over))
	rs := testRecords()
	pc := pcapFile(le, true, 1, rs[:1])
	rh := le.AppendUint32(le.AppendUint32(nil, 1714564800), 0)
	rh = le.AppendUint32(le.AppendUint32(rh, over), over)
	pcOver := cat(rh, pkt(over))
	pcNext := pcapFile(le, true, 1, rs[1:2])[24:]
	huge := cat(pcapFile(le, true, 1, nil), le.AppendUint32(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 1714564800), 0), 0xfffffff0), 0xfffffff0), make([]byte, 4<<20))
	le.PutUint32(huge[16:20], 0xffffffff) // the header's snap length: 4 GB
	for _, c := range []struct {
		name   string
		data   []byte
		frames int
		want   string
	}{
		{"pcapng", cat(ngSHB(), ngIDB(0xffffffff, ngEndOpt), ngOver, ngEPB(0, usec, 60, 60, pkt(60))), 1, ""},
		{"pcap", cat(pc, pcOver, pcNext), 2, ""},
		{"pcap gzip", gz(t, cat(pc, pcOver, pcNext)), 2, ""},
		{"pcap 4 GB record", gz(t, huge), 0, "x.pcapng: offset 24: record 1: captured length 4294967280 beyond the 16777216-byte limit: corrupt record header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenReader("x.pcapng", bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			var got []Frame
			alloc := heapAlloc(func() { got, err = readAll(t, s) })
			if c.want != "" {
				if err == nil || err.Error() != c.want {
					t.Fatalf("error %v\n  want %s", err, c.want)
				}
			} else if err != io.EOF {
				t.Fatalf("end %v", err)
			}
			if alloc > 1<<20 {
				t.Errorf("reading allocated %d bytes", alloc)
			}
			want := Stats{Frames: uint64(c.frames)}
			if c.want == "" {
				want.Errors, want.Oversize = 1, 1
			}
			if st := s.Stats(); len(got) != c.frames || st.Frames != want.Frames || st.Errors != want.Errors || st.Oversize != want.Oversize {
				t.Errorf("%d frames, stats %+v; want %d frames, one oversize", len(got), st, c.frames)
			}
			for i, f := range got {
				if len(f.Data) > MaxRecordSize {
					t.Errorf("frame %d: %d bytes", i, len(f.Data))
				}
			}
		})
	}
}

// TestHostilePcap covers the classic pcap header and record fields.
func TestHostilePcap(t *testing.T) {
	rs := testRecords()
	pc := pcapFile(le, false, 1, rs)
	v3 := bytes.Clone(pc)
	le.PutUint16(v3[4:6], 3)
	for _, c := range []struct {
		name   string
		data   []byte
		frames int
		want   string
	}{
		{"version 3", v3, 0, "x.pcap: offset 4: unsupported pcap version 3.4 (want 2.x)"},
		{"header cut", pc[:20], 0, "x.pcap: offset 0: file header cut short: 20 bytes"},
		{"pcapng header cut", ngSHB()[:20], 0, "x.pcap: offset 0: file header cut short: 20 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenReader("x.pcap", bytes.NewReader(c.data))
			var got []Frame
			if err == nil {
				got, err = readAll(t, s)
			}
			var fe *FormatError
			if len(got) != c.frames || !errors.As(err, &fe) || err.Error() != c.want {
				t.Errorf("%d frames, error %v\n  want %d frames, %s", len(got), err, c.frames, c.want)
			}
		})
	}
}

// TestLinkTypesAbove255 checks a link type gopacket cannot hold is not read
// as the one its low byte names, and the frame check sequence bits of a
// pcap header's link type are not part of it.
func TestLinkTypesAbove255(t *testing.T) {
	rs := testRecords()[:1]
	for _, c := range []struct {
		link uint32
		want uint8
	}{
		{1, 1},
		{276, uint8(LinkTypeLinuxSLL2)},
		{257, uint8(LinkTypeUnknown)}, // would alias Ethernet
		{0x14000001, 1},               // Ethernet with a 4-byte FCS
	} {
		got, _, err := readEnd(t, pcapFile(le, true, c.link, rs))
		if err != io.EOF || len(got) != 1 || uint8(got[0].Link) != c.want {
			t.Errorf("link type %#x: frames %d, end %v, link %d; want %d", c.link, len(got), err, got[0].Link, c.want)
		}
	}
}

// TestTruncationReported checks a final record cut short is reported with
// its offset, and a whole file reports nothing.
func TestTruncationReported(t *testing.T) {
	rs := testRecords()
	pc := pcapFile(le, false, 1, rs)
	_, s, err := readEnd(t, pc[:len(pc)-10])
	if err != io.EOF {
		t.Fatal(err)
	}
	last := len(pc) - 16 - len(rs[4].data)
	want := "x.pcapng: offset " + strconv.Itoa(last) + ": truncated final record: " + strconv.Itoa(16+len(rs[4].data)-10) + " of " + strconv.Itoa(16+len(rs[4].data)) + " bytes"
	terr := s.(Truncator).Truncation()
	var fe *FormatError
	if !errors.As(terr, &fe) || terr.Error() != want {
		t.Errorf("truncation %v\n  want %s", terr, want)
	}
	if st := s.Stats(); st.Truncated != 1 || st.Errors != 1 {
		t.Errorf("stats %+v", st)
	}
	_, s, _ = readEnd(t, pc)
	if terr := s.(Truncator).Truncation(); terr != nil {
		t.Errorf("whole file: truncation %v", terr)
	}
}

// TestNextRecoversFromABug checks the last line of defence: a panic inside
// the reader (here a source without a reader) ends the file with an error
// that is not a FormatError, so that it is not taken for bad input.
func TestNextRecoversFromABug(t *testing.T) {
	s := &fileSource{name: "x.pcap"}
	err := s.Next(&Frame{})
	var fe *FormatError
	const want = "x.pcap: offset 0: internal error reading the capture: runtime error: invalid memory address or nil pointer dereference"
	if err == nil || errors.As(err, &fe) || err.Error() != want {
		t.Errorf("error %v\n  want %s", err, want)
	}
	if err := s.Next(&Frame{}); err != io.EOF {
		t.Errorf("Next after the error: %v", err)
	}
}

// oldPcap rewrites a pcap file of rs as version 2.minor with the captured
// and original lengths of each record interchanged, as libpcap wrote them
// before 2.3 (and some writers of 2.3 still did).
func oldPcap(minor uint16, rs []rec) []byte {
	b := pcapFile(le, false, 1, rs)
	le.PutUint16(b[6:8], minor)
	o := 24
	for _, r := range rs {
		capLen, wireLen := le.Uint32(b[o+8:]), le.Uint32(b[o+12:])
		le.PutUint32(b[o+8:], wireLen)
		le.PutUint32(b[o+12:], capLen)
		o += 16 + len(r.data)
	}
	return b
}

// TestPcapOldLengthOrder reads pcap 2.1 and 2.3 files whose records give the
// original length first: every record, with its data and wire length.
func TestPcapOldLengthOrder(t *testing.T) {
	rs := testRecords()
	cur23 := pcapFile(le, false, 1, rs)
	le.PutUint16(cur23[6:8], 3)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"2.1", oldPcap(1, rs)},
		{"2.0", oldPcap(0, rs)},
		{"2.3 old order", oldPcap(3, rs)},
		{"2.3 current order", cur23},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := readEnd(t, c.data)
			if err != io.EOF || len(got) != len(rs) {
				t.Fatalf("%d frames, end %v; want %d, EOF", len(got), err, len(rs))
			}
			for i, f := range got {
				if !bytes.Equal(f.Data, rs[i].data) || int(f.WireLen) != rs[i].wireLen {
					t.Errorf("record %d: %d bytes of %d, want %d of %d", i, len(f.Data), f.WireLen, len(rs[i].data), rs[i].wireLen)
				}
			}
		})
	}
}

// TestLinkTypesListed checks a file source names the link types as written
// in the file, also those above 255, each once.
func TestLinkTypesListed(t *testing.T) {
	rs := testRecords()[:1]
	for _, c := range []struct {
		link uint32
		want []uint32
	}{
		{1, []uint32{1}},
		{119, []uint32{119}},
		{0x14000001, []uint32{1}},
		{1000, []uint32{1000}},
	} {
		_, s, err := readEnd(t, pcapFile(le, true, c.link, rs))
		if err != io.EOF {
			t.Fatal(err)
		}
		if got := s.(LinkLister).LinkTypes(); !slices.Equal(got, c.want) {
			t.Errorf("link type %#x: LinkTypes %v, want %v", c.link, got, c.want)
		}
	}
}

// TestWireLengthClamped: a record claiming a huge original length (4 GB in
// a pcap record header, or a pcapng block) is delivered and counted as
// MaxWireLen, and the file and record number of the first are reported, so
// that a hostile capture cannot inflate the byte counters and thresholds.
func TestWireLengthClamped(t *testing.T) {
	rs := testRecords()[:3]
	rs[1].wireLen = 0xffffffff
	ng := cat(ngSHB(), ngIDB(0, ngEndOpt), ngEPB(0, usec, 60, 60, pkt(60)), ngEPB(0, usec, 60, 0xffffffff, pkt(60)),
		ngEPB(0, usec, 60, MaxWireLen+1, pkt(60)), ngEPB(0, usec, 60, MaxWireLen, pkt(60)))
	for _, c := range []struct {
		name  string
		data  []byte
		wire  []uint32
		first string
	}{
		{"pcap", pcapFile(le, true, 1, rs), []uint32{uint32(rs[0].wireLen), MaxWireLen, uint32(rs[2].wireLen)},
			"x: record 2: original length 4294967295 above the 262144-byte limit, counted as 262144 (clamped records: 1)"},
		{"pcapng", ng, []uint32{60, MaxWireLen, MaxWireLen, MaxWireLen},
			"x: record 2: original length 4294967295 above the 262144-byte limit, counted as 262144 (clamped records: 2)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenReader("x", bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, s)
			if err != io.EOF {
				t.Fatalf("end %v", err)
			}
			var wire []uint32
			var sum uint64
			for _, f := range got {
				wire = append(wire, f.WireLen)
				sum += uint64(f.WireLen)
			}
			if !slices.Equal(wire, c.wire) {
				t.Errorf("wire lengths %v; want %v", wire, c.wire)
			}
			clamped := uint64(len(c.wire) - 2)
			if st := s.Stats(); st.Bytes != sum || st.WireClamped != clamped || st.Errors != 0 || st.Frames != uint64(len(c.wire)) {
				t.Errorf("stats %+v; want %d bytes, %d clamped, no error", st, sum, clamped)
			}
			if err := s.(WireClamper).WireClamp(); err == nil || err.Error() != c.first {
				t.Errorf("WireClamp %v\n    want %s", err, c.first)
			}
		})
	}
}
