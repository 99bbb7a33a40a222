package pipeline

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
)

// threeScans returns SYN scans of 10 ports of 192.0.2.10 (DE) from
// 198.51.100.7, .8 and .9 (CN), one after the other in capture time.
func threeScans() synth.Stream {
	var all synth.Stream
	start := time.Unix(1_700_000_000, 0)
	for i, src := range []string{"198.51.100.7", "198.51.100.8", "198.51.100.9"} {
		g := synth.New(synth.Options{Seed: uint64(i + 1), Start: start.Add(time.Duration(i) * time.Second)})
		all = append(all, g.TCPScan(synth.ScanSpec{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr("192.0.2.10"),
			Ports: synth.PortRange(1, 10), Rate: 1e3, Flags: synth.ScanSYN})...)
	}
	return all
}

// TestPanicDropsOnePacket: a sink that panics on the alert of the second
// scanner takes down neither the replay nor the live sensor: the panic is
// counted, the other packets are processed, and the alert of the third
// scanner (a later packet) still comes out.
func TestPanicDropsOnePacket(t *testing.T) {
	set := scanRule(t, 9000010, 5)
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, threeScans()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		workers int
		live    bool
	}{{"inline", 1, false}, {"sharded", 4, false}, {"live", 2, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			bad := netip.MustParseAddr("198.51.100.8")
			p, err := New(Config{Workers: tc.workers, Live: tc.live}, labHolder(t, set), set, SinkFunc(func(a *alert.Alert) error {
				if a.SrcIP == bad {
					panic("sink broken on " + a.SrcIP.String())
				}
				mu.Lock()
				got = append(got, a.SrcIP.String())
				mu.Unlock()
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			if tc.live {
				src := newChanSource("live0")
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- p.RunSources(ctx, src) }()
				for _, pk := range threeScans() {
					src.frames <- pk
				}
				waitFor(t, "30 packets", func() bool { return p.Stats().Packets == 30 })
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("RunSources: %v", err)
				}
			} else {
				replay(t, p, "scans.pcap", buf.Bytes())
			}
			p.Close()
			mu.Lock()
			slices.Sort(got)
			if !slices.Equal(got, []string{"198.51.100.7", "198.51.100.9"}) {
				t.Errorf("alerts from %v; want 198.51.100.7 and 198.51.100.9", got)
			}
			mu.Unlock()
			s := p.Stats()
			if s.Panics != 1 || s.Packets != 30 || s.Alerts["scan"] != 3 {
				t.Errorf("panics %d, packets %d, alerts %v; want 1, 30, scan 3 (the one that panicked counted)", s.Panics, s.Packets, s.Alerts)
			}
		})
	}
}

// panicSource panics on every frame from the after-th on; before, it
// delivers the frames of pkts.
type panicSource struct {
	pkts  synth.Stream
	after int
	n     int
}

func (s *panicSource) Next(f *capture.Frame) error {
	if s.n >= s.after {
		s.n++
		panic("source broken")
	}
	if s.n >= len(s.pkts) {
		return capture.ErrClosed
	}
	p := s.pkts[s.n]
	s.n++
	f.Data, f.Timestamp, f.WireLen, f.Link = p.Data, p.Time.UnixNano(), uint32(len(p.Data)), 1
	return nil
}
func (s *panicSource) Name() string         { return "panic" }
func (s *panicSource) Stats() capture.Stats { return capture.Stats{} }
func (s *panicSource) Close() error         { return nil }

// TestRepeatedPanicsStop: a source that panics on every frame stops the
// pipeline after MaxPanics+1 panics with a PanicsError, instead of
// spinning; the packets before the first panic were processed.
func TestRepeatedPanicsStop(t *testing.T) {
	set := scanRule(t, 9000011, 5)
	for _, workers := range []int{1, 2} {
		var logs bytes.Buffer
		p, err := New(Config{Workers: workers, Log: zerolog.New(&logs)}, labHolder(t, set), set, SinkFunc(func(*alert.Alert) error { return nil }))
		if err != nil {
			t.Fatal(err)
		}
		src := &panicSource{pkts: threeScans(), after: 12}
		err = p.Run(context.Background(), src)
		var pe *PanicsError
		if !errors.As(err, &pe) || pe.N != MaxPanics+1 || pe.Last != "source broken" {
			t.Fatalf("workers %d: Run returned %v; want a PanicsError of %d panics", workers, err, MaxPanics+1)
		}
		s := p.Stats()
		if s.Panics != MaxPanics+1 || s.Packets != 12 || src.n != 12+MaxPanics+1 {
			t.Errorf("workers %d: panics %d, packets %d, frames asked %d; want %d, 12, %d", workers, s.Panics, s.Packets, src.n, MaxPanics+1, 12+MaxPanics+1)
		}
		// Logged once (rate-limited) with the stack, which names the
		// place of the panic.
		lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], `"panic":"source broken"`) || !strings.Contains(lines[0], `"in":"reader"`) ||
			!strings.Contains(lines[0], "panicSource).Next") || !strings.Contains(lines[0], `"message":"recovered a panic: packet dropped"`) {
			t.Errorf("workers %d: log %q; want one line with the panic and its stack", workers, logs.String())
		}
		// A failed pipeline refuses to run again.
		if err := p.Run(context.Background(), &panicSource{after: 1 << 30}); !errors.As(err, &pe) {
			t.Errorf("workers %d: second Run returned %v; want the PanicsError", workers, err)
		}
	}
}

// TestRepeatedSinkPanicsStop: a sink that panics on every alert (a panic
// in the processing of a packet, not in the reading) stops the pipeline
// after MaxPanics+1 panics with a PanicsError, with one worker (inline:
// the reader's guard) and two, and the inline reader stops reading there
// instead of going on to the end of the capture.
func TestRepeatedSinkPanicsStop(t *testing.T) {
	set := scanRule(t, 9000013, 5)
	var all synth.Stream
	start := time.Unix(1_700_000_000, 0)
	for i := range 200 {
		g := synth.New(synth.Options{Seed: uint64(i + 1), Start: start.Add(time.Duration(i) * 100 * time.Millisecond)})
		all = append(all, g.TCPScan(synth.ScanSpec{Src: netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}), Dst: netip.MustParseAddr("192.0.2.10"),
			Ports: synth.PortRange(1, 10), Rate: 1e3, Flags: synth.ScanSYN})...)
	}
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, all); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		p, err := New(Config{Workers: workers}, labHolder(t, set), set, SinkFunc(func(a *alert.Alert) error {
			panic("sink broken on " + a.SrcIP.String())
		}))
		if err != nil {
			t.Fatal(err)
		}
		src, err := capture.OpenReader("scans.pcap", bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		err = p.Run(context.Background(), src)
		var pe *PanicsError
		if !errors.As(err, &pe) || pe.N != MaxPanics+1 || !strings.HasPrefix(pe.Last, "sink broken on 198.51.100.") {
			t.Fatalf("workers %d: Run returned %v; want a PanicsError of %d panics", workers, err, MaxPanics+1)
		}
		s := p.Stats()
		if workers == 1 && (s.Panics != MaxPanics+1 || s.Capture.Frames >= uint64(len(all))) {
			t.Errorf("inline: %d panics, %d of %d frames read; want %d panics and the reading stopped",
				s.Panics, s.Capture.Frames, len(all), MaxPanics+1)
		}
	}
}
