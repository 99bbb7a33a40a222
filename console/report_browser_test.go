package console

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// labReport replays the lab's nmap captures into a Report and writes it.
func labReport(t *testing.T, maxRows int) (string, *Report, pipeline.Stats) {
	t.Helper()
	holder, set := labSetup(t)
	rep := NewReport(maxRows)
	p, err := pipeline.New(pipeline.Config{Workers: 1, SensorName: "lab-gw"}, holder, set, rep.Wrap(nil))
	if err != nil {
		t.Fatal(err)
	}
	files := labCaptures(t)
	runCaptures(t, p, files)
	p.Close()
	st := p.Stats()
	var b bytes.Buffer
	if err := rep.WriteHTML(&b, ReportInput{Files: files, Stats: st, Table: holder.Load(), Generated: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC), Version: "test"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, rep, st
}

// TestReportBrowser loads a report of the lab captures in Chromium: one
// path per country, FR (the attacker) shaded and DE (home) not, the alert
// table holding every alert.
func TestReportBrowser(t *testing.T) {
	path, rep, st := labReport(t, 0)
	var alerts uint64
	for _, n := range st.Alerts {
		alerts += n
	}
	if alerts < 5 || rep.total != alerts {
		t.Fatalf("%d alerts recorded, pipeline wrote %d", rep.total, alerts)
	}
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("svg.map"))); err != nil {
		t.Fatal(err)
	}
	w, _ := LoadWorld()
	paths, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.map path.country").length`))
	if err != nil || paths != len(w.Shapes) {
		t.Errorf("%d country paths (%v), want %d", paths, err, len(w.Shapes))
	}
	fill := func(cc string) string {
		f, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#c-`+cc+`")).fill`))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	land := fill("BR") // no traffic
	if fr := fill("FR"); fr == land || fr != "rgb(0, 34, 78)" {
		t.Errorf("FR (every inbound alert) fill %q, want the darkest shade rgb(0, 34, 78); land %q", fr, land)
	}
	if de := fill("DE"); de != land {
		t.Errorf("DE (home, no inbound alerts) fill %q, want land %q", de, land)
	}
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#alerts tbody tr").length`))
	fromFR, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#alerts tbody tr[data-src="FR"]').length`))
	if uint64(rows) != alerts || fromFR == 0 {
		t.Errorf("alert table: %d rows (%d from FR), want %d", rows, fromFR, alerts)
	}
	links, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#links line").length`))
	if links != 1 {
		t.Errorf("%d links, want 1 (FR → DE)", links)
	}
	// The CSS-only switch shades by traffic: DE has none (home is not
	// remote), FR has the most.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#by-traffic"))); err != nil {
		t.Fatal(err)
	}
	if fr := fill("FR"); fr != "rgb(0, 34, 78)" {
		t.Errorf("by traffic, FR fill %q", fr)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#by-alerts"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "report.png")
}

// TestReportBounded lists at most MaxRows alerts and says how many it left
// out; the aggregated table still counts every alert.
func TestReportBounded(t *testing.T) {
	path, rep, _ := labReport(t, 3)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if rep.total < 5 {
		t.Fatalf("%d alerts", rep.total)
	}
	if n := strings.Count(html, `<tr data-kind=`); n != 3 {
		t.Errorf("%d alert rows, want 3", n)
	}
	want := groupDigits(rep.total-3) + " alerts are not listed here: the report lists the first 3 one by one"
	if !strings.Contains(html, want) {
		t.Errorf("report lacks %q", want)
	}
	var sum uint64
	for _, g := range rep.groups {
		sum += g.Alerts
	}
	if sum != rep.total {
		t.Errorf("groups hold %d alerts, want %d", sum, rep.total)
	}
	for _, bad := range []string{"<script", "http://", "https://", " src=", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("self-contained report holds %q", bad)
		}
	}
}
