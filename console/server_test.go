package console

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/reload"
	"github.com/rs/zerolog"
)

func testAlert(i int, kind, src, dst, dir string, sev int) *alert.Alert {
	return &alert.Alert{Timestamp: int64(1_767_225_600+i) * 1e9, SrcIP: netip.MustParseAddr("192.0.2.200"), DstIP: netip.MustParseAddr("192.0.2.10"),
		SrcPort: uint16(40000 + i%1000), DstPort: 22, Proto: 6, Direction: "to_server", GeoDir: dir, Action: "allowed", GID: 1,
		SignatureID: 8100101, Rev: 1, Signature: fmt.Sprintf("test alert %d", i), Category: "Attempted Information Leak", Severity: sev, Kind: kind,
		CommunityID: "1:test" + fmt.Sprint(i), Src: alert.Endpoint{CountryISO: src}, Dst: alert.Endpoint{CountryISO: dst}}
}

func TestClientRingDropsOldest(t *testing.T) {
	h := NewHub(Configuration{ClientBuffer: 3, MaxClients: 2})
	c := h.subscribe(Filter{})
	for i := range 5 {
		h.Publish(testAlert(i, "scan", "FR", "DE", "inbound", 2))
	}
	evs, dropped := h.take(c, nil)
	if dropped != 2 || len(evs) != 3 || evs[0].seq != 3 || evs[2].seq != 5 {
		t.Fatalf("dropped %d, kept %d from seq %v", dropped, len(evs), evs)
	}
	if st := h.Stats(); st.ClientDrops != 2 || st.Published != 5 || st.Clients != 1 {
		t.Errorf("stats %+v", st)
	}
	// MaxClients streams at once; the next is refused and counted.
	if h.subscribe(Filter{}) == nil || h.subscribe(Filter{}) != nil || h.Stats().Refused != 1 {
		t.Errorf("max clients: %+v", h.Stats())
	}
}

func TestFilter(t *testing.T) {
	h := NewHub(DefaultConfiguration())
	f, err := ParseFilter(params{"kind": "scan,brute", "country": "fr", "direction": "inbound", "min_severity": "2"}.get)
	if err != nil {
		t.Fatal(err)
	}
	c := h.subscribe(f)
	h.Publish(testAlert(1, "scan", "FR", "DE", "inbound", 2))  // yes
	h.Publish(testAlert(2, "sweep", "FR", "DE", "inbound", 2)) // kind
	h.Publish(testAlert(3, "brute", "US", "DE", "inbound", 1)) // country
	h.Publish(testAlert(4, "scan", "DE", "FR", "outbound", 1)) // direction
	h.Publish(testAlert(5, "scan", "FR", "DE", "inbound", 3))  // severity
	h.Publish(testAlert(6, "brute", "FR", "DE", "inbound", 1)) // yes
	evs, _ := h.take(c, nil)
	if len(evs) != 2 || evs[0].seq != 1 || evs[1].seq != 6 {
		t.Errorf("filter kept %d events", len(evs))
	}
	for _, tc := range []struct{ q, err string }{
		{"country=FRA", "parameter country: want a two-letter code"},
		{"direction=sideways", "parameter direction: want inbound, outbound, internal or transit"},
		{"min_severity=0", "parameter min_severity: want 1 to 255"},
		{"kind=" + strings.Repeat("x", 300), "parameter kind: longer than 256 bytes"},
	} {
		k, v, _ := strings.Cut(tc.q, "=")
		if _, err := ParseFilter(params{k: v}.get); err == nil || err.Error() != tc.err {
			t.Errorf("%s: %v, want %s", tc.q, err, tc.err)
		}
	}
}

// params serve as query values.
type params map[string]string

func (p params) get(k string) string { return p[k] }

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if len(hdr) == 2 {
		req.SetBasicAuth(hdr[0], hdr[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestPageSecurity: every console response has the security headers; the
// page holds no inline script, style attribute or event handler (the CSP
// would block them), and asks for nothing off the sensor.
func TestPageSecurity(t *testing.T) {
	_, _, url := liveConsole(t, DefaultConfiguration())
	for _, path := range []string{"/", "/assets/console.js", "/api/snapshot", "/nothing"} {
		resp, _ := get(t, url+path)
		for k, v := range SecurityHeaders {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", path, k, got, v)
			}
		}
	}
	csp := SecurityHeaders["Content-Security-Policy"]
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q", csp)
		}
	}
	resp, page := get(t, url+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1)
	if len(scripts) != 1 || scripts[0] != `<script src="/assets/console.js" defer>` {
		t.Errorf("scripts %q: want only the console's file", scripts)
	}
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`\sstyle=`), regexp.MustCompile(`\son[a-z]+=`), regexp.MustCompile(`https?://`), regexp.MustCompile(`<style`)} {
		if m := bad.FindString(page); m != "" && !strings.Contains(m, "www.w3.org") {
			t.Errorf("page holds %q", m)
		}
	}
	if n := strings.Count(page, `<path id="c-`); n != 237 {
		t.Errorf("%d country paths", n)
	}
	if resp, _ := get(t, url+"/nothing"); resp.StatusCode != 404 {
		t.Errorf("/nothing: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", url+"/api/snapshot", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v %v", resp.StatusCode, err)
	}
}

func TestAuth(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfiguration()
	cfg.Auth = AuthConfiguration{Username: "operator", PasswordFile: pwFile}
	_, _, url := liveConsole(t, cfg)
	for _, tc := range []struct {
		creds []string
		code  int
	}{{nil, 401}, {[]string{"operator", "wrong"}, 401}, {[]string{"admin", "s3cret-Pa55"}, 401}, {[]string{"operator", "s3cret-Pa55"}, 200}} {
		for _, path := range []string{"/", "/api/snapshot", "/api/alerts"} {
			resp, body := get(t, url+path, tc.creds...)
			if resp.StatusCode != tc.code {
				t.Errorf("%s with %v: %d, want %d", path, tc.creds, resp.StatusCode, tc.code)
			}
			if tc.code == 401 && (resp.Header.Get("WWW-Authenticate") == "" || strings.Contains(body, "s3cret")) {
				t.Errorf("401: %q %q", resp.Header.Get("WWW-Authenticate"), body)
			}
		}
	}
	// /metrics is Prometheus's: not behind the console's authentication.
	resp, body := get(t, url+"/metrics")
	if resp.StatusCode != 200 || !strings.Contains(body, "borderwatch_console_auth_failures_total 9\n") {
		t.Errorf("/metrics %d:\n%.300s", resp.StatusCode, body)
	}
	// A missing or multi-line password file is an error naming the file, not its contents.
	cfg.Auth.PasswordFile = filepath.Join(dir, "none")
	if _, err := New(cfg, NewHub(cfg), Sources{}); err == nil || !strings.Contains(err.Error(), "console.auth.password_file: open "+cfg.Auth.PasswordFile+": no such file") {
		t.Errorf("missing file: %v", err)
	}
	two := filepath.Join(dir, "two")
	os.WriteFile(two, []byte("s3cret\nline2\n"), 0o600)
	cfg.Auth.PasswordFile = two
	if _, err := New(cfg, NewHub(cfg), Sources{}); err == nil || err.Error() != "console.auth.password_file "+two+": want one non-empty line" {
		t.Errorf("two lines: %v", err)
	}
}

func TestCheckListen(t *testing.T) {
	on := DefaultConfiguration()
	auth := on
	auth.Auth = AuthConfiguration{Username: "u", PasswordFile: "/p"}
	off := on
	off.Enabled = false
	for _, tc := range []struct {
		cfg    Configuration
		listen string
		ok     bool
	}{
		{on, "127.0.0.1:9467", true}, {on, "[::1]:9467", true}, {on, "localhost:9467", true}, {on, "127.0.0.2:9467", true}, {on, "off", true}, {on, "LOCALHOST.:9467", true},
		{on, "0.0.0.0:9467", false}, {on, ":9467", false}, {on, "[::]:9467", false}, {on, "192.0.2.1:9467", false}, {on, "sensor.example:9467", false}, {on, "evil.localhost:9467", false},
		{auth, "0.0.0.0:9467", true}, {off, "0.0.0.0:9467", true},
	} {
		err := tc.cfg.CheckListen(tc.listen)
		if (err == nil) != tc.ok {
			t.Errorf("%s (auth %v, enabled %v): %v", tc.listen, tc.cfg.HasAuth(), tc.cfg.Enabled, err)
		}
	}
	err := on.CheckListen("0.0.0.0:9467")
	want := "the metrics listener 0.0.0.0:9467 is not a loopback address: set console.auth (username and password_file; console.tls recommended) to serve the console there, or console.enabled: false to serve only /metrics"
	if err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
	bad := Configuration{Enabled: true, ClientBuffer: 0, MaxClients: 5000, Auth: AuthConfiguration{Username: "a:b"}, TLS: TLSConfiguration{KeyFile: "k"}}
	var msgs []string
	for _, p := range bad.Problems() {
		msgs = append(msgs, p.Key+": "+p.Msg)
	}
	wantP := []string{
		"client_buffer: console.client_buffer 0: want 1 to 65536",
		"max_clients: console.max_clients 5000: want 1 to 1024",
		"auth: console.auth: username and password_file go together",
		"auth.username: console.auth.username: no colon or line break",
		"tls: console.tls: cert_file and key_file go together",
	}
	if strings.Join(msgs, "\n") != strings.Join(wantP, "\n") {
		t.Errorf("problems:\n%s", strings.Join(msgs, "\n"))
	}
}

// TestSnapshot replays the lab captures and checks the snapshot's figures
// against the pipeline's.
func TestSnapshot(t *testing.T) {
	p, hub, url := liveConsole(t, DefaultConfiguration())
	runCaptures(t, p, labCaptures(t))
	_, body := get(t, url+"/api/snapshot")
	var s Snapshot
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	var in, out uint64
	for _, e := range hub.recentEvents(Filter{}, RecentAlerts) {
		switch e.dir {
		case "inbound":
			in++
		case "outbound":
			out++
		}
	}
	fr := s.Countries["FR"]
	if in == 0 || out == 0 || fr.AlertsIn != in || fr.AlertsOut != out {
		t.Errorf("FR alerts %d in, %d out; published %d, %d", fr.AlertsIn, fr.AlertsOut, in, out)
	}
	frID, _ := geo.ParseCountry("FR")
	frPackets := st.Countries[geo.DirInbound][frID]
	if fr.PacketsIn != frPackets || fr.PacketsIn == 0 || s.TrafficSource != "pipeline" || s.BytesKnown {
		t.Errorf("FR packets in %d, pipeline %d; source %q", fr.PacketsIn, frPackets, s.TrafficSource)
	}
	if strings.Join(s.Home, ",") != "DE" || s.Jurisdictions[0].Name != "EU" || s.Jurisdictions[1].Name != "FVEY" || len(s.Jurisdictions[1].Countries) != 5 {
		t.Errorf("home %v, jurisdictions %v", s.Home, s.Jurisdictions[:2])
	}
	h := s.Health
	if h.GeoIP.Database != "lab" || h.GeoIP.Built.Year() != 2026 || h.Rules.Loaded == 0 || len(h.Capture) != len(labCaptures(t)) || h.Console.MaxClients != 16 {
		t.Errorf("health %+v", h)
	}
	if s.AlertsTotal != in+out || s.Sensor != "lab-gw" {
		t.Errorf("alerts %d, sensor %q", s.AlertsTotal, s.Sensor)
	}
	// /api/alerts: the same alerts as EVE records, filterable.
	_, body = get(t, url+"/api/alerts?direction=outbound&limit=100")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(body), &recs); err != nil || uint64(len(recs)) != out || recs[0]["event_type"] != "alert" {
		t.Errorf("alerts: %d (%v)", len(recs), err)
	}
	if resp, body := get(t, url+"/api/alerts?limit=0"); resp.StatusCode != 400 || body != "parameter limit: want 1 to 500\n" {
		t.Errorf("limit=0: %d %q", resp.StatusCode, body)
	}
}

// TestStalledClient: a stream whose client reads nothing does not slow
// Publish; its ring holds at most client_buffer alerts, the rest are
// dropped, counted and exported, and another stream still gets every
// alert.
func TestStalledClient(t *testing.T) {
	cfg := DefaultConfiguration()
	_, hub, url := liveConsole(t, cfg)
	addr := strings.TrimPrefix(url, "http://")
	// The stalled client: asks for the stream, then never reads.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	fmt.Fprintf(conn, "GET /api/stream HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	// A healthy client on the same hub.
	resp, err := http.Get(url + "/api/stream?kind=flood")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for hub.Stats().Clients != 2 {
		time.Sleep(10 * time.Millisecond)
	}
	const n = 50000
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	for i := range n {
		hub.Publish(testAlert(i, "scan", "FR", "DE", "inbound", 2))
	}
	hub.Publish(testAlert(n, "flood", "US", "DE", "inbound", 1))
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	st := hub.Stats()
	// The stalled stream took what the sockets' buffers hold (loopback
	// buffers grow to megabytes) and client_buffer more in its ring;
	// everything else was dropped.
	hub.mu.Lock()
	var ringMax int
	for c := range hub.clients {
		ringMax = max(ringMax, c.n)
	}
	hub.mu.Unlock()
	if ringMax > cfg.ClientBuffer || st.ClientDrops == 0 {
		t.Errorf("ring %d (bound %d), dropped %d of %d", ringMax, cfg.ClientBuffer, st.ClientDrops, n+1)
	}
	t.Logf("stalled client: %d alerts published in %v (%v each), %d dropped for it, ring %d/%d, heap %+d KiB after GC",
		n+1, took.Round(time.Millisecond), took/time.Duration(n+1), st.ClientDrops, ringMax, cfg.ClientBuffer, (int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/1024)
	// The healthy client got the flood alert.
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	got := false
	for !got && sc.Scan() {
		got = strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), `"kind":["flood"]`)
	}
	if !got {
		t.Error("the healthy stream did not get the flood alert")
	}
	// The drops are exported.
	_, body := get(t, url+"/metrics")
	if want := fmt.Sprintf("borderwatch_console_stream_dropped_total %d\n", hub.Stats().ClientDrops); !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %q", want)
	}
}

// TestAuthReload: a reload (SIGHUP) reads the password file again
// through the console's reload target: a changed password is in force
// after it, the old one is refused; a bad file (missing, two lines,
// empty, over the bound) fails the reload with an error naming the file
// and target, never the contents, and the password in force stays.
func TestAuthReload(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("first-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfiguration()
	cfg.Auth = AuthConfiguration{Username: "operator", PasswordFile: pwFile}
	holder, set := labSetup(t)
	hub := NewHub(cfg)
	ms, targets, err := Serve("127.0.0.1:0", cfg, hub, Sources{}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if len(targets) != 1 || targets[0].Name != "console" {
		t.Fatalf("targets %+v, want the console's", targets)
	}
	r := &reload.Reloader{Build: func() (*rules.Set, *geo.Table, error) { return set, holder.Load(), nil }, Targets: targets, Log: zerolog.Nop()}
	url := "http://" + ms.Addr() + "/api/snapshot"
	expect := func(when string, pass string, code int) {
		t.Helper()
		if resp, _ := get(t, url, "operator", pass); resp.StatusCode != code {
			t.Errorf("%s: %s gives %d, want %d", when, pass, resp.StatusCode, code)
		}
	}
	expect("at start", "first-Pa55", 200)

	if err := os.WriteFile(pwFile, []byte("second-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	expect("changed, before the reload", "first-Pa55", 200)
	if err := r.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	expect("after the reload", "second-Pa55", 200)
	expect("after the reload", "first-Pa55", 401)

	for _, tc := range []struct {
		name    string
		content []byte // nil: no file
		want    string
	}{
		{"missing", nil, "console: console.auth.password_file: open " + pwFile + ": no such file or directory"},
		{"two lines", []byte("third-Pa55\nmore\n"), "console: console.auth.password_file " + pwFile + ": want one non-empty line"},
		{"empty", []byte("\n"), "console: console.auth.password_file " + pwFile + ": want one non-empty line"},
		{"over the bound", bytes.Repeat([]byte("x"), maxPasswordFile+1), "console: console.auth.password_file: open " + pwFile + ": file larger than the limit of 4 KiB"},
	} {
		os.Remove(pwFile)
		if tc.content != nil {
			if err := os.WriteFile(pwFile, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		err := r.Reload()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "third") || strings.Contains(err.Error(), "xxxx") {
			t.Errorf("%s: reload error %v, want %q", tc.name, err, tc.want)
		}
		expect(tc.name, "second-Pa55", 200)
	}
}

// TestAuthReloadSettings: a reload takes console.auth from the
// configuration it read: a new username and a new password_file path are
// in force after it (the old credentials refused), authentication can be
// turned off on a loopback listener and on again; turning it off beyond
// loopback fails the reload, keeping the credentials in force. A changed
// setting of the listener (tls, client_buffer) is logged by name, never a
// password, and the reload still commits.
func TestAuthReloadSettings(t *testing.T) {
	dir := t.TempDir()
	pw1, pw2 := filepath.Join(dir, "pw1"), filepath.Join(dir, "pw2")
	if err := os.WriteFile(pw1, []byte("first-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pw2, []byte("second-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := DefaultConfiguration()
	start.Auth = AuthConfiguration{Username: "operator", PasswordFile: pw1}
	next := start
	holder, set := labSetup(t)
	var logs bytes.Buffer
	ms, targets, err := Serve("127.0.0.1:0", start, NewHub(start), Sources{}, func() Configuration { return next }, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	r := &reload.Reloader{Build: func() (*rules.Set, *geo.Table, error) { return set, holder.Load(), nil }, Targets: targets, Log: zerolog.Nop()}
	url := "http://" + ms.Addr() + "/api/snapshot"
	expect := func(when string, code int, cred ...string) {
		t.Helper()
		if resp, _ := get(t, url, cred...); resp.StatusCode != code {
			t.Errorf("%s: %v gives %d, want %d", when, cred, resp.StatusCode, code)
		}
	}
	expect("at start", 200, "operator", "first-Pa55")

	next.Auth = AuthConfiguration{Username: "admin", PasswordFile: pw2}
	next.TLS = TLSConfiguration{CertFile: filepath.Join(dir, "c.pem"), KeyFile: filepath.Join(dir, "k.pem")}
	next.ClientBuffer = 512
	if err := r.Reload(); err != nil {
		t.Fatalf("reload with a new username and password file: %v", err)
	}
	expect("new username and file", 200, "admin", "second-Pa55")
	expect("new username and file", 401, "operator", "first-Pa55")
	expect("new username and file", 401, "operator", "second-Pa55")
	wantLog := []string{
		`{"level":"info","component":"console","changed":["console.auth.username","console.auth.password_file"],"auth":true,"message":"console authentication reconfigured"}`,
		`{"level":"warn","component":"console","setting":"console.tls","message":"console setting changed in the configuration file: it takes effect at the next restart; the running value stays"}`,
		`{"level":"warn","component":"console","setting":"console.client_buffer","message":"console setting changed in the configuration file: it takes effect at the next restart; the running value stays"}`,
	}
	if got := strings.TrimSpace(logs.String()); got != strings.Join(wantLog, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", got, strings.Join(wantLog, "\n"))
	}

	next.Auth = AuthConfiguration{}
	if err := r.Reload(); err != nil {
		t.Fatalf("reload without auth on loopback: %v", err)
	}
	expect("auth off", 200)
	next.Auth = AuthConfiguration{Username: "operator", PasswordFile: pw1}
	if err := r.Reload(); err != nil {
		t.Fatalf("reload with auth on again: %v", err)
	}
	expect("auth on again", 401)
	expect("auth on again", 200, "operator", "first-Pa55")
	if l := logs.String(); strings.Contains(l, "Pa55") || !strings.Contains(l, `"changed":["console.auth.username","console.auth.password_file"],"auth":false,`) {
		t.Errorf("log shows a password, or not auth turned off:\n%s", l)
	}

	// Beyond loopback, turning authentication off fails the reload.
	srv, err := New(start, NewHub(start), Sources{})
	if err != nil {
		t.Fatal(err)
	}
	srv.listen = "0.0.0.0:9467"
	off := start
	off.Auth = AuthConfiguration{}
	r2 := &reload.Reloader{Build: r.Build, Targets: []reload.Target{srv.ReloadTarget(func() Configuration { return off })}, Log: zerolog.Nop()}
	want := "console: the metrics listener 0.0.0.0:9467 is not a loopback address: set console.auth"
	if err := r2.Reload(); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("reload turning auth off beyond loopback: %v, want %q…", err, want)
	}
	if srv.creds.Load() == nil || srv.cfg.Auth != start.Auth {
		t.Errorf("after the failed reload: auth %+v, credentials %v; want the start's in force", srv.cfg.Auth, srv.creds.Load() != nil)
	}
}
