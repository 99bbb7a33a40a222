package console

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// TestKernelTraffic: the kernel's per-country counters become packets and
// bytes in and out, a packet counted at both hooks counts once, and rates
// are over the interval between snapshots.
func TestKernelTraffic(t *testing.T) {
	fr, _ := geo.ParseCountry("FR")
	n := uint64(10)
	kernel := func() (metrics.KernelStats, error) {
		return metrics.KernelStats{Packets: 3 * n, Countries: []metrics.KernelCount{
			{Country: fr, Direction: geo.DirInbound, Packets: n, Bytes: 100 * n},               // XDP ingress on the WAN side
			{Country: fr, Direction: geo.DirInbound, Egress: true, Packets: n, Bytes: 100 * n}, // the same packets, TC egress to the LAN
			{Country: fr, Direction: geo.DirOutbound, Egress: true, Packets: n / 2, Bytes: 50 * n},
			{Country: fr, Direction: geo.DirTransit, Packets: 99, Bytes: 9900},
		}, Events: map[string]uint64{"ringbuf_full": 7}}, nil
	}
	s, err := New(DefaultConfiguration(), NewHub(DefaultConfiguration()), Sources{Sources: metrics.Sources{Kernel: kernel}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	a := s.snapshot(t0)
	got := a.Countries["FR"]
	if a.TrafficSource != "kernel" || !a.BytesKnown || got.PacketsIn != 10 || got.PacketsOut != 5 || got.BytesIn != 1000 || got.BytesOut != 500 || got.PPSIn != 0 {
		t.Errorf("first snapshot: %q %+v", a.TrafficSource, got)
	}
	if a.Health.Kernel == nil || a.Health.Kernel.RingbufFull != 7 || a.Health.Kernel.Packets != 30 {
		t.Errorf("kernel health %+v", a.Health.Kernel)
	}
	n = 30 // 20 more packets in, 10 more out, in 2 s
	b := s.snapshot(t0.Add(2 * time.Second))
	got = b.Countries["FR"]
	if got.PacketsIn != 30 || got.PPSIn != 10 || got.PPSOut != 5 || got.BPSIn != 1000 {
		t.Errorf("second snapshot: %+v", got)
	}
	// Within a second of the last sample the rates stay.
	if c := s.snapshot(t0.Add(2500 * time.Millisecond)); c.Countries["FR"].PPSIn != 10 {
		t.Errorf("third snapshot: %+v", c.Countries["FR"])
	}
}

// TestStalledClientDisconnected: a stream whose writes time out is closed
// and counted; its ring is freed.
func TestStalledClientDisconnected(t *testing.T) {
	cfg := DefaultConfiguration()
	hub := NewHub(cfg)
	srv, err := New(cfg, hub, Sources{})
	if err != nil {
		t.Fatal(err)
	}
	srv.writeTimeout = 200 * time.Millisecond
	ms, err := metrics.ServeWith("127.0.0.1:0", metrics.New(metrics.Sources{}), zerolog.Nop(),
		metrics.Options{Root: srv.Handler(), Collectors: []prometheus.Collector{srv.Collector()}})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	conn, err := net.Dial("tcp", ms.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n"))
	for hub.Stats().Clients != 1 {
		time.Sleep(10 * time.Millisecond)
	}
	// Publish until the socket buffers are full and a write times out
	// (bounded: 200 000 alerts, about 140 MB of writes at most).
	for i := 0; i < 200000 && hub.Stats().Stalled == 0; i++ {
		hub.Publish(testAlert(i, "scan", "FR", "DE", "inbound", 2))
		if i%1000 == 999 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	st := hub.Stats()
	if st.Stalled != 1 {
		t.Fatalf("stats %+v", st)
	}
	for deadline := time.Now().Add(5 * time.Second); hub.Stats().Clients != 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if c := hub.Stats().Clients; c != 0 {
		t.Errorf("%d streams still open", c)
	}
	_, body := get(t, "http://"+ms.Addr()+"/metrics")
	if !strings.Contains(body, "borderwatch_console_stream_stalled_total 1\n") {
		t.Error("/metrics lacks the stalled stream")
	}
}
