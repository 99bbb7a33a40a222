package replay

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

const samplePcap = "../../testdata/sample/scan-inbound.pcap"

// recordEnds returns the offset of the end of every record of a
// little-endian pcap file.
func recordEnds(t *testing.T, b []byte) []int64 {
	t.Helper()
	if !bytes.Equal(b[:4], []byte{0xd4, 0xc3, 0xb2, 0xa1}) && !bytes.Equal(b[:4], []byte{0x4d, 0x3c, 0xb2, 0xa1}) {
		t.Fatalf("sample is not a little-endian pcap: % x", b[:4])
	}
	var ends []int64
	for off := 24; off < len(b); {
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
		ends = append(ends, int64(off))
	}
	return ends
}

// readFrames reads n frames of s (all with n < 0) and returns how many it
// read; it stops at io.EOF.
func readFrames(t *testing.T, s capture.Source, n int) int {
	t.Helper()
	var f capture.Frame
	for i := 0; n < 0 || i < n; i++ {
		if err := s.Next(&f); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			return i
		}
	}
	return n
}

// percent is the percentage progressLine shows for read of total bytes.
func percent(read, total int64) string {
	return fmt.Sprintf("%3.0f%%", 100*float64(read)/float64(total))
}

// TestProgressMappedFile checks a replay with a progress line reads a
// regular file from its mapping and that the progress figures follow it:
// after 64 frames (a publication) the bytes are those of the file header
// and the first 63 records (the 64th is still in use), at the end the
// whole file, 100%.
func TestProgressMappedFile(t *testing.T) {
	data, err := os.ReadFile(samplePcap)
	if err != nil {
		t.Fatal(err)
	}
	ends := recordEnds(t, data)
	if len(ends) < 200 {
		t.Fatalf("sample of %d records, want 200 or more", len(ends))
	}
	var read atomic.Int64
	sources, err := openSources([]string{samplePcap}, nil, &read)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSources(sources)
	if p, ok := sources[0].(capture.Positioner); !ok {
		t.Fatalf("source %T of a regular file has no position: read as a stream", sources[0])
	} else if _, mapped := p.Position(); !mapped {
		t.Fatal("regular file not read from its mapping with a progress line")
	}
	total := totalSize([]string{samplePcap})
	if total != int64(len(data)) {
		t.Fatalf("total %d, want %d", total, len(data))
	}
	readFrames(t, sources[0], 64)
	if got, want := readSoFar(sources, &read), ends[62]; got != want {
		t.Errorf("after 64 frames: %d bytes read, want %d", got, want)
	}
	line := progressLine(64, readSoFar(sources, &read), total, 10*time.Second)
	if want := percent(ends[62], total); !strings.Contains(line, want) {
		t.Errorf("progress %q, want %q", line, want)
	}
	n := 64 + readFrames(t, sources[0], -1)
	if n != len(ends) {
		t.Fatalf("%d frames, want %d", n, len(ends))
	}
	if got := readSoFar(sources, &read); got != total {
		t.Errorf("at the end: %d bytes read, want %d", got, total)
	}
	if line := progressLine(uint64(n), readSoFar(sources, &read), total, 10*time.Second); !strings.Contains(line, "] 100% ") || strings.Contains(line, "ETA") {
		t.Errorf("progress at the end %q", line)
	}
	if read.Load() != 0 {
		t.Errorf("%d bytes counted through a reader for a mapped file", read.Load())
	}
}

// TestProgressStreams checks the streams are counted through their
// readers as before: a gzip file (its compressed bytes) after a mapped
// file (their sum, 100% at the end), and standard input (no total).
func TestProgressStreams(t *testing.T) {
	data, err := os.ReadFile(samplePcap)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	gzName := filepath.Join(t.TempDir(), "sample.pcap.gz")
	if err := os.WriteFile(gzName, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	files := []string{samplePcap, gzName}
	var read atomic.Int64
	sources, err := openSources(files, nil, &read)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSources(sources)
	if p, ok := sources[1].(capture.Positioner); ok {
		if _, mapped := p.Position(); mapped {
			t.Fatal("gzip file read from a mapping")
		}
	}
	total := totalSize(files)
	if total != int64(len(data)+gz.Len()) {
		t.Fatalf("total %d, want %d", total, len(data)+gz.Len())
	}
	frames := 0
	for _, s := range sources {
		frames += readFrames(t, s, -1)
	}
	if want := 2 * len(recordEnds(t, data)); frames != want {
		t.Fatalf("%d frames, want %d", frames, want)
	}
	if got := read.Load(); got != int64(gz.Len()) {
		t.Errorf("gzip: %d bytes counted, want %d", got, gz.Len())
	}
	if got := readSoFar(sources, &read); got != total {
		t.Errorf("both files: %d bytes read, want %d", got, total)
	}
	if line := progressLine(uint64(frames), readSoFar(sources, &read), total, 10*time.Second); !strings.Contains(line, "] 100% ") {
		t.Errorf("progress at the end %q", line)
	}

	var in atomic.Int64
	stdin, err := openSources([]string{"-"}, bytes.NewReader(data), &in)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSources(stdin)
	readFrames(t, stdin[0], -1)
	if got := readSoFar(stdin, &in); got != int64(len(data)) {
		t.Errorf("stdin: %d bytes counted, want %d", got, len(data))
	}
	if total := totalSize([]string{"-"}); total != 0 {
		t.Errorf("stdin total %d, want 0 (unknown)", total)
	}
}
