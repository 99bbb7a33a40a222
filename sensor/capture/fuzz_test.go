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
		checkSource(t, cat(ngSHB(), ngIDB(65535, opts), blocks))
	})
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
	for _, h := range sharedHeads(f, ".pcap", 4096) {
		f.Add(h)
	}
	f.Fuzz(checkSource)
}
