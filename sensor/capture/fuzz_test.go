package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedHeads returns the first n bytes of the shared captures whose names
// end in ext (none when ../shared is absent: the fuzz seeds then are the
// hand-built ones only).
func sharedHeads(f *testing.F, ext string, n int) [][]byte {
	f.Helper()
	const dir = "../../../shared/pcaps"
	paths, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		out = append(out, b[:min(len(b), n)])
	}
	return out
}

// checkSource reads data to its end and checks what a hostile file must
// never get: a panic (or a bug's error), a record beyond MaxRecordSize,
// more records than the data could hold, an error without a place.
func checkSource(t *testing.T, data []byte) {
	const name = "fuzz"
	compressed := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
	checkErr := func(err error) {
		t.Helper()
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v (%T) is not a FormatError", err, err)
		}
		if fe.File != name || fe.Offset < 0 || (!compressed && fe.Offset > int64(len(data))) || fe.Reason == "" ||
			!strings.HasPrefix(err.Error(), name+": offset ") {
			t.Fatalf("error %q: offset %d of a %d-byte input", err, fe.Offset, len(data))
		}
	}
	s, err := OpenReader(name, bytes.NewReader(data))
	if err != nil {
		checkErr(err)
		return
	}
	defer s.Close()
	var fr Frame
	for n := 0; ; n++ {
		// Every record takes at least 12 bytes of the (decompressed) input.
		if !compressed && n > len(data)/12+1 {
			t.Fatalf("%d records from %d bytes", n, len(data))
		}
		if compressed && n > 1<<20 {
			t.Fatalf("%d records from %d compressed bytes", n, len(data))
		}
		err := s.Next(&fr)
		if err == io.EOF {
			if terr := s.(Truncator).Truncation(); terr != nil {
				checkErr(terr)
			}
			return
		}
		if err != nil {
			checkErr(err)
			return
		}
		if len(fr.Data) > MaxRecordSize || (!compressed && len(fr.Data) > len(data)) {
			t.Fatalf("record %d: %d bytes from a %d-byte input", n, len(fr.Data), len(data))
		}
	}
}

// FuzzPcapNG builds a section header, an interface description whose
// options are the fuzzer's, and the fuzzer's blocks after them (seeded
// with the heads of real captures, which start a new section, and with
// hostile blocks).
func FuzzPcapNG(f *testing.F) {
	opt := func(parts ...[]byte) []byte { return cat(parts...) }
	optSeeds := [][]byte{
		ngEndOpt,
		nil,
		opt(ngOpt(ngOptIfName, []byte("eth0")), ngOpt(ngOptIfTsresol, []byte{9}), ngEndOpt),
		opt(ngOpt(ngOptIfTsresol, []byte{0x40}), ngEndOpt),
		opt(ngOpt(ngOptIfTsresol, []byte{0xc0}), ngEndOpt),
		opt(ngOpt(ngOptIfTsresol, []byte{0x80 | 63}), ngOpt(ngOptIfTsoffset, le.AppendUint64(nil, 1<<62)), ngEndOpt),
		opt(ngOpt(ngOptIfTsoffset, le.AppendUint64(nil, 1714564800)), ngOpt(1, []byte("comment")), ngEndOpt),
		opt(ngOpt(11, []byte{0, 't', 'c', 'p'}), ngOpt(12, []byte("Linux")), ngEndOpt), // filter, OS
		le.AppendUint16(le.AppendUint16(nil, ngOptIfName), 0xffff),
	}
	big := ngEPB(0, usec, 60, 60, pkt(60))
	le.PutUint32(big[20:24], 0xfffffff0)
	blockSeeds := [][]byte{
		nil,
		ngEPB(0, usec, 60, 60, pkt(60)),
		cat(ngEPB(0, usec, 60, 60, pkt(60)), ngBlock(5, make([]byte, 12)), ngBlock(ngBlockSimple, le.AppendUint32(pkt(60), 60))),
		big,
		cat(ngBlock(ngBlockPacket, make([]byte, 20)), ngEPB(1, usec, 0, 0, nil)),
		cat(ngSHB(), ngIDB(0xffffffff, ngEndOpt), ngEPB(0, 1<<63, 60, 60, pkt(60))),
	}
	blockSeeds = append(blockSeeds, sharedHeads(f, ".pcapng", 4096)...)
	for _, o := range optSeeds {
		for _, b := range blockSeeds {
			f.Add(o, b)
		}
	}
	f.Fuzz(func(t *testing.T, opts, blocks []byte) {
		data := cat(ngSHB(), ngIDB(65535, opts), blocks)
		checkSource(t, data)
		sameBothWays(t, data)
	})
}

// sameBothWays reads data with the in-buffer fast paths and
// without it, through a reader that hands out 1 to 100 bytes a call (so
// that blocks straddle the buffer's fills), and checks that both give the
// same records, the same final error, offsets included, and the same
// counters.
func sameBothWays(t *testing.T, data []byte) {
	t.Helper()
	type rec struct {
		data          string
		link          uint32
		iface         uint16
		wire          uint32
		ts            int64
		reportPackets uint32
	}
	readFrom := func(slow bool, s *fileSource, err error) ([]rec, string, Stats) {
		if err != nil {
			return nil, err.Error(), Stats{}
		}
		s.slow = slow
		var out []rec
		var f Frame
		for range len(data)/12 + 2 {
			if err := s.Next(&f); err != nil {
				msg := err.Error()
				if terr := s.Truncation(); terr != nil {
					msg += "; " + terr.Error()
				}
				return out, msg, s.Stats()
			}
			out = append(out, rec{string(f.Data), uint32(f.Link), f.Iface, f.WireLen, f.Timestamp, f.ReportPackets})
		}
		t.Fatalf("more records than %d bytes hold", len(data))
		return nil, "", Stats{}
	}
	read := func(slow bool, r io.Reader) ([]rec, string, Stats) {
		s, err := openReader("both", r, nil)
		return readFrom(slow, s, err)
	}
	readMapped := func(slow bool) ([]rec, string, Stats) {
		s := &fileSource{name: "both"}
		s.in = input{m: bytes.Clone(data)}
		_, err := s.open()
		return readFrom(slow, s, err)
	}
	for _, chunked := range []bool{false, true} {
		mk := func() io.Reader {
			if chunked {
				return &dribble{b: data}
			}
			return bytes.NewReader(data)
		}
		fr, fe, fs := read(false, mk())
		sr, se, ss := read(true, mk())
		if fe != se || fs != ss || len(fr) != len(sr) {
			t.Fatalf("chunked %v: fast path %d records, %q, %+v; slow %d records, %q, %+v", chunked, len(fr), fe, fs, len(sr), se, ss)
		}
		for i := range fr {
			if fr[i] != sr[i] {
				t.Fatalf("chunked %v: record %d: fast path %+v, slow %+v", chunked, i, fr[i], sr[i])
			}
		}
	}
	// As OpenFile reads a regular file: from a mapping (here the bytes
	// themselves), with and without the fast paths.
	if len(data) == 0 || len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return // OpenFile reads these as a stream
	}
	fr, fe, fs := read(false, bytes.NewReader(data))
	for _, slow := range []bool{false, true} {
		mr, me, ms := readMapped(slow)
		if fe != me || fs != ms || len(fr) != len(mr) {
			t.Fatalf("mapped, slow %v: %d records, %q, %+v; stream %d records, %q, %+v", slow, len(mr), me, ms, len(fr), fe, fs)
		}
		for i := range fr {
			if fr[i] != mr[i] {
				t.Fatalf("mapped, slow %v: record %d: %+v, stream %+v", slow, i, mr[i], fr[i])
			}
		}
	}
}

// dribble hands out its bytes 1 to 100 at a time, varying.
type dribble struct {
	b []byte
	n int
}

func (d *dribble) Read(p []byte) (int, error) {
	if len(d.b) == 0 {
		return 0, io.EOF
	}
	d.n = d.n%100 + 1
	k := copy(p[:min(len(p), d.n)], d.b)
	d.b = d.b[k:]
	return k, nil
}

// FuzzPcap reads the fuzzer's bytes as a whole file: classic pcap headers
// and records (seeded with the heads of real captures and hostile ones),
// and whatever else the fuzzer makes of them (pcapng, gzip).
func FuzzPcap(f *testing.F) {
	rs := testRecords()
	f.Add(pcapFile(le, false, 1, rs))
	f.Add(pcapFile(be, true, 276, rs))
	f.Add(pcapFile(le, true, 0x14000101, rs[:1]))
	huge := pcapFile(le, true, 1, rs[:1])
	le.PutUint32(huge[16:20], 0xffffffff)
	le.PutUint32(huge[24+8:], 0xfffffff0)
	le.PutUint32(huge[24+12:], 0xfffffff0)
	f.Add(huge)
	over := pcapFile(le, true, 1, rs[:1])
	le.PutUint32(over[24+8:], MaxRecordSize+1)
	le.PutUint32(over[24+12:], MaxRecordSize+1)
	f.Add(over)
	pc := pcapFile(le, false, 1, rs)
	f.Add(pc[:len(pc)-10])
	badTime := pcapFile(be, false, 1, rs[:2])
	be.PutUint32(badTime[24+4:], 1_000_000) // a fraction beyond the microsecond
	f.Add(badTime)
	for _, h := range sharedHeads(f, ".pcap", 4096) {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSource(t, data)
		sameBothWays(t, data)
	})
}

// TestFileFastPath checks that the in-buffer fast path of pcapng takes a
// whole enhanced packet block, and that with or without the fast paths
// every file below gives the same records, errors (offsets included) and
// counters: pcapng with valid blocks in either byte order, a bad trailing
// length, an interface not described, a timestamp out of range, a captured
// length past the block, a block cut short, other blocks between packets;
// pcap in either byte order, with lengths in the old order, an oversize
// record, a record cut short.
func TestFileFastPath(t *testing.T) {
	badTrailer := ngEPB(0, usec, 60, 60, pkt(60))
	le.PutUint32(badTrailer[len(badTrailer)-4:], 96)
	pastBlock := ngEPB(0, usec, 60, 60, pkt(60))
	le.PutUint32(pastBlock[20:24], 64)
	valid := cat(ngSHB(), ngIDB(65535), ngEPB(0, usec, 60, 60, pkt(60)), ngEPB(0, usec+1, 42, 1500, pkt(42)))
	files := map[string][]byte{
		"valid":          valid,
		"big-endian":     beFile(),
		"bad-trailer":    cat(ngSHB(), ngIDB(65535), ngEPB(0, usec, 60, 60, pkt(60)), badTrailer),
		"no-interface":   cat(ngSHB(), ngIDB(65535), ngEPB(1, usec, 60, 60, pkt(60))),
		"timestamp":      cat(ngSHB(), ngIDB(65535), ngEPB(0, 1<<63, 60, 60, pkt(60))),
		"past-the-block": cat(ngSHB(), ngIDB(65535), pastBlock),
		"cut-short":      valid[:len(valid)-7],
		"other-blocks":   cat(ngSHB(), ngIDB(65535), ngBlock(5, make([]byte, 12)), ngEPB(0, usec, 60, 60, pkt(60)), ngBlock(ngBlockSimple, le.AppendUint32(pkt(60), 60))),
	}
	rs := testRecords()
	over := pcapFile(le, true, 1, rs[:1])
	le.PutUint32(over[24+8:], MaxRecordSize+1)
	le.PutUint32(over[24+12:], MaxRecordSize+1)
	pc := pcapFile(le, false, 1, rs)
	swapped := pcapFile(be, true, 276, rs)
	be.PutUint16(swapped[6:8], 1) // version 2.1: lengths in the old order
	for i, o := 0, 24; i < len(rs); i++ {
		c, w := be.Uint32(swapped[o+8:]), be.Uint32(swapped[o+12:])
		be.PutUint32(swapped[o+8:], w)
		be.PutUint32(swapped[o+12:], c)
		o += 16 + int(c)
	}
	files["pcap"] = pc
	files["pcap-big-endian-ns"] = pcapFile(be, true, 276, rs)
	files["pcap-old-length-order"] = swapped
	files["pcap-oversize"] = over
	files["pcap-cut-short"] = pc[:len(pc)-10]
	for name, data := range files {
		t.Run(name, func(t *testing.T) { sameBothWays(t, data) })
	}
	// The second packet, after the first one's Next read the interface.
	for name, c := range map[string]struct {
		data       []byte
		size, wire int
	}{"little-endian": {valid, 42, 1500}, "big-endian": {beFile(), 64, 64}} {
		s, err := openReader(name, bytes.NewReader(c.data), nil)
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		if err := s.Next(&f); err != nil {
			t.Fatal(err)
		}
		if err := s.consume(); err != nil {
			t.Fatal(err)
		}
		if !s.bufferedEPB(&f) || len(f.Data) != c.size || f.WireLen != uint32(c.wire) || f.Timestamp != (usec+1)*1000 {
			t.Fatalf("%s: fast path not taken or wrong: %d bytes, wire %d, ts %d", name, len(f.Data), f.WireLen, f.Timestamp)
		}
	}
}

// beFile is a big-endian pcapng file: a section, an Ethernet interface, two
// packets.
func beFile() []byte {
	block := func(typ uint32, body []byte) []byte {
		n := uint32(12 + len(body))
		return be.AppendUint32(append(be.AppendUint32(be.AppendUint32(nil, typ), n), body...), n)
	}
	shb := be.AppendUint32(nil, ngByteOrderMark)
	shb = be.AppendUint16(be.AppendUint16(shb, 1), 0)
	shb = be.AppendUint64(shb, 0xffffffffffffffff)
	idb := be.AppendUint32(be.AppendUint32(be.AppendUint16(be.AppendUint16(nil, 1), 0), 65535), 0)[:8]
	epb := func(ts uint64, n int) []byte {
		b := be.AppendUint32(nil, 0)
		b = be.AppendUint32(be.AppendUint32(b, uint32(ts>>32)), uint32(ts))
		b = be.AppendUint32(be.AppendUint32(b, uint32(n)), uint32(n))
		return append(b, pkt(n)...)
	}
	return cat(block(ngBlockSection, shb), block(ngBlockInterface, idb), block(ngBlockEnhanced, epb(usec, 60)), block(ngBlockEnhanced, epb(usec+1, 64)))
}
