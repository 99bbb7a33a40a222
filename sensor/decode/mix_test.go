package decode

import (
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/sensor/capture"
)

// mixFrames returns n frames of synth's benchmark mix (seed 2, as the
// pipeline's stage benchmarks use), packed back to back in one buffer as a
// capture reader's buffer holds them.
func mixFrames(n int) []capture.Frame {
	src := synth.NewBenchSource(synth.BenchSpec{Seed: 2, Packets: n})
	var (
		arena  []byte
		frames []capture.Frame
		f      capture.Frame
	)
	for src.Next(&f) == nil {
		frames = append(frames, f)
		frames[len(frames)-1].Data = nil
		arena = append(arena, f.Data...)
	}
	off := 0
	for i := range frames {
		n := int(frames[i].WireLen)
		frames[i].Data = arena[off : off+n : off+n]
		off += n
	}
	return frames
}

// BenchmarkDecodeMix decodes the benchmark mix (web, DNS, TLS, flood,
// scan and brute-force traffic, IPv4 and IPv6), ns per packet. "hot" cycles
// over 256 frames that stay in the CPU caches, as a frame just read by the
// capture reader is; "cold" over 2^15 frames (about 20 MB), where the first
// touch of each frame's headers is a cache miss.
func BenchmarkDecodeMix(b *testing.B) {
	all := mixFrames(1 << 15)
	for _, c := range []struct {
		name string
		n    int
	}{{"hot", 256}, {"cold", len(all)}} {
		b.Run(c.name, func(b *testing.B) {
			frames := all[:c.n]
			d := NewDecoder()
			var p Packet
			b.ReportAllocs()
			c0 := cpuTime()
			i := 0
			for b.Loop() {
				d.Decode(&frames[i], &p)
				if i++; i == len(frames) {
					i = 0
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
			if d.Stats.Decoded == 0 {
				b.Fatal("nothing decoded")
			}
		})
	}
}

// TestMixDirectWalk decodes the benchmark mix, in Ethernet frames and as raw
// IP, with the direct walk and with the parser alone: the outcomes, the
// packets and the counters must be the same.
func TestMixDirectWalk(t *testing.T) {
	frames := mixFrames(1 << 14)
	d, pd := NewDecoder(), NewDecoder()
	pd.parserOnly = true
	var p, q Packet
	for i := range frames {
		f := &frames[i]
		for _, raw := range []bool{false, true} {
			data, link := f.Data, f.Link
			if raw {
				data, link = data[min(14, len(data)):], layers.LinkTypeRaw
			}
			r := d.DecodeData(data, link, f.Timestamp, 0, &p)
			if rq := pd.DecodeData(data, link, f.Timestamp, 0, &q); rq != r || r == OK && p != q {
				t.Fatalf("frame %d (raw %v): direct walk %v %+v, parser alone %v %+v", i, raw, r, p, rq, q)
			}
		}
	}
	if d.Stats != pd.Stats || d.Stats.Decoded < uint64(len(frames)) {
		t.Errorf("stats: direct walk %+v, parser alone %+v", d.Stats, pd.Stats)
	}
}

// cpuTime is the CPU time (user and system) of the process so far. The
// benchmarks report it per packet besides ns/op: on a shared machine it
// does not count the time other processes had the CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
