package capture_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/sensor/capture"
)

// writeMix writes n frames of synth's benchmark mix to a pcap (nanosecond)
// or pcapng file in dir and returns its path and the frames' total size.
func writeMix(tb testing.TB, dir string, ng bool, n int) (string, int64) {
	tb.Helper()
	path := filepath.Join(dir, "mix.pcap")
	if ng {
		path += "ng"
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var write func(ci gopacket.CaptureInfo, data []byte) error
	if ng {
		nw, err := pcapgo.NewNgWriterInterface(w, pcapgo.NgInterface{Name: "mix0", LinkType: layers.LinkTypeEthernet,
			SnapLength: 262144, TimestampResolution: 9}, pcapgo.NgWriterOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		defer func() {
			if err := nw.Flush(); err != nil {
				tb.Fatal(err)
			}
		}()
		write = nw.WritePacket
	} else {
		pw := pcapgo.NewWriterNanos(w)
		if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			tb.Fatal(err)
		}
		write = pw.WritePacket
	}
	src := synth.NewBenchSource(synth.BenchSpec{Seed: 2, Packets: n})
	var (
		fr    capture.Frame
		total int64
	)
	for src.Next(&fr) == nil {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, fr.Timestamp), CaptureLength: len(fr.Data), Length: int(fr.WireLen)}
		if err := write(ci, fr.Data); err != nil {
			tb.Fatal(err)
		}
		total += int64(len(fr.Data))
	}
	defer func() {
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
	}()
	return path, total
}

// BenchmarkReadFile reads a capture of the benchmark mix (2^16 frames, about
// 45 MB) from the page cache with OpenFile and Next, ns per frame; a file
// read to its end is opened again.
func BenchmarkReadFile(b *testing.B) {
	dir := b.TempDir()
	for _, ng := range []bool{false, true} {
		name := "pcap"
		if ng {
			name = "pcapng"
		}
		b.Run(name, func(b *testing.B) {
			const frames = 1 << 16
			path, size := writeMix(b, dir, ng, frames)
			if _, err := os.ReadFile(path); err != nil { // into the page cache
				b.Fatal(err)
			}
			var (
				s capture.Source
				f capture.Frame
			)
			b.SetBytes(size / frames)
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				if s == nil {
					var err error
					if s, err = capture.OpenFile(path); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Next(&f); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					s.Close()
					s = nil
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
			if s != nil {
				s.Close()
			}
		})
	}
}

// cpuTime is the CPU time (user and system) of the process so far. The
// benchmarks report it per frame besides ns/op: on a shared machine it does
// not count the time other processes had the CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
