package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestListsFeedDrivesReplay: a list source of the configuration, named
// like the default pack's blocklist, fetched over TLS (a private CA) by
// `lists update`, shown by `lists status`, drives the pack's reputation
// rules in a replay of suricata-verify's issue-4280 capture; a failing
// server keeps the cached list and is shown; secrets stay hidden.
func TestListsFeedDrivesReplay(t *testing.T) {
	pcap := sharedCapture(t, "../shared/pcaps/badip_iprep_icmp_suricata-verify.pcap")
	body, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "cases", "shared-badip-iprep", "iprep.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var fail atomic.Bool
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "borderwatch.yaml", `geo:
  home: [DE]
lists:
  state_dir: `+filepath.Join(dir, "state")+`
  sources:
    - name: blocklist
      url: `+srv.URL+`/iprep.txt?token=S3CRET
      format: plain
      refresh: 1h
      ca_file: `+ca+`
`)
	geoip := labGeoIP(t)

	out, stderr, code := runCLI(t, "-c", cfg, "lists", "status")
	if code != exitOK || !strings.Contains(squeeze(out), "blocklist plain 0 never never 0 - https://127.0.0.1:") {
		t.Fatalf("status before: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = runCLI(t, "-c", cfg, "lists", "update")
	if code != exitOK || !strings.Contains(squeeze(out), "blocklist updated 2 ") {
		t.Fatalf("update: exit %d\n%s%s", code, out, stderr)
	}
	out, _, _ = runCLI(t, "-c", cfg, "lists", "update")
	if !strings.Contains(squeeze(out), "blocklist not modified 2 ") {
		t.Errorf("second update: %s", out)
	}
	replay := func() string {
		t.Helper()
		out, stderr, code := runCLI(t, "-c", cfg, "--geoip", geoip, "replay", pcap)
		if code != exitOK {
			t.Fatalf("replay: exit %d\n%s", code, stderr)
		}
		return out
	}
	alerts := replay()
	for _, want := range []string{`"signature_id":8100602`, `"dest_ip":"4.4.4.4"`, `"dest_ip":"8.8.8.8"`, `"signature_id":8100601`} {
		if !strings.Contains(alerts, want) {
			t.Errorf("replay alerts lack %s:\n%s", want, alerts)
		}
	}
	if n := strings.Count(alerts, "\n"); n != 3 {
		t.Errorf("%d alerts, want 3 (as suricata-verify's issue-4280)", n)
	}

	fail.Store(true)
	out, stderr, code = runCLI(t, "-c", cfg, "lists", "update")
	if code != exitRuntime || !strings.Contains(squeeze(out), "blocklist failed 2 ") || !strings.Contains(out, "HTTP 503 Service Unavailable") ||
		!strings.Contains(stderr, "1 of 1 list sources failed; their last good lists stay") {
		t.Errorf("failing update: exit %d\n%s%s", code, out, stderr)
	}
	out, _, _ = runCLI(t, "-c", cfg, "lists", "status")
	if !strings.Contains(squeeze(out), " 1 ") || !strings.Contains(out, "HTTP 503 Service Unavailable") || !strings.Contains(squeeze(out), "blocklist plain 2 ") {
		t.Errorf("status after a failure:\n%s", out)
	}
	if alerts2 := replay(); alerts2 != alerts {
		t.Errorf("the cached list no longer drives the rules:\n%s", alerts2)
	}
	shown, _, _ := runCLI(t, "-c", cfg, "config", "check")
	all := out + stderr + shown
	if !strings.Contains(shown, "      refresh: 1h0m0s\n      max_bytes: 16777216\n      timeout: 1m0s\n") {
		t.Errorf("config check does not show the source's effective settings:\n%s", shown)
	}
	if strings.Contains(all, "S3CRET") || !strings.Contains(shown, "/iprep.txt?token=xxxxx") {
		t.Errorf("a token was shown, or the source is missing:\n%s", all)
	}
}

// TestRulesCheckKnowsListSources: `rules check` on a file whose rule names
// a list source of the configuration passes (the cached list, empty before
// the first update), and a file defining a list of that name is refused.
func TestRulesCheckKnowsListSources(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, "borderwatch.yaml", "lists:\n  state_dir: "+filepath.Join(dir, "state")+
		"\n  sources:\n    - name: feodo-c2\n      url: https://feodotracker.abuse.ch/downloads/ipblocklist_recommended.txt\n      format: plain\n")
	site := writeFile(t, "site.yaml", "rules:\n  - {id: 9100701, name: Feodo C2 contacted, kind: reputation, list: feodo-c2, from: home, side: dst}\n")
	out, stderr, code := runCLI(t, "-c", cfg, "rules", "check", site)
	if code != exitOK || !strings.Contains(out, "list feodo-c2: 0 prefixes from https://feodotracker.abuse.ch/downloads/ipblocklist_recommended.txt (plain)") {
		t.Errorf("rules check: exit %d\n%s%s", code, out, stderr)
	}
	dup := writeFile(t, "dup.yaml", "lists:\n  - name: feodo-c2\n    addresses: [192.0.2.1]\n")
	_, stderr, code = runCLI(t, "-c", cfg, "rules", "check", site, dup)
	if code != exitUsage || !strings.Contains(stderr, `dup.yaml:2:11: list "feodo-c2": defined twice: also a list source of the configuration (lists.sources)`) {
		t.Errorf("rules check with a duplicate: exit %d\n%s", code, stderr)
	}
}
