package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

type rec struct {
	ts      int64 // ns
	wireLen int
	data    []byte
}

func testRecords() []rec {
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	var rs []rec
	for i := range 5 {
		data := bytes.Repeat([]byte{byte(i + 1)}, 60+i*10)
		rs = append(rs, rec{ts: base + int64(i)*1_000_123_000, wireLen: len(data) + i, data: data})
	}
	return rs
}

// pcapFile writes a classic pcap by hand, in either byte order and resolution.
func pcapFile(order binary.ByteOrder, nano bool, link uint32, rs []rec) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	order.PutUint32(h[0:4], magic)
	order.PutUint16(h[4:6], 2)
	order.PutUint16(h[6:8], 4)
	order.PutUint32(h[16:20], 65535)
	order.PutUint32(h[20:24], link)
	b.Write(h)
	for _, r := range rs {
		rh := make([]byte, 16)
		order.PutUint32(rh[0:4], uint32(r.ts/1e9))
		frac := r.ts % 1e9
		if !nano {
			frac /= 1000
		}
		order.PutUint32(rh[4:8], uint32(frac))
		order.PutUint32(rh[8:12], uint32(len(r.data)))
		order.PutUint32(rh[12:16], uint32(r.wireLen))
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// ngFile writes a pcapng with an Ethernet and a raw-IP interface; record i
// goes to interface i%2. With stats, an interface statistics block ends it.
func ngFile(t *testing.T, rs []rec, stats bool) []byte {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet,
		SnapLength: 65535, TimestampResolution: 9}, pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := w.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkTypeRaw, SnapLength: 65535, TimestampResolution: 9}); err != nil || id != 1 {
		t.Fatal(id, err)
	}
	for i, r := range rs {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, r.ts), CaptureLength: len(r.data), Length: r.wireLen, InterfaceIndex: i % 2}
		if err := w.WritePacket(ci, r.data); err != nil {
			t.Fatal(err)
		}
	}
	if stats {
		if err := w.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{PacketsReceived: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readAll reads a source to its end and returns copies of the frames.
func readAll(t *testing.T, s Source) ([]Frame, error) {
	t.Helper()
	var out []Frame
	for {
		var f Frame
		err := s.Next(&f)
		if err != nil {
			return out, err
		}
		f.Data = append([]byte(nil), f.Data...)
		out = append(out, f)
	}
}

func checkFrames(t *testing.T, got []Frame, rs []rec, links []layers.LinkType, usec bool) {
	t.Helper()
	if len(got) != len(rs) {
		t.Fatalf("%d frames, want %d", len(got), len(rs))
	}
	for i, f := range got {
		ts := rs[i].ts
		if usec {
			ts -= ts % 1000
		}
		if f.Timestamp != ts || f.WireLen != uint32(rs[i].wireLen) || !bytes.Equal(f.Data, rs[i].data) {
			t.Errorf("frame %d: ts %d wire %d len %d, want ts %d wire %d len %d", i, f.Timestamp, f.WireLen, len(f.Data), ts, rs[i].wireLen, len(rs[i].data))
		}
		if want := links[i%len(links)]; f.Link != want || int(f.Iface) != i%len(links) {
			t.Errorf("frame %d: link %v iface %d, want %v iface %d", i, f.Link, f.Iface, want, i%len(links))
		}
	}
}

func TestOpenReaderFormats(t *testing.T) {
	rs := testRecords()
	eth := []layers.LinkType{layers.LinkTypeEthernet}
	ng := ngFile(t, rs, true)
	cases := []struct {
		name  string
		data  []byte
		links []layers.LinkType
		usec  bool
	}{
		{"pcap-le-usec", pcapFile(binary.LittleEndian, false, 1, rs), eth, true},
		{"pcap-be-usec", pcapFile(binary.BigEndian, false, 1, rs), eth, true},
		{"pcap-le-nsec", pcapFile(binary.LittleEndian, true, 1, rs), eth, false},
		{"pcap-be-nsec", pcapFile(binary.BigEndian, true, 1, rs), eth, false},
		{"pcap-gzip", gz(t, pcapFile(binary.LittleEndian, true, 1, rs)), eth, false},
		{"pcap-sll2", pcapFile(binary.LittleEndian, true, 276, rs), []layers.LinkType{LinkTypeLinuxSLL2}, false},
		{"pcapng-two-links", ng, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, false},
		{"pcapng-gzip", gz(t, ng), []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, false},
		{"pcapng-no-trailer", ngFile(t, rs, false), []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenReader(c.name, bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, s)
			if err != io.EOF {
				t.Fatalf("end: %v, want io.EOF", err)
			}
			checkFrames(t, got, rs, c.links, c.usec)
			var bytes uint64
			for _, r := range rs {
				bytes += uint64(r.wireLen)
			}
			if st := s.Stats(); st != (Stats{Frames: 5, Bytes: bytes}) {
				t.Errorf("stats %+v", st)
			}
			if err := s.Next(&Frame{}); err != io.EOF {
				t.Errorf("Next after the end: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Error(err)
			}
			if err := s.Next(&Frame{}); err != ErrClosed {
				t.Errorf("Next after Close: %v", err)
			}
		})
	}
}

func TestPcapngInterfaceNames(t *testing.T) {
	s, err := OpenReader("x", bytes.NewReader(ngFile(t, testRecords(), false)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, s); err != io.EOF {
		t.Fatal(err)
	}
	fs := s.(*fileSource)
	if fs.InterfaceName(0) != "eth0" || fs.InterfaceName(1) != "tun0" || fs.InterfaceName(2) != "" {
		t.Errorf("names %q %q %q", fs.InterfaceName(0), fs.InterfaceName(1), fs.InterfaceName(2))
	}
}

func TestTruncatedFinalRecord(t *testing.T) {
	rs := testRecords()
	pc := pcapFile(binary.LittleEndian, false, 1, rs)
	ng := ngFile(t, rs, false)
	ngStats := ngFile(t, rs, true)
	isbLen := len(ngStats) - len(ng)
	cases := []struct {
		name   string
		data   []byte
		frames int
		errs   uint64
	}{
		{"pcap cut in data", pc[:len(pc)-10], 4, 1},
		{"pcap cut after record header", pc[:len(pc)-len(rs[4].data)], 4, 1},
		{"pcap cut in record header", pc[:len(pc)-len(rs[4].data)-7], 4, 1},
		{"pcap whole", pc, 5, 0},
		{"pcapng cut in packet block", ng[:len(ng)-9], 4, 1},
		{"pcapng cut in block header", ng[:len(ng)-len(rs[4].data)-30], 4, 1},
		{"pcapng cut in statistics block", ngStats[:len(ngStats)-isbLen/2], 5, 1},
		{"pcapng gzip cut", gz(t, ng[:len(ng)-9]), 4, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenReader(c.name, bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, s)
			if err != io.EOF {
				t.Fatalf("end: %v, want io.EOF", err)
			}
			if len(got) != c.frames {
				t.Errorf("%d frames, want %d", len(got), c.frames)
			}
			if st := s.Stats(); st.Errors != c.errs || st.Frames != uint64(c.frames) {
				t.Errorf("stats %+v, want %d errors", st, c.errs)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "notes.pcap")
	if err := os.WriteFile(junk, []byte("hello, world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.pcap")
	if err := os.WriteFile(short, []byte{0xd4, 0xc3}, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{junk, junk + ": offset 0: unknown capture format: not pcap, pcapng or gzip (starts with 68 65 6c 6c)"},
		{short, short + ": offset 0: not a capture file: only 2 bytes"},
		{filepath.Join(dir, "missing.pcap"), "opening capture: open " + filepath.Join(dir, "missing.pcap") + ": no such file or directory"},
	}
	for _, c := range cases {
		s, err := OpenFile(c.path)
		if err == nil {
			s.Close()
			t.Errorf("%s: opened", c.path)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("error %q\n want %q", err, c.want)
		}
	}
}

func TestOpenFileGzip(t *testing.T) {
	rs := testRecords()
	path := filepath.Join(t.TempDir(), "capture.pcapng.gz")
	if err := os.WriteFile(path, gz(t, ngFile(t, rs, true)), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Name() != path {
		t.Errorf("name %q", s.Name())
	}
	got, err := readAll(t, s)
	if err != io.EOF {
		t.Fatal(err)
	}
	checkFrames(t, got, rs, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, false)
}

func TestNextDoesNotAllocate(t *testing.T) {
	rs := testRecords()
	for _, c := range []struct {
		name string
		data func(n int) []byte
	}{
		{"pcap", func(n int) []byte {
			var all []rec
			for range n {
				all = append(all, rs...)
			}
			return pcapFile(binary.LittleEndian, true, 1, all)
		}},
		{"pcapng", func(n int) []byte {
			var all []rec
			for range n {
				all = append(all, rs...)
			}
			return ngFile(t, all, false)
		}},
	} {
		for _, mapped := range []bool{false, true} {
			t.Run(c.name+map[bool]string{false: "", true: "-mapped"}[mapped], func(t *testing.T) {
				var (
					s   Source
					err error
				)
				if mapped { // as OpenFile reads a regular file
					path := filepath.Join(t.TempDir(), "x")
					if err := os.WriteFile(path, c.data(100), 0o644); err != nil {
						t.Fatal(err)
					}
					s, err = OpenFile(path)
				} else {
					s, err = OpenReader(c.name, bytes.NewReader(c.data(100)))
				}
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				var f Frame
				if err := s.Next(&f); err != nil {
					t.Fatal(err)
				}
				allocs := testing.AllocsPerRun(200, func() {
					if err := s.Next(&f); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("%v allocations per Next", allocs)
				}
			})
		}
	}
}

// TestSharedPcaps reads every shared capture and checks the frame count
// against the packets column of MANIFEST.tsv (counted there with capinfos).
func TestSharedPcaps(t *testing.T) {
	const dir = "../../../shared/pcaps"
	mf, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("shared captures not available at %s: %v", dir, err)
	}
	defer mf.Close()
	sc := bufio.NewScanner(mf)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 8 || cols[0] == "file" {
			continue
		}
		want, err := strconv.ParseUint(cols[7], 10, 64)
		if err != nil {
			t.Fatalf("manifest %s: packets %q", cols[0], cols[7])
		}
		n++
		t.Run(cols[0], func(t *testing.T) {
			s, err := OpenFile(filepath.Join(dir, cols[0]))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			frames, err := readAll(t, s)
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			if uint64(len(frames)) != want || s.Stats().Errors != 0 {
				t.Errorf("%d frames, %d errors; manifest says %d packets", len(frames), s.Stats().Errors, want)
			}
			for i, f := range frames {
				if f.Link != layers.LinkTypeEthernet || f.Timestamp < 1e18 || int(f.WireLen) < len(f.Data) {
					t.Fatalf("frame %d: link %v ts %d wire %d caplen %d", i, f.Link, f.Timestamp, f.WireLen, len(f.Data))
				}
			}
		})
	}
	if n != 15 {
		t.Errorf("manifest lists %d captures, want 15", n)
	}
}

func BenchmarkFileNext(b *testing.B) {
	var all []rec
	for range 2000 {
		all = append(all, testRecords()...)
	}
	data := pcapFile(binary.LittleEndian, true, 1, all)
	b.ReportAllocs()
	b.ResetTimer()
	var s Source
	var f Frame
	for b.Loop() {
		if s == nil {
			var err error
			if s, err = OpenReader("bench", bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Next(&f); err != nil {
			s = nil
		}
	}
}

// TestStatsPublished: Next counts frames and bytes in plain fields and
// publishes them in batches; Stats lags by fewer than publishEvery frames
// while a reader runs, Publish makes it exact at any frame, and so does the
// end of the input without Publish (pcap and pcapng).
func TestStatsPublished(t *testing.T) {
	const n = 3*publishEvery + 7
	var rs []rec
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	for i := range n {
		rs = append(rs, rec{ts: base + int64(i)*1000, wireLen: 60 + i, data: make([]byte, 40+i%7)})
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"pcap", pcapFile(binary.LittleEndian, true, 1, rs)},
		{"pcapng", ngFile(t, rs, false)},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenReader(c.name, bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var f Frame
			var bytes uint64
			for i := range n {
				if err := s.Next(&f); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				bytes += uint64(f.WireLen)
				if st := s.Stats(); st.Frames > uint64(i+1) || uint64(i+1)-st.Frames >= publishEvery || st.Bytes > bytes {
					t.Fatalf("after frame %d: stats %+v lag by a batch or more", i+1, st)
				}
				if i == n-5 { // within a batch
					s.(Publisher).Publish()
					if st := s.Stats(); st.Frames != uint64(i+1) || st.Bytes != bytes {
						t.Fatalf("after Publish at frame %d: stats %+v, want %d frames, %d bytes", i+1, st, i+1, bytes)
					}
				}
			}
			if err := s.Next(&f); err != io.EOF {
				t.Fatalf("end: %v", err)
			}
			if st := s.Stats(); st != (Stats{Frames: n, Bytes: bytes}) {
				t.Errorf("at the end: stats %+v, want %d frames, %d bytes", st, n, bytes)
			}
		})
	}
}
