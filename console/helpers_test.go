package console

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// labSetup is the lab GeoIP database (documentation prefixes: 192.0.2.200
// is FR, 192.0.2.10 DE) with home DE and the default rules.
func labSetup(t *testing.T) (*geo.Holder, *rules.Set) {
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
	return geo.NewHolder(tab), set
}

// labCaptures are the real nmap captures of testdata/cases/lab-nmap-*:
// inbound scans and sweeps from FR, outbound ones from DE to FR.
func labCaptures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/cases/lab-nmap-*/capture.pcap")
	if err != nil || len(files) < 6 {
		t.Fatalf("lab captures: %v (%d)", err, len(files))
	}
	return files
}

// runCaptures replays files, in order, through p.
func runCaptures(t *testing.T, p *pipeline.Pipeline, files []string) {
	t.Helper()
	for _, f := range files {
		s, err := capture.OpenFile(f)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Run(context.Background(), s)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// browser starts headless Chromium for the test. Without chromium the
// test is skipped, except in CI (CI set), where it fails:
// scripts/install-deps.sh installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not found in CI: scripts/install-deps.sh installs it (Debian package chromium)")
		}
		t.Skip("chromium not installed (Debian package chromium; scripts/install-deps.sh installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now
		t.Fatalf("starting chromium %s: %v", path, err)
	}
	return ctx
}

// screenshot saves the page as PNG under the test's artifact folder
// (kept with go test -artifacts) and returns its path.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", path, len(png))
	return path
}

// readmeShot saves the viewport (1280×800) as NAME in the folder
// BW_CONSOLE_SHOTS names, if any: the README's console screenshot
// (docs/img/console.png) is made by TestLiveConsoleBrowser from the lab
// captures.
func readmeShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("BW_CONSOLE_SHOTS")
	if dir == "" {
		return
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.ScrollIntoView(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
