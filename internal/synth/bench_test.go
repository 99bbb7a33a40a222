package synth

import (
	"bytes"
	"hash/fnv"
	"io"
	"testing"

	"github.com/google/gopacket/pcapgo"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// TestBenchSourceDecodes: every frame of the mix decodes, the mix has the
// shares it documents, and the same spec gives the same frames.
func TestBenchSourceDecodes(t *testing.T) {
	const n = 200000
	digest := func() uint64 {
		src := NewBenchSource(BenchSpec{Seed: 7, Packets: n})
		dec := decode.NewDecoder()
		h := fnv.New64a()
		var (
			f                         capture.Frame
			p                         decode.Packet
			count, syn, v6, udp, icmp int
			minLen, maxLen            = 1 << 30, 0
			last                      int64
		)
		for src.Next(&f) == nil {
			count++
			if r := dec.Decode(&f, &p); r != decode.OK {
				t.Fatalf("frame %d: %v", count, r)
			}
			if f.Timestamp <= last {
				t.Fatalf("frame %d: timestamp %d not after %d", count, f.Timestamp, last)
			}
			last = f.Timestamp
			minLen, maxLen = min(minLen, len(f.Data)), max(maxLen, len(f.Data))
			if p.Proto == decode.ProtoTCP && p.TCPFlags == decode.FlagSYN {
				syn++
			}
			if p.Src.Is6() {
				v6++
			}
			switch p.Proto {
			case decode.ProtoUDP:
				udp++
			case decode.ProtoICMP:
				icmp++
			}
			_, _ = h.Write(f.Data)
		}
		if count != n {
			t.Fatalf("%d frames, want %d", count, n)
		}
		if minLen != 64 || maxLen != 1514 {
			t.Errorf("frame sizes %d..%d, want 64..1514", minLen, maxLen)
		}
		// Flood 14% + scan 3% + 1% brute force + background opens.
		if f := float64(syn) / n; f < 0.18 || f > 0.25 {
			t.Errorf("SYN share %.3f, want 0.18..0.25", f)
		}
		if f := float64(v6) / n; f < 0.10 || f > 0.35 {
			t.Errorf("IPv6 share %.3f", f)
		}
		if f := float64(icmp) / n; f < 0.005 || f > 0.015 {
			t.Errorf("ICMP share %.3f, want about 0.01", f)
		}
		if udp == 0 {
			t.Error("no UDP")
		}
		if st := src.Stats(); st.Frames != n {
			t.Errorf("Stats().Frames = %d", st.Frames)
		}
		return h.Sum64()
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("not deterministic: %x, %x", a, b)
	}
}

// TestBenchSpoofedDistinct: the flood's spoofed sources do not repeat before
// SpoofedSources.
func TestBenchSpoofedDistinct(t *testing.T) {
	src := NewBenchSource(BenchSpec{Seed: 1, Packets: 50000, Flood: 1, SpoofedSources: 100000})
	dec := decode.NewDecoder()
	seen := map[[16]byte]bool{}
	var (
		f capture.Frame
		p decode.Packet
	)
	for src.Next(&f) == nil {
		if dec.Decode(&f, &p) != decode.OK {
			t.Fatal("decode")
		}
		k := p.Src.As16()
		if seen[k] {
			t.Fatalf("source %v repeated after %d", p.Src, len(seen))
		}
		seen[k] = true
	}
	if len(seen) != 50000 {
		t.Fatalf("%d sources", len(seen))
	}
}

func TestWriteBench(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteBench(&buf, BenchSpec{Seed: 3, Packets: 1000})
	if err != nil || n != 1000 {
		t.Fatalf("WriteBench = %d, %v", n, err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for {
		_, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != 1000 {
		t.Fatalf("read %d frames", got)
	}
}

// BenchmarkBenchSource is the generator's own cost per frame, included in
// the pipeline's replay benchmarks.
func BenchmarkBenchSource(b *testing.B) {
	src := NewBenchSource(BenchSpec{Seed: 1})
	var f capture.Frame
	b.ReportAllocs()
	for b.Loop() {
		_ = src.Next(&f)
	}
}
