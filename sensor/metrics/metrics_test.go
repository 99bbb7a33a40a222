package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// labTable is the lab GeoIP table with home DE.
func labTable(t *testing.T) (*geo.Table, *rules.Set) {
	t.Helper()
	set, err := rules.Load(rules.Options{Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.OpenBytes("lab", geotest.Lab())
	if err != nil {
		t.Fatal(err)
	}
	tab, err := geo.Build(db, nil, set.Zones)
	if err != nil {
		t.Fatal(err)
	}
	return tab, set
}

// scanCapture is a SYN scan of 20 ports of 192.0.2.10 (DE) from
// 198.51.100.7 (CN), without replies: 20 packets.
func scanCapture(t *testing.T) []byte {
	t.Helper()
	g := synth.New(synth.Options{Seed: 1})
	s := g.TCPScan(synth.ScanSpec{Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("192.0.2.10"),
		Ports: synth.PortRange(1, 20), Rate: 100, Flags: synth.ScanSYN})
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.PCAP, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func scrape(t *testing.T, c *Collector) string {
	t.Helper()
	h, err := Handler(c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s: %s", resp.Status, b)
	}
	return string(b)
}

func TestScrapeAfterReplay(t *testing.T) {
	tab, set := labTable(t)
	alertPath := filepath.Join(t.TempDir(), "alerts.json")
	out, err := (&sink.FileConfig{Path: alertPath}).Open(zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	w := sink.NewWriter(out)
	holder := geo.NewHolder(tab)
	p, err := pipeline.New(pipeline.Config{Workers: 2}, holder, set, pipeline.SinkFunc(func(a *alert.Alert) error {
		w.Write(a)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenReader("scan.pcap", bytes.NewReader(scanCapture(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	reloads := &Reloads{}
	reloads.Record(nil, time.Unix(1767225700, 0))
	reloads.Record(errors.New("bad rule"), time.Unix(1767225800, 0))
	kernel := func() (KernelStats, error) {
		cn, _ := geo.ParseCountry("CN")
		return KernelStats{
			Packets:     40,
			Bytes:       2700,
			Events:      map[string]uint64{"handoff": 20, "ringbuf_full": 3},
			Handoffs:    map[string]uint64{"flow_first": 12, "tcp_flags": 8},
			ParseErrors: map[string]uint64{"l4": 1},
			Countries: []KernelCount{ // two protocol cells of one key are summed
				{Country: cn, Direction: geo.DirInbound, Packets: 15, Bytes: 900},
				{Country: cn, Direction: geo.DirInbound, Packets: 5, Bytes: 300},
				{Country: 0, Direction: geo.DirTransit, Egress: true, Packets: 2, Bytes: 100},
			},
			RuleDrops: map[uint32]uint64{9000001: 7, 9000002: 1},
			Interfaces: []KernelIfaceCount{
				{Iface: "eth0", Packets: 30, Bytes: 2000, Handoff: 15, RingbufFull: 3, EnforceDrops: 8},
				{Iface: "eth0", Egress: true, Packets: 10, Bytes: 700, Handoff: 5},
			},
			Floods: append([]KernelFlood{
				{Dst: "192.0.2.10", Class: "syn", Packets: 960000, Sampled: 1200, Suppressed: 957800, Sources: 1400, UnderFlood: true},
				{Dst: "2001:db8:1::9", Class: "udp", Packets: 20},
			}, quietFloods(MaxKernelFloods)...), // past the bound: left out
		}, nil
	}
	build := BuildInfo{Version: "v0.3.1", Commit: "ad5f506fdec6cbcea20ee860418c2cedccc06ecc", GoVersion: "go1.26.8"}
	c := New(Sources{Build: build, Pipeline: p.Stats, Rules: p.Rules, Geo: holder, Sinks: w.Stats, Kernel: kernel, Reloads: reloads})
	text := scrape(t, c)
	// The 20 flows are in the table of each worker owning one of their
	// addresses.
	flows := 20
	if detect.Shard(netip.MustParseAddr("198.51.100.7"), 2) != detect.Shard(netip.MustParseAddr("192.0.2.10"), 2) {
		flows = 40
	}
	for _, want := range []string{
		`borderwatch_packets_total{result="decoded"} 20`,
		`borderwatch_packets_total{result="malformed"} 0`,
		`borderwatch_capture_frames_total{source="scan.pcap"} 20`,
		`borderwatch_capture_drops_total{source="scan.pcap"} 0`,
		`borderwatch_capture_wire_clamped_total{source="scan.pcap"} 0`,
		`borderwatch_pipeline_packets_total 20`,
		`borderwatch_country_packets_total{country="CN",direction="inbound"} 20`,
		`borderwatch_alerts_total{kind="scan",rule="8100101"} 1`,
		`borderwatch_queue_drops_total 0`,
		`borderwatch_worker_panics_total 0`,
		fmt.Sprintf(`borderwatch_flows_created_total %d`, flows),
		`borderwatch_detect_keys{rule="8100101"} 0`, // flushed by Close
		`borderwatch_sink_alerts_total{output="file:` + alertPath + `",type="file"} 1`,
		`borderwatch_sink_dropped_total{output="file:` + alertPath + `",reason="queue_full"} 0`,
		`borderwatch_sink_queue_depth{output="file:` + alertPath + `"} 0`,
		`borderwatch_sink_accepted_total{output="file:` + alertPath + `"} 1`,
		`borderwatch_sink_spooled_total{output="file:` + alertPath + `"} 0`,
		`borderwatch_sink_reopens_total{output="file:` + alertPath + `"} 0`,
		`borderwatch_geoip_database_build_timestamp_seconds{database="lab",kind="country"} 1.7672256e+09`,
		fmt.Sprintf(`borderwatch_rules_loaded %d`, len(set.Rules)), // the default pack
		`borderwatch_reloads_total{result="success"} 1`,
		`borderwatch_reloads_total{result="failure"} 1`,
		`borderwatch_reload_last_success_timestamp_seconds 1.7672257e+09`,
		`borderwatch_build_info{commit="ad5f506fdec6cbcea20ee860418c2cedccc06ecc",goversion="go1.26.8",version="v0.3.1"} 1`,
		`# TYPE borderwatch_build_info gauge`,
		`borderwatch_kernel_seen_packets_total 40`,
		`borderwatch_kernel_seen_bytes_total 2700`,
		`# TYPE borderwatch_kernel_seen_bytes_total counter`,
		`borderwatch_kernel_events_total{event="ringbuf_full"} 3`,
		`borderwatch_kernel_handoffs_total{path="flow_first"} 12`,
		`borderwatch_kernel_handoffs_total{path="tcp_flags"} 8`,
		`# TYPE borderwatch_kernel_handoffs_total counter`,
		`borderwatch_kernel_parse_errors_total{kind="l4"} 1`,
		`borderwatch_kernel_packets_total{country="CN",direction="inbound",hook="ingress"} 20`,
		`borderwatch_kernel_bytes_total{country="CN",direction="inbound",hook="ingress"} 1200`,
		`borderwatch_kernel_packets_total{country="??",direction="transit",hook="egress"} 2`,
		`borderwatch_kernel_dropped_packets_total{rule="9000001"} 7`,
		`borderwatch_kernel_interface_packets_total{hook="ingress",iface="eth0"} 30`,
		`borderwatch_kernel_interface_bytes_total{hook="ingress",iface="eth0"} 2000`,
		`borderwatch_kernel_interface_handoffs_total{hook="ingress",iface="eth0"} 15`,
		`borderwatch_kernel_interface_ringbuf_full_total{hook="ingress",iface="eth0"} 3`,
		`borderwatch_kernel_interface_enforce_drops_total{hook="ingress",iface="eth0"} 8`,
		`borderwatch_kernel_interface_packets_total{hook="egress",iface="eth0"} 10`,
		`borderwatch_kernel_interface_handoffs_total{hook="egress",iface="eth0"} 5`,
		`borderwatch_kernel_interface_enforce_drops_total{hook="egress",iface="eth0"} 0`,
		`borderwatch_kernel_dropped_packets_total{rule="9000002"} 1`,
		`borderwatch_kernel_flood_packets_total{class="syn",dst="192.0.2.10"} 960000`,
		`borderwatch_kernel_flood_sampled_total{class="syn",dst="192.0.2.10"} 1200`,
		`borderwatch_kernel_flood_suppressed_total{class="syn",dst="192.0.2.10"} 957800`,
		`borderwatch_kernel_flood_sources{class="syn",dst="192.0.2.10"} 1400`,
		`borderwatch_kernel_flood_active{class="syn",dst="192.0.2.10"} 1`,
		`borderwatch_kernel_flood_active{class="udp",dst="2001:db8:1::9"} 0`,
		`# TYPE borderwatch_kernel_flood_sources gauge`,
		`# TYPE borderwatch_kernel_dropped_packets_total counter`,
		`# TYPE borderwatch_flows gauge`,
		`# TYPE borderwatch_alerts_total counter`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
	// Only the first MaxKernelFloods destinations are exported.
	if n := strings.Count(text, "borderwatch_kernel_flood_packets_total{"); n != MaxKernelFloods {
		t.Errorf("%d flood destinations exported, want %d", n, MaxKernelFloods)
	}
	if strings.Contains(text, fmt.Sprintf(`dst="198.51.100.%d"`, MaxKernelFloods-2)) {
		t.Errorf("destination %d of the flood list exported", MaxKernelFloods)
	}
	// Packets and bytes are not events: summing kernel_events_total over
	// event must not add bytes to packets.
	if strings.Contains(text, `borderwatch_kernel_events_total{event="bytes"}`) || strings.Contains(text, `borderwatch_kernel_events_total{event="packets"}`) {
		t.Error("packets or bytes among the kernel events")
	}
	// Every metric follows Prometheus's naming and help conventions.
	problems, err := promlint.New(strings.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if strings.Contains(text, `borderwatch_country_packets_total{country="DE"`) {
		t.Error("the scan's destination country was counted: only the remote end of inbound packets counts")
	}
	if t.Failed() {
		t.Log(text)
	}
}

func TestKernelReadError(t *testing.T) {
	tab, _ := labTable(t)
	c := New(Sources{Geo: geo.NewHolder(tab), Kernel: func() (KernelStats, error) { return KernelStats{}, errors.New("closed") }})
	scrape(t, c)
	text := scrape(t, c)
	if !strings.Contains(text, "borderwatch_kernel_read_errors_total 2\n") {
		t.Errorf("want two failed kernel reads counted:\n%s", text)
	}
	if strings.Contains(text, "borderwatch_kernel_packets_total") {
		t.Error("kernel packets exported despite the read error")
	}
}

// TestTAXIISinkMetrics: a taxii output exports its withheld alerts,
// refused objects and rejected drops; other outputs have no withheld line.
func TestTAXIISinkMetrics(t *testing.T) {
	name := "taxii://taxii.example/api1/collections/c1/"
	c := New(Sources{Sinks: func() []sink.Stats {
		return []sink.Stats{
			{Name: name, Type: "taxii", Accepted: 10, Written: 9, Withheld: 3, RefusedObjects: 2, Dropped: sink.Drops{Rejected: 1}},
			{Name: "stdout", Type: "stdout", Accepted: 1, Written: 1},
		}
	}})
	text := scrape(t, c)
	for _, want := range []string{
		`borderwatch_sink_withheld_total{output="` + name + `"} 3`,
		`borderwatch_sink_refused_objects_total{output="` + name + `"} 2`,
		`borderwatch_sink_dropped_total{output="` + name + `",reason="rejected"} 1`,
		`borderwatch_sink_alerts_total{output="` + name + `",type="taxii"} 9`,
		`borderwatch_sink_dropped_total{output="stdout",reason="rejected"} 0`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(text, `borderwatch_sink_withheld_total{output="stdout"}`) {
		t.Error("stdout has a withheld line")
	}
}

// quietFloods returns n flood slots of distinct destinations, one packet each.
func quietFloods(n int) []KernelFlood {
	out := make([]KernelFlood, n)
	for i := range out {
		out[i] = KernelFlood{Dst: fmt.Sprintf("198.51.100.%d", i), Class: "udp", Packets: 1}
	}
	return out
}
