package pipeline

import (
	"context"
	"io"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
)

// sampledSource replays a stream as the kernel stage hands a flood off:
// the first normal packets one by one, then one sample in every `every`,
// carrying the count of itself and the packets kept back before it
// (weights false: the samples alone, as if they carried no count).
type sampledSource struct {
	s              synth.Stream
	normal, every  int
	weights        bool
	i, frames, sum int
}

func (s *sampledSource) Next(f *capture.Frame) error {
	for s.i < len(s.s) {
		i := s.i
		s.i++
		if i >= s.normal && (i-s.normal+1)%s.every != 0 {
			continue // kept back in the kernel
		}
		p := s.s[i]
		*f = capture.Frame{Data: p.Data, Timestamp: p.Time.UnixNano(), WireLen: uint32(len(p.Data)), Link: layers.LinkTypeEthernet}
		n := 1
		if i >= s.normal && s.weights {
			n = s.every
			f.SamplePackets, f.SampleBytes = uint32(n), uint32(n*40) // IPv4 + TCP headers
		}
		s.frames++
		s.sum += n
		return nil
	}
	return io.EOF
}
func (s *sampledSource) Name() string         { return "xdp:test" }
func (s *sampledSource) Stats() capture.Stats { return capture.Stats{Frames: uint64(s.frames)} }
func (s *sampledSource) Close() error         { return nil }

// TestFloodSamplesRaiseTheFloodRule: a spoofed SYN flood of 20 000 packets
// in a second raises the default SYN-flood rule (8100302) alike whether
// user space sees every packet or, as under the kernel's flood sampling,
// 1000 packets and then one sample in a hundred carrying the count of the
// others; the samples without their counts raise nothing.
func TestFloodSamplesRaiseTheFloodRule(t *testing.T) {
	set, err := rules.Load(rules.Options{Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	victim := netip.MustParseAddr("192.0.2.10")
	g := synth.New(synth.Options{Seed: 16, Start: time.Unix(1767225600, 0)})
	flood := g.Flood(synth.FloodSpec{Kind: synth.FloodSYN, Dst: victim, DstPort: 80, Sources: 200,
		Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, Packets: 20000, Rate: 20000})
	run := func(src capture.Source) []*alert.Alert {
		t.Helper()
		var mu sync.Mutex
		var got []*alert.Alert
		p, err := New(Config{Workers: 2}, labHolder(t, set), set,
			SinkFunc(func(a *alert.Alert) error { mu.Lock(); got = append(got, a); mu.Unlock(); return nil }))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Run(context.Background(), src); err != nil {
			t.Fatal(err)
		}
		p.Close()
		return got
	}
	floodAlert := func(as []*alert.Alert) *alert.Alert {
		for _, a := range as {
			if a.SignatureID == 8100302 {
				return a
			}
		}
		return nil
	}
	all := &sampledSource{s: flood, normal: len(flood), every: 1}
	full := floodAlert(run(all))
	if full == nil {
		t.Fatal("the full flood raised no SYN-flood alert")
	}
	sampled := &sampledSource{s: flood, normal: 1000, every: 100, weights: true}
	got := floodAlert(run(sampled))
	if sampled.sum != len(flood) || sampled.frames != 1000+190 {
		t.Fatalf("source: %d frames standing for %d packets, want 1190 for %d", sampled.frames, sampled.sum, len(flood))
	}
	if got == nil {
		t.Fatal("the sampled flood raised no SYN-flood alert")
	}
	if got.DstIP != victim || got.Kind != full.Kind || got.Signature != full.Signature || got.Threshold.Track != "dst" {
		t.Errorf("sampled alert %+v\nfull alert %+v", got, full)
	}
	// The burst threshold (5000 within a second) crosses within one
	// sample's count of where the full flood crossed it.
	if d := int64(got.Threshold.Observed) - int64(full.Threshold.Observed); d < 0 || d >= 100 {
		t.Errorf("observed %d, full flood %d", got.Threshold.Observed, full.Threshold.Observed)
	}
	if d := got.Timestamp - full.Timestamp; d < 0 || d > int64(100*time.Second/20000) {
		t.Errorf("sampled alert %v after the full flood's", time.Duration(d))
	}
	if a := floodAlert(run(&sampledSource{s: flood, normal: 1000, every: 100})); a != nil {
		t.Errorf("samples without their counts raised %+v", a)
	}
}
