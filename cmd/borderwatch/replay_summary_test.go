package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// rawCapture writes a pcap of link type link holding n TCP SYNs from src to
// dst (raw IPv4 packets, after prefix for the link header).
func rawCapture(t *testing.T, link layers.LinkType, prefix []byte, src, dst string, n int) string {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, link); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(1 + i), SYN: true, Window: 1024}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp); err != nil {
			t.Fatal(err)
		}
		data := append(append([]byte(nil), prefix...), buf.Bytes()...)
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return writeCapture(t, "c.pcap", b.Bytes())
}

// TestReplayNamesUnsupportedLink checks the summary names a link type the
// decoder does not decode, and only such.
func TestReplayNamesUnsupportedLink(t *testing.T) {
	prism := rawCapture(t, layers.LinkTypePrismHeader, make([]byte, 144), "198.51.100.7", "192.168.1.25", 3)
	_, stderr, code := runCLI(t, "replay", prism)
	want := "link types not decoded: " + prism + ": IEEE802_11_PRISM (119)\n"
	if code != exitOK || !strings.Contains(stderr, want) || !strings.Contains(stderr, "unsupported link 3)") {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", code, stderr, want)
	}
	loop := rawCapture(t, layers.LinkTypeNull, []byte{2, 0, 0, 0}, "198.51.100.7", "192.168.1.25", 3)
	_, stderr, code = runCLI(t, "replay", loop)
	if code != exitOK || strings.Contains(stderr, "link types not decoded") || !strings.Contains(stderr, "decoded 3; skipped 0") {
		t.Errorf("BSD loopback: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestReplayHintsInternalTraffic is the case: --home 192.168.1.25/32
// on a capture whose attacker is private too. The scan is internal, the
// default rules stay silent, and the summary and the log say why and which
// flag changes it; with --special-not-home the same capture is an inbound
// scan.
func TestReplayHintsInternalTraffic(t *testing.T) {
	scan := rawCapture(t, layers.LinkTypeRaw, nil, "192.168.1.66", "192.168.1.25", 40)
	const hint = "40 of 40 packets (100%) are internal: both ends are home, and the default rules check inbound and outbound traffic only."
	out, stderr, code := runCLI(t, "replay", "--home", "192.168.1.25/32", scan)
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, alerts %q", code, out)
	}
	if !strings.Contains(stderr, "note: "+hint) || !strings.Contains(stderr, "--special-not-home") {
		t.Errorf("summary lacks the hint:\n%s", stderr)
	}
	if !strings.Contains(stderr, `"level":"warn","component":"replay"`) || strings.Count(stderr, hint) != 2 {
		t.Errorf("want the hint once in the log and once in the summary:\n%s", stderr)
	}
	_, stderr, _ = runCLI(t, "replay", "-q", "--home", "192.168.1.25/32", scan)
	if strings.Count(stderr, hint) != 1 {
		t.Errorf("-q: want the hint in the log only:\n%s", stderr)
	}

	out, stderr, code = runCLI(t, "replay", "--home", "192.168.1.25/32", "--special-not-home", scan)
	if code != exitOK || !strings.Contains(out, `"signature_id":8100101`) || strings.Contains(stderr, "are internal") {
		t.Errorf("--special-not-home: exit %d, alerts %q, stderr:\n%s", code, out, stderr)
	}

	// Neither end home: transit.
	_, stderr, _ = runCLI(t, "replay", "-q", "--home", "DE", "--special-not-home", scan)
	if !strings.Contains(stderr, "40 of 40 packets (100%) are transit: neither end is home") {
		t.Errorf("transit: no hint:\n%s", stderr)
	}
	// Mostly inbound: no hint.
	in := rawCapture(t, layers.LinkTypeRaw, nil, "198.51.100.7", "192.168.1.25", 40)
	_, stderr, _ = runCLI(t, "replay", in)
	if strings.Contains(stderr, "note:") || strings.Contains(stderr, `"component":"replay"`) {
		t.Errorf("inbound: unexpected hint:\n%s", stderr)
	}
}
