package main

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/synth"
)

var update = flag.Bool("update", false, "rewrite the generated sample captures in testdata/sample")

// samplePath is the capture the README's first command replays.
var samplePath = filepath.Join("..", "..", "testdata", "sample", "scan-inbound.pcap")

// sampleStream is the sample: a TCP SYN scan of ports 1-1024 of a private
// (home) host from 36.110.0.1, an address DB-IP Lite places in China, at
// 1000 probes/s with the target's answers (22, 80 and 443 open), amid a few
// ordinary DNS lookups and pings of the same host that must not alert.
func sampleStream() synth.Stream {
	g := synth.New(synth.Options{Seed: 7, Start: time.Date(2026, 11, 25, 22, 21, 25, 0, time.UTC)})
	scanner := netip.MustParseAddr("36.110.0.1")
	target := netip.MustParseAddr("192.168.1.10")
	resolver := netip.MustParseAddr("192.168.1.1")
	scan := g.TCPScan(synth.ScanSpec{
		Src: scanner, Dst: target, Ports: synth.PortRange(1, 1024), At: 2 * time.Second,
		Rate: 1000, Flags: synth.ScanSYN, Replies: true, Open: []uint16{22, 80, 443},
	})
	return synth.Merge(
		scan,
		g.DNSLookup(target, resolver, 0),
		g.DNSLookup(target, resolver, 5*time.Second),
		g.Ping(target, resolver, 3, time.Second),
	)
}

// TestSampleCapture checks that the committed sample is exactly what the
// generator writes (run with -update to rewrite it).
func TestSampleCapture(t *testing.T) {
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, sampleStream()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(samplePath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatalf("reading the sample (run go test ./cmd/borderwatch -run TestSampleCapture -update): %v", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("%s differs from what the generator writes (%d vs %d bytes); run with -update", samplePath, len(got), buf.Len())
	}
}
