//go:build unix

package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// bigRecords is n records of 1000 bytes each (a byte of the record number
// repeated), a microsecond apart.
func bigRecords(n int) []rec {
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	rs := make([]rec, n)
	for i := range rs {
		rs[i] = rec{ts: base + int64(i)*1000, wireLen: 1000, data: bytes.Repeat([]byte{byte(i)}, 1000)}
	}
	return rs
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpenFileMapped checks a regular file is read from a mapping, gives
// the records a stream gives, and hands the pages it read back as it goes
// (12 MB of records: three times dropEvery); gzip files, pipes and standard
// input are read as streams.
func TestOpenFileMapped(t *testing.T) {
	rs := bigRecords(12000)
	for _, c := range []struct {
		name string
		data []byte
		ng   bool
	}{
		{"pcap", pcapFile(le, true, 1, rs), false},
		{"pcapng", ngFile(t, rs, true), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "x."+c.name, c.data)
			src, err := OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			s := src.(*fileSource)
			if !s.in.mapped() {
				t.Fatal("a regular file is not mapped")
			}
			got, err := readAll(t, s)
			if err != io.EOF || s.Truncation() != nil {
				t.Fatalf("end %v, truncation %v", err, s.Truncation())
			}
			links := []layers.LinkType{layers.LinkTypeEthernet}
			if c.ng {
				links = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}
			}
			checkFrames(t, got, rs, links, false)
			if want := len(c.data) - dropEvery - pageSize; s.in.dropped < want {
				t.Errorf("%d bytes of %d handed back, want at least %d", s.in.dropped, len(c.data), want)
			}
		})
	}
	gzPath := writeFile(t, "x.pcap.gz", gz(t, pcapFile(le, true, 1, rs[:10])))
	if src, err := OpenFile(gzPath); err != nil || src.(*fileSource).in.mapped() {
		t.Fatalf("gzip: %v, mapped %v", err, err == nil && src.(*fileSource).in.mapped())
	} else {
		src.Close()
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.Write(pcapFile(le, true, 1, rs[:10])); w.Close() }()
	defer r.Close()
	if src, err := OpenFile(fmt.Sprintf("/dev/fd/%d", r.Fd())); err != nil || src.(*fileSource).in.mapped() {
		t.Fatalf("pipe: %v", err)
	} else {
		got, err := readAll(t, src)
		if err != io.EOF || len(got) != 10 {
			t.Fatalf("pipe: %d frames, end %v", len(got), err)
		}
		src.Close()
	}
}

// TestMappedFileTruncated truncates a file while it is read from its
// mapping, at a page boundary (the next record faults) and in the middle of
// a page (its tail reads as zeros, then the next page faults): either ends
// like a final record cut short, counted and reported with the file, the
// offset and the sizes, never with a crash.
func TestMappedFileTruncated(t *testing.T) {
	rs := bigRecords(2000) // 2 MB
	data := pcapFile(le, true, 1, rs)
	for _, c := range []struct {
		name string
		size int64
	}{
		{"page boundary", 1 << 20},
		{"mid-page", 1<<20 + 2000},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "x.pcap", data)
			src, err := OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var f Frame
			for range 10 {
				if err := src.Next(&f); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Truncate(path, c.size); err != nil {
				t.Fatal(err)
			}
			n := 10
			for ; n < len(rs); n++ {
				if err = src.Next(&f); err != nil {
					break
				}
			}
			if err != io.EOF {
				t.Fatalf("end %v after %d frames, want io.EOF", err, n)
			}
			if max := int(c.size-24)/1016 + 1 + 4096/16; n > max {
				t.Errorf("%d frames, want at most %d", n, max)
			}
			terr := src.(Truncator).Truncation()
			var fe *FormatError
			if !errors.As(terr, &fe) {
				t.Fatalf("truncation %v, want a FormatError", terr)
			}
			t.Log(terr)
			want := fmt.Sprintf("%s: offset %d: file truncated while being read: %d of the %d bytes it had when opened", path, fe.Offset, c.size, len(data))
			if !strings.HasPrefix(terr.Error(), want) || fe.Offset < c.size-1016 || fe.Offset > c.size+4096 {
				t.Errorf("truncation %v\n  want %s...", terr, want)
			}
			if st := src.Stats(); st.Truncated != 1 || st.Errors != 1 || st.Frames != uint64(n) {
				t.Errorf("stats %+v after %d frames", st, n)
			}
		})
	}
}

var faultSink byte

// TestMappedRecordFaultsInCaller checks a record already returned whose
// page the truncation took faults as a panic, which the caller's decoding
// can recover (the pipeline's guard does), instead of crashing the process:
// Next leaves the goroutine set to panic on faults.
func TestMappedRecordFaultsInCaller(t *testing.T) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(false))
	rs := bigRecords(100)
	path := writeFile(t, "x.pcap", pcapFile(le, true, 1, rs))
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	for range 20 {
		if err := src.Next(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	r := func() (r any) {
		defer func() { r = recover() }()
		faultSink = f.Data[len(f.Data)/2]
		return nil
	}()
	if _, ok := r.(interface{ Addr() uintptr }); !ok {
		t.Fatalf("reading the record of a truncated file: %v, want a fault", r)
	}
	if err := src.Next(&f); err != io.EOF || src.(Truncator).Truncation() == nil {
		t.Fatalf("next after the truncation: %v, truncation %v", err, src.(Truncator).Truncation())
	}
}

// TestMappedCloseWhileReading closes a mapped source while another
// goroutine reads it: Next returns ErrClosed (or a frame), never crashes.
func TestMappedCloseWhileReading(t *testing.T) {
	path := writeFile(t, "x.pcap", pcapFile(le, true, 1, bigRecords(20000)))
	for range 20 {
		src, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			var f Frame
			var sum byte
			for {
				if err := src.Next(&f); err != nil {
					done <- err
					return
				}
				sum ^= f.Data[0]
			}
		}()
		time.Sleep(time.Millisecond)
		src.Close()
		if err := <-done; err != ErrClosed && err != io.EOF {
			t.Fatalf("read ended with %v, want ErrClosed", err)
		}
	}
}

// TestOpenFileKeepsPanicOnFault checks OpenFile leaves the calling
// goroutine's debug.SetPanicOnFault as it found it: it sets it only while
// it reads the header of a mapping (the goroutine that opens a file need
// not read it; Next sets it for the reader's). openMapped once left it set
// for the opener, turning its later faults anywhere into panics that an
// unrelated recover could take for an error.
func TestOpenFileKeepsPanicOnFault(t *testing.T) {
	path := writeFile(t, "x.pcap", pcapFile(le, true, 1, bigRecords(3)))
	for _, before := range []bool{false, true} {
		done := make(chan bool)
		go func() {
			debug.SetPanicOnFault(before)
			src, err := OpenFile(path)
			if err != nil {
				t.Error(err)
			} else if fs, ok := src.(*fileSource); !ok || !fs.in.mapped() {
				t.Error("a regular file not mapped")
			}
			after := debug.SetPanicOnFault(false)
			if src != nil {
				src.Close()
			}
			done <- after
		}()
		if after := <-done; after != before {
			t.Errorf("SetPanicOnFault %v before OpenFile, %v after", before, after)
		}
	}
}

// TestMappedReadErrorNotTruncation: a fault on a page of the mapping the
// file still holds (the kernel's SIGBUS for an I/O error of the file or
// the disk; here a page made inaccessible) is a read error naming the file
// and offset, as a stream's read error is (replay: exit 1), not a
// truncation: that one ended the file like a final record cut short, a
// warning with exit status 0, claiming "file truncated while being read"
// of a file whose size had not changed.
func TestMappedReadErrorNotTruncation(t *testing.T) {
	path := writeFile(t, "x.pcap", pcapFile(le, true, 1, bigRecords(2000)))
	src, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fs := src.(*fileSource)
	const bad = 1 << 20 // page-aligned: records 1031-1032 span it
	if err := unix.Mprotect(fs.in.m[bad:bad+pageSize], unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	var f Frame
	n := 0
	for err = src.Next(&f); err == nil; err = src.Next(&f) {
		n++
	}
	var fe *FormatError
	if err == io.EOF || errors.As(err, &fe) || fs.Truncation() != nil {
		t.Fatalf("after %d frames: %v (truncation %v), want a read error", n, err, fs.Truncation())
	}
	var at int64 // the byte that faulted: in the page made inaccessible
	head := fmt.Sprintf("%s: offset %d: reading: byte ", path, fs.off)
	rest, ok := strings.CutPrefix(err.Error(), head)
	if _, serr := fmt.Sscanf(rest, "%d", &at); !ok || serr != nil || at < bad || at >= bad+pageSize || n < 1000 || n > 1040 ||
		!strings.Contains(rest, fmt.Sprintf(" of the file (of %d) could not be read: an I/O error of the file or the disk", len(fs.in.m))) {
		t.Errorf("after %d frames: %v\n  want %sB of the file (of %d) could not be read…, B in [%d, %d)", n, err, head, len(fs.in.m), bad, bad+pageSize)
	}
	if st := src.Stats(); st.Truncated != 0 || st.Errors != 0 || st.Frames != uint64(n) {
		t.Errorf("stats %+v", st)
	}
}
