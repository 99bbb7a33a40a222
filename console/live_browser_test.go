package console

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// liveConsole runs a pipeline (lab GeoIP, home DE) publishing to a hub, and
// serves the console and /metrics on a loopback port, as run does.
func liveConsole(t *testing.T, cfg Configuration) (*pipeline.Pipeline, *Hub, string) {
	t.Helper()
	holder, set := labSetup(t)
	hub := NewHub(cfg)
	p, err := pipeline.New(pipeline.Config{Workers: 1, SensorName: "lab-gw"}, holder, set, hub.Wrap(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	src := Sources{Sources: metrics.Sources{Pipeline: p.Stats, Rules: p.Rules, Geo: holder}, SensorName: "lab-gw", Started: time.Now()}
	srv, err := New(cfg, hub, src)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := metrics.ServeWith("127.0.0.1:0", metrics.New(src.Sources), zerolog.Nop(),
		metrics.Options{Root: srv.Handler(), Collectors: []prometheus.Collector{srv.Collector()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	return p, hub, "http://" + ms.Addr()
}

// TestLiveConsoleBrowser opens the console in Chromium, replays the lab's
// nmap captures through the pipeline feeding it, and requires the alert in
// the page within 2 s, FR shaded and its packet counter moved.
func TestLiveConsoleBrowser(t *testing.T) {
	p, _, url := liveConsole(t, DefaultConfiguration())
	ctx := browser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#status.live")))
	if err != nil {
		t.Fatal(err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.map path.country").length`))
	w, _ := LoadWorld()
	if err != nil || n != len(w.Shapes) {
		t.Fatalf("%d country paths (%v), want %d", n, err, len(w.Shapes))
	}
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#row-FR .packets_in") || {textContent: "none"}).textContent`))
	if err != nil || before != "none" {
		t.Fatalf("FR row before any traffic: %q %v", before, err)
	}
	runCaptures(t, p, labCaptures(t))
	sent := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(`#alerts li[data-src="FR"][data-kind="scan"]`))); err != nil {
		t.Fatalf("no inbound scan alert from FR in the page within 2 s: %v", err)
	}
	t.Logf("alert shown %v after the replay ended", time.Since(sent).Round(time.Millisecond))
	// The snapshot is polled every second: the counter and the shading follow.
	cls, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector("#c-FR").getAttribute("class").includes(" s5") && document.querySelector("#c-FR").getAttribute("class")`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("FR not shaded: %v", err)
	}
	after, err := chromedp.Run(ctx, chromedp.Poll[string](`(document.querySelector("#row-FR .packets_in") || {}).textContent`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	fr, _ := geo.ParseCountry("FR")
	want := p.Stats().Countries[geo.DirInbound][fr] // inbound packets from FR
	if got, err := strconv.ParseFloat(after, 64); err != nil || want == 0 || (want < 10000 && uint64(got) != want) {
		t.Errorf("FR packets in: page %q, pipeline %d", after, want)
	}
	if home, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#c-DE").getAttribute("class")`)); home != "country home" {
		t.Errorf("DE class %q, want home outlined and unshaded", home)
	}
	links, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#links line").length`))
	if links != 1 {
		t.Errorf("%d attack links, want 1 (FR → DE)", links)
	}
	// The detail view of the first alert shows its community id and a jq filter.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#alerts li[data-kind="scan"] button`)), chromedp.WaitVisible(chromedp.CSS("#detail"))); err != nil {
		t.Fatal(err)
	}
	jq, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#detail-jq")))
	cid, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#detail-cid")))
	wantJQ := `jq -c 'select(.community_id == "` + cid + `" and .alert.signature_id == `
	if len(cid) < 10 || !strings.HasPrefix(jq, wantJQ) || !strings.HasSuffix(jq, `)' /var/log/borderwatch/alerts.json`) {
		t.Errorf("community id %q, jq %q", cid, jq)
	}
	t.Logf("FR class %q, packets in %s", cls, after)
	screenshot(t, ctx, "console-live.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#detail-close"))); err != nil {
		t.Fatal(err)
	}
	readmeShot(t, ctx, "console.png")
}
