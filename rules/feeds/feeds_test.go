package feeds

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/rules"
)

// feedServer serves recorded list snapshots like a list publisher:
// ETag and Last-Modified, 304 to a matching conditional request, and the
// bad days (truncated and oversize bodies, errors, a slow server).
type feedServer struct {
	mu       sync.Mutex
	files    map[string][]byte // path → body
	etag     string
	modified time.Time
	mode     string // "", "truncate", "chunked", "slow", "hold" (until the client gives up), "status"
	status   int
	requests int
	cond     int // conditional requests answered 304
	lastAuth string
	retry    string // Retry-After of mode "status"; "120" when empty
}

func (s *feedServer) set(path string, body []byte, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	s.files[path] = body
	s.etag = etag
	s.modified = time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC).Add(time.Duration(len(s.files)) * time.Hour)
}

func (s *feedServer) setMode(mode string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.status = mode, status
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.lastAuth = r.Header.Get("Authorization")
	body, ok := s.files[r.URL.Path]
	mode, status, etag, mod, retry := s.mode, s.status, s.etag, s.modified, s.retry
	s.mu.Unlock()
	switch mode {
	case "status":
		w.Header().Set("Retry-After", cmp.Or(retry, "120"))
		http.Error(w, "nope", status)
		return
	case "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case "hold":
		<-r.Context().Done()
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			s.mu.Lock()
			s.cond++
			s.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else {
		w.Header().Set("Last-Modified", mod.Format(http.TimeFormat))
		if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !mod.After(ims) {
			s.mu.Lock()
			s.cond++
			s.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	switch mode {
	case "truncate":
		// Announce the whole body, send half of it and close.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
			}
		}
		return
	case "chunked":
		// No Content-Length: the size is known only by reading.
		w.WriteHeader(http.StatusOK)
		for range 4 {
			_, _ = w.Write(body)
			w.(http.Flusher).Flush()
		}
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// startTLS starts s over TLS and writes the server's certificate (its own
// CA) as a PEM file for ca_file.
func startTLS(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = false // Hijack in "truncate"
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

func snapshot(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newManager(t *testing.T, cfg Configuration, log *bytes.Buffer) *Manager {
	t.Helper()
	w := zerolog.Nop()
	if log != nil {
		w = zerolog.New(zerolog.SyncWriter(log)) // sources update concurrently; read log once they ended
	}
	m, err := New(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func contains(l *rules.List, addr string) bool { return l.Contains(netip.MustParseAddr(addr)) }

// TestFormats fetches a recorded snapshot of each real format over TLS
// (a private CA in ca_file) and checks the list's content, the cache and
// a start from the cache with the server gone.
func TestFormats(t *testing.T) {
	cases := []struct {
		file, format string
		entries      int
		in, out      []string
	}{
		{"drop_v4.json", "spamhaus-drop-json", 3, []string{"192.0.2.1", "198.51.100.200", "203.0.113.70"}, []string{"192.0.2.200", "203.0.113.1"}},
		{"drop_v6.json", "auto", 2, []string{"2001:db8:2::66", "2001:db8:ff12::1"}, []string{"2001:db8:3::1"}},
		{"firehol_level1.netset", "netset", 4, []string{"192.0.2.129", "198.51.100.1", "203.0.113.15", "203.0.113.66"}, []string{"192.0.2.1", "203.0.113.16"}},
		{"feodo_ipblocklist.txt", "plain", 3, []string{"203.0.113.66", "198.51.100.23", "192.0.2.201"}, []string{"203.0.113.67"}},
		{"reputation.iprep", "iprep", 3, []string{"192.0.2.7", "198.51.100.15", "2001:db8:2::66"}, []string{"198.51.100.16"}},
	}
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			fs.set("/"+c.file, snapshot(t, c.file), `"`+c.file+`-v1"`)
			state := t.TempDir()
			cfg := Configuration{StateDir: state, Sources: []SourceConfig{{Name: "feed", URL: srv.URL + "/" + c.file, Format: c.format, CAFile: ca}}}
			m := newManager(t, cfg, nil)
			if n := m.Lists()["feed"].Len(); n != 0 {
				t.Fatalf("before the first update: %d entries, want 0", n)
			}
			res := m.Update(context.Background())
			if r := res[0]; r.Err != nil || r.Outcome != OutcomeUpdated || !r.Changed || r.Entries != c.entries {
				t.Fatalf("update: %+v, want updated, changed, %d entries", r, c.entries)
			}
			l := m.Lists()["feed"]
			for _, a := range c.in {
				if !contains(l, a) {
					t.Errorf("%s not listed", a)
				}
			}
			for _, a := range c.out {
				if contains(l, a) {
					t.Errorf("%s listed", a)
				}
			}
			if l.Name() != "feed" || l.Source() != srv.URL+"/"+c.file {
				t.Errorf("list %q from %q", l.Name(), l.Source())
			}
			cached, err := os.ReadFile(filepath.Join(state, "feed.data"))
			if err != nil || !bytes.Equal(cached, snapshot(t, c.file)) {
				t.Errorf("cache: %v; the body as fetched: %v", err, bytes.Equal(cached, snapshot(t, c.file)))
			}

			// The network is down: a new sensor starts with the cached list.
			down := cfg
			down.Sources = []SourceConfig{cfg.Sources[0]}
			down.Sources[0].URL = "https://127.0.0.1:1/" + c.file
			m2 := newManager(t, down, nil)
			if l := m2.Lists()["feed"]; l.Len() != 0 {
				t.Errorf("another URL under the same name used the cache (%d entries)", l.Len())
			}
			m3 := newManager(t, cfg, nil)
			srvDown := m3.Lists()["feed"]
			if srvDown.Len() != c.entries || !contains(srvDown, c.in[0]) {
				t.Errorf("start from the cache: %d entries, want %d", srvDown.Len(), c.entries)
			}
		})
	}
}

// TestConditional: the second update is conditional (ETag, and
// Last-Modified when there is no ETag) and a 304 keeps the list; a new
// body replaces it.
func TestConditional(t *testing.T) {
	for _, etag := range []string{`"v1"`, ""} {
		t.Run("etag="+etag, func(t *testing.T) {
			fs := &feedServer{}
			srv, ca := startTLS(t, fs)
			fs.set("/drop.json", snapshot(t, "drop_v4.json"), etag)
			m := newManager(t, Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "drop", URL: srv.URL + "/drop.json", CAFile: ca}}}, nil)
			if r := m.Update(context.Background())[0]; r.Outcome != OutcomeUpdated {
				t.Fatalf("first: %+v", r)
			}
			r := m.Update(context.Background())[0]
			if r.Outcome != OutcomeNotModified || r.Changed || r.Entries != 3 || r.Err != nil || fs.cond != 1 {
				t.Fatalf("second: %+v, %d 304s; want not_modified with 3 entries, one 304", r, fs.cond)
			}
			if l := m.Lists()["drop"]; !contains(l, "198.51.100.1") {
				t.Error("304 lost the list")
			}
			st := m.Status()[0]
			if st.Checked.IsZero() || st.Entries != 3 || st.Failures != 0 {
				t.Errorf("status %+v", st)
			}
			fs.set("/drop.json", []byte(`{"cidr":"192.0.2.0/24","sblid":"SBL1"}`+"\n"), etag+"2")
			if etag == "" {
				fs.mu.Lock()
				fs.modified = fs.modified.Add(24 * time.Hour)
				fs.mu.Unlock()
			}
			r = m.Update(context.Background())[0]
			if r.Outcome != OutcomeUpdated || !r.Changed || r.Entries != 1 {
				t.Fatalf("third: %+v", r)
			}
			if l := m.Lists()["drop"]; contains(l, "198.51.100.1") || !contains(l, "192.0.2.200") {
				t.Error("the new body was not swapped in")
			}
		})
	}
}

// TestBadDays: every failure keeps the last good list, is reported with a
// reason and leaves the cache as it was.
func TestBadDays(t *testing.T) {
	good := snapshot(t, "firehol_level1.netset")
	cases := []struct {
		name     string
		mode     string
		status   int
		body     []byte
		maxBytes int64
		timeout  time.Duration
		noCA     bool
		retry    string // the server's Retry-After
		want     string // in the error
		reason   string
	}{
		{name: "truncated", mode: "truncate", body: good, want: "truncated body", reason: "truncated"},
		{name: "oversize", body: good, maxBytes: 100, want: "body of " + strconv.Itoa(len(good)) + " bytes is larger than max_bytes (100)", reason: "too_large"},
		{name: "oversize chunked", mode: "chunked", body: good, maxBytes: int64(len(good)) + 10, want: "body larger than max_bytes", reason: "too_large"},
		{name: "tls unknown CA", body: good, noCA: true, want: "x509: certificate signed by unknown authority", reason: "tls"},
		{name: "slow", mode: "slow", body: good, timeout: time.Second, want: "timeout 1s", reason: "timeout"},
		{name: "429", mode: "status", status: 429, body: good, want: "HTTP 429 Too Many Requests: rate limited (retry after 2m0s)", reason: "http_429"},
		// More seconds than 32 bits hold: a long wait, not none.
		{name: "429 huge Retry-After", mode: "status", status: 429, retry: "99999999999", body: good, want: "HTTP 429 Too Many Requests: rate limited (retry after 1h0m0s)", reason: "http_429"},
		{name: "403", mode: "status", status: 403, body: good, want: "HTTP 403 Forbidden: the server refused the credentials", reason: "http_403"},
		{name: "bad lines", body: []byte("192.0.2.1\n192.0.2.300\nnot-an-address\n"), want: `bad list: line 2: bad address "192.0.2.300": want an IP address or a CIDR (and 1 more bad lines)`, reason: "bad_list"},
		{name: "html error page", body: []byte("<html><body>maintenance</body></html>\n"), want: "bad list: line 1", reason: "bad_list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := &feedServer{retry: c.retry}
			srv, ca := startTLS(t, fs)
			fs.set("/list", good, `"good"`)
			state := t.TempDir()
			sc := SourceConfig{Name: "l1", URL: srv.URL + "/list", CAFile: ca, MaxBytes: c.maxBytes, Timeout: c.timeout}
			m := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{{Name: "l1", URL: srv.URL + "/list", CAFile: ca}}}, nil)
			if r := m.Update(context.Background())[0]; r.Err != nil || r.Entries != 4 {
				t.Fatalf("good update: %+v", r)
			}
			dataBefore, _ := os.ReadFile(filepath.Join(state, "l1.data"))
			// The same state, now with the case's limits and server.
			if c.noCA {
				sc.CAFile = ""
			}
			var log bytes.Buffer
			m = newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{sc}}, &log)
			fs.set("/list", c.body, `"bad"`)
			fs.setMode(c.mode, c.status)
			r := m.Update(context.Background())[0]
			if r.Outcome != OutcomeFailed || r.Err == nil || !strings.Contains(r.Err.Error(), c.want) {
				t.Fatalf("update: %+v, want failed with %q", r, c.want)
			}
			if got := reason(r.Err); got != c.reason {
				t.Errorf("reason %q, want %q", got, c.reason)
			}
			l := m.Lists()["l1"]
			if l.Len() != 4 || !contains(l, "203.0.113.66") || r.Entries != 4 {
				t.Errorf("the last good list was not kept: %d entries", l.Len())
			}
			st := m.Status()[0]
			if st.Failures != 1 || !strings.Contains(st.LastError, c.want) || st.Checked.IsZero() {
				t.Errorf("status %+v", st)
			}
			if dataAfter, _ := os.ReadFile(filepath.Join(state, "l1.data")); !bytes.Equal(dataBefore, dataAfter) {
				t.Error("a failed update changed the cached list")
			}
			if !strings.Contains(log.String(), "keeping the last good list") {
				t.Errorf("not logged: %s", log.String())
			}
			// A restart shows the failure too (lists status reads the cache).
			m4 := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{sc}}, nil)
			if st := m4.Status()[0]; st.Failures != 1 || st.LastError != r.Err.Error() || st.Entries != 4 {
				t.Errorf("status after restart %+v", st)
			}
		})
	}
}

// TestFailureLogThrottled: the same failure again within logEvery is not
// logged again but counted; another error is logged at once.
func TestFailureLogThrottled(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.setMode("status", 500)
	var log bytes.Buffer
	m := newManager(t, Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "l1", URL: srv.URL + "/list", CAFile: ca}}}, &log)
	for range 3 {
		m.Update(context.Background())
	}
	if n := strings.Count(log.String(), "list update failed"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, log.String())
	}
	fs.setMode("status", 502)
	m.Update(context.Background())
	if n := strings.Count(log.String(), "list update failed"); n != 2 || !strings.Contains(log.String(), `"not_logged":2`) {
		t.Errorf("a new error: logged %d times, want 2 with not_logged 2:\n%s", n, log.String())
	}
	// The same error again: counted; once logEvery has passed, logged
	// with that count.
	m.Update(context.Background())
	later := time.Now().Add(logEvery + time.Minute)
	m.now = func() time.Time { return later }
	m.Update(context.Background())
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if n := strings.Count(log.String(), "list update failed"); n != 3 || !strings.Contains(lines[len(lines)-1], `"not_logged":1`) {
		t.Errorf("after logEvery: logged %d times, want 3, the last with not_logged 1:\n%s", n, log.String())
	}
	if st := m.Status()[0]; st.Failures != 6 {
		t.Errorf("failures %d, want 6", st.Failures)
	}
}

// TestSecretsNeverShown: credentials in the URL and tokens in its query
// appear in no error, log line, status, list source or cache file, even
// when the server fails or TLS does.
func TestSecretsNeverShown(t *testing.T) {
	const secret = "s3cr3t-T0KEN"
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	state := t.TempDir()
	u := strings.Replace(srv.URL, "https://", "https://feeduser:"+secret+"@", 1) + "/list?api_key=" + secret + "&x=1"
	var log bytes.Buffer
	m := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{{Name: "l1", URL: u, CAFile: ca}, {Name: "l2", URL: u}}}, &log)
	res := m.Update(context.Background()) // l1 works, l2 fails on TLS
	if res[0].Err != nil || res[1].Err == nil {
		t.Fatalf("updates %+v", res)
	}
	if fs.lastAuth == "" {
		t.Error("the URL's credentials were not sent")
	}
	fs.setMode("status", 401)
	res2 := m.Update(context.Background())
	var seen strings.Builder
	for _, r := range append(res, res2...) {
		seen.WriteString(r.Source + " ")
		if r.Err != nil {
			seen.WriteString(r.Err.Error() + " ")
		}
	}
	for _, st := range m.Status() {
		seen.WriteString(st.Source + " " + st.LastError + " ")
	}
	seen.WriteString(m.Lists()["l1"].Source() + " " + log.String())
	entries, _ := os.ReadDir(state)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(state, e.Name()))
		if strings.HasSuffix(e.Name(), ".json") {
			seen.Write(b)
		}
	}
	if strings.Contains(seen.String(), secret) || strings.Contains(seen.String(), "feeduser") {
		t.Errorf("a secret was shown:\n%s", seen.String())
	}
	want := "https://xxxxx@" + strings.TrimPrefix(srv.URL, "https://") + "/list?api_key=xxxxx&x=xxxxx"
	if res[0].Source != want {
		t.Errorf("shown as %q, want %q", res[0].Source, want)
	}
}

func TestProblems(t *testing.T) {
	cfg := Configuration{StateDir: "/x", Sources: []SourceConfig{
		{Name: "ok", URL: "https://lists.example/drop.json", Format: "spamhaus-drop-json"},
		{Name: "ok", URL: "http://lists.example/x?token=SECRET"},
		{Name: "-bad", URL: "ftp://x/", Format: "csv", Refresh: time.Second, MaxBytes: -1, Timeout: time.Hour},
		{Name: "t", URL: "https://taxii.example/api1/", Format: "taxii", Token: "x", User: "u"},
		{Name: "lo", URL: "http://127.0.0.1:8080/list"},
		{Name: "lab", URL: "http://192.0.2.1/list", AllowHTTP: true},
		// Loopback as internal/loopback decides it, without DNS.
		{Name: "lo2", URL: "http://LOCALHOST:8080/list"},
		{Name: "lo3", URL: "http://[::1%25lo]:8080/list"},
		{Name: "notlo", URL: "http://evil.localhost/list"},
		// A token typed with a raw '?': url.Parse takes "SEC" for the host.
		{Name: "rawq", URL: "http://SEC?RET@lists.example/list"},
		{Name: "frag", URL: "https://lists.example/list#part"},
	}}
	var got []string
	for _, p := range cfg.Problems() {
		got = append(got, p.Key+": "+p.Msg)
	}
	want := []string{
		`sources[1].name: lists.sources[1].name "ok": also the name of lists.sources[0]`,
		`sources[1].url: lists.sources[1].url: plain http to lists.example: the list could be changed on the way; use https, or set allow_http`,
		`sources[2].name: lists.sources[2].name: bad list name "-bad": want letters, digits, _, - or .`,
		`sources[2].url: lists.sources[2].url: scheme "ftp": want https`,
		`sources[2].format: lists.sources[2].format "csv": want one of auto, plain, netset, ipset, spamhaus-drop, spamhaus-drop-json, iprep, taxii, misp-feed`,
		`sources[2].refresh: lists.sources[2].refresh 1s: want 1m0s to 168h0m0s`,
		`sources[2].max_bytes: lists.sources[2].max_bytes -1: want 1 to 67108864`,
		`sources[2].timeout: lists.sources[2].timeout 1h0m0s: want 1s to 30m0s`,
		`sources[3].url: lists.sources[3].url: a TAXII source's URL is the collection's: https://HOST/API-ROOT/collections/ID/`,
		`sources[3].token: lists.sources[3]: give token or user and password, not both`,
		`sources[8].url: lists.sources[8].url: plain http to evil.localhost: the list could be changed on the way; use https, or set allow_http`,
		`sources[9].url: lists.sources[9].url: plain http to a host that is not loopback: the list could be changed on the way; use https, or set allow_http`,
		`sources[10].url: lists.sources[10].url: a fragment (#…) is never sent to the server: remove it`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if j := strings.Join(got, ""); strings.Contains(j, "SECRET") || strings.Contains(j, "SEC") {
		t.Error("a problem quotes the URL's token")
	}
	if ps := DefaultConfiguration().Problems(); len(ps) != 0 {
		t.Errorf("defaults: %v", ps)
	}
	if _, err := New(cfg, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "also the name of") {
		t.Errorf("New: %v", err)
	}
}

// bumpMtime moves the file's modification time on by d (an HTTP date has
// seconds).
func bumpMtime(t *testing.T, path string, d time.Duration) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	mt := st.ModTime().Add(d)
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

// TestRun: a source without a cache is fetched at once and changed is
// called; a source whose cache is fresh is not fetched before its refresh.
func TestRun(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	cfg := Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "l1", URL: srv.URL + "/list", CAFile: ca}}}
	m := newManager(t, cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 4)
	done := make(chan struct{})
	go func() { m.Run(ctx, func() error { changed <- struct{}{}; return nil }); close(done) }()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("changed not called after the first update")
	}
	cancel()
	<-done
	if l := m.Lists()["l1"]; l.Len() != 3 {
		t.Errorf("%d entries after Run, want 3", l.Len())
	}

	// A restart with a fresh cache: nothing is fetched for the refresh.
	fs.mu.Lock()
	fs.requests = 0
	fs.mu.Unlock()
	m2 := newManager(t, cfg, nil)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	m2.Run(ctx2, func() error { t.Error("changed called without a change"); return nil })
	if fs.requests != 0 {
		t.Errorf("%d requests within the refresh of a fresh cache", fs.requests)
	}
}

// TestMetrics: entries, the last success, failures and counts by outcome
// and reason, as Prometheus reads them.
func TestMetrics(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	m := newManager(t, Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "feodo", URL: srv.URL + "/list", CAFile: ca}}}, nil)
	m.Update(context.Background())
	m.Update(context.Background()) // 304
	fs.setMode("status", 503)
	m.Update(context.Background())
	got := gather(t, m)
	checked := m.Status()[0].Checked
	want := map[string]float64{
		"borderwatch_list_entries list=feodo":                            3,
		"borderwatch_list_pending list=feodo":                            0,
		"borderwatch_list_failures list=feodo":                           1,
		"borderwatch_list_errors_total list=feodo reason=http_503":       1,
		"borderwatch_list_updates_total list=feodo outcome=updated":      1,
		"borderwatch_list_updates_total list=feodo outcome=not_modified": 1,
		"borderwatch_list_updates_total list=feodo outcome=failed":       1,
		"borderwatch_list_last_success_timestamp_seconds list=feodo":     float64(checked.UnixMilli()) / 1e3,
		"borderwatch_list_last_change_timestamp_seconds list=feodo":      float64(m.Status()[0].Updated.UnixMilli()) / 1e3,
	}
	if age, ok := got["borderwatch_list_age_seconds list=feodo"]; !ok || age < 0 || age > 60 {
		t.Errorf("age %v (present %v), want 0..60 s", age, ok)
	}
	delete(got, "borderwatch_list_age_seconds list=feodo")
	want["borderwatch_list_last_error_timestamp_seconds list=feodo"] = float64(m.Status()[0].LastErrorAt.UnixMilli()) / 1e3
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d series, want %d: %v", len(got), len(want), got)
	}
}

// TestShutdownIsNoFailure: an update cut short by the sensor's shutdown
// leaves no failure in the status or the cache (the next start would
// otherwise fetch at once, as after a failure).
func TestShutdownIsNoFailure(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	fs.setMode("slow", 0)
	cfg := Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "l1", URL: srv.URL + "/list", CAFile: ca}}}
	m := newManager(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if r := m.Update(ctx)[0]; r.Err == nil {
		t.Fatal("no error from an update cut short")
	}
	if st := m.Status()[0]; st.Failures != 0 || st.LastError != "" {
		t.Errorf("status %+v: a shutdown counted as a failure", st)
	}
	if st := newManager(t, cfg, nil).Status()[0]; st.Failures != 0 {
		t.Errorf("cache: %+v", st)
	}
}

// TestListsReadsNewerCache: a running sensor's Lists (called by a reload)
// takes a newer list another process (`lists update`) wrote to the cache.
func TestListsReadsNewerCache(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	cfg := Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "l1", URL: srv.URL + "/list", CAFile: ca}}}
	running := newManager(t, cfg, nil)
	if r := running.Update(context.Background())[0]; r.Entries != 3 {
		t.Fatalf("update %+v", r)
	}
	fs.set("/list", []byte("192.0.2.99\n"), `"v2"`)
	time.Sleep(10 * time.Millisecond) // a later modification time
	if r := newManager(t, cfg, nil).Update(context.Background())[0]; r.Entries != 1 || !r.Changed {
		t.Fatalf("the other process's update %+v", r)
	}
	l := running.Lists()["l1"]
	if l.Len() != 1 || !contains(l, "192.0.2.99") {
		t.Errorf("the running manager kept its older list (%d entries)", l.Len())
	}
	if st := running.Status()[0]; st.Entries != 1 {
		t.Errorf("status %+v", st)
	}
}

// gather is m's metrics as "name label=value…" → value.
func gather(t *testing.T, m *Manager) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			key := mf.GetName()
			for _, lp := range mt.GetLabel() {
				key += " " + lp.GetName() + "=" + lp.GetValue()
			}
			got[key] = mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
		}
	}
	return got
}

// TestInForceIsWhatRuns: in a running sensor (Bind), a list fetched while
// the reload fails is not reported as the list in force (status, metrics):
// it is shown as fetched but not in force, with the reload's error, until
// a reload commits it.
func TestInForceIsWhatRuns(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	cfg := Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "c2", URL: srv.URL + "/list", CAFile: ca}}}
	if r := newManager(t, cfg, nil).Update(context.Background())[0]; r.Entries != 3 {
		t.Fatalf("first update %+v", r)
	}
	var log bytes.Buffer
	m := newManager(t, cfg, &log)
	m.settle = 50 * time.Millisecond
	m.Bind() // the running rules were built from the cached list (3 entries)
	fs.set("/list", []byte("192.0.2.99\n"), `"v2"`)
	s := m.srcs[0] // the cache is fresh: make the source due at once
	s.mu.Lock()
	s.meta.Checked = time.Time{}
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	reloads := make(chan struct{}, 4)
	done := make(chan struct{})
	go func() {
		m.Run(ctx, func() error { reloads <- struct{}{}; return errors.New("site.yaml:3:9: rule 9100701: bad") })
		close(done)
	}()
	select {
	case <-reloads:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload after the list changed")
	}
	cancel()
	<-done
	st := m.Status()[0]
	if st.Entries != 3 || st.Pending != 1 || !strings.Contains(st.PendingWhy, "the reload failed: site.yaml:3:9") {
		t.Errorf("after a failed reload: status %+v, want 3 entries in force and 1 pending with the reload's error", st)
	}
	got := gather(t, m)
	if got["borderwatch_list_entries list=c2"] != 3 || got["borderwatch_list_pending list=c2"] != 1 {
		t.Errorf("after a failed reload: entries %v, pending %v; want 3 and 1", got["borderwatch_list_entries list=c2"], got["borderwatch_list_pending list=c2"])
	}
	if !strings.Contains(log.String(), "list fetched but not in force") {
		t.Errorf("log lacks the list not in force:\n%s", log.String())
	}
	// A reload someone else asked for (SIGHUP) fails as well: the reload
	// target's Failed hook gives the pending list that reason, logged once
	// however often it is told.
	sighup := errors.New("geoip: /var/lib/GeoIP/city.mmdb: truncated")
	m.ReloadFailed(sighup)
	m.ReloadFailed(sighup)
	if st := m.Status()[0]; st.PendingWhy != "the reload failed: "+sighup.Error() {
		t.Errorf("after a failed SIGHUP reload: pending because %q", st.PendingWhy)
	}
	if n := strings.Count(log.String(), "list fetched but not in force"); n != 2 {
		t.Errorf("%d warnings for two distinct failed reloads, want 2:\n%s", n, log.String())
	}

	// A reload that commits: the fetched list is in force.
	set, err := rules.Load(rules.Options{NoDefaults: true, Lists: m.Lists()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Prepare(set)
	if err != nil {
		t.Fatal(err)
	}
	if st := m.Status()[0]; st.Entries != 3 {
		t.Errorf("prepared, not committed: %d entries in force, want 3", st.Entries)
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	st = m.Status()[0]
	if st.Entries != 1 || st.Pending != -1 || st.PendingWhy != "" || st.Updated.IsZero() {
		t.Errorf("after the commit: status %+v, want 1 entry in force, none pending", st)
	}
	got = gather(t, m)
	if got["borderwatch_list_entries list=c2"] != 1 || got["borderwatch_list_pending list=c2"] != 0 {
		t.Errorf("after the commit: entries %v, pending %v; want 1 and 0", got["borderwatch_list_entries list=c2"], got["borderwatch_list_pending list=c2"])
	}
}

// TestRunConcurrent: a slow source does not hold up the others: their
// changes are reloaded (once, together, after the settle time) while it
// is still being fetched, and its timeout is a failure that reloads
// nothing. The manager runs on a clock of the test's (fakeClock): the
// settle time and the slow source's timeout pass only when the test says
// so, after Run took in the updates it waits for, whatever the load.
func TestRunConcurrent(t *testing.T) {
	slow := &feedServer{}
	slowSrv, slowCA := startTLS(t, slow)
	slow.set("/list", []byte("203.0.113.1\n"), `"s"`)
	slow.setMode("hold", 0) // answers nothing until the client gives up
	fast := &feedServer{}
	fastSrv, fastCA := startTLS(t, fast)
	fast.set("/a", []byte("192.0.2.1\n"), `"a"`)
	fast.set("/b", []byte("198.51.100.0/24\n"), `"b"`)
	// A long timeout: the transport's header timeout (real time, the
	// same duration) never fires first; the fake clock's does.
	const timeout = 10 * time.Minute
	cfg := Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{
		{Name: "slow", URL: slowSrv.URL + "/list", CAFile: slowCA, Timeout: timeout},
		{Name: "a", URL: fastSrv.URL + "/a", CAFile: fastCA},
		{Name: "b", URL: fastSrv.URL + "/b", CAFile: fastCA},
	}}
	m := newManager(t, cfg, nil)
	clock := newFakeClock(time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC))
	m.now, m.withTimeout = clock.Now, clock.WithTimeout
	m.settle = time.Second
	handled := make(chan string, 8)
	m.handled = func(name string) { handled <- name }
	type call struct {
		slowFailures int
		a, b         int
		at           time.Time // on the fake clock
	}
	calls := make(chan call, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.Run(ctx, func() error {
			l := m.Lists()
			calls <- call{m.Status()[0].Failures, l["a"].Len(), l["b"].Len(), clock.Now()}
			return nil
		})
		close(done)
	}()
	// Registered after the servers': stops Run (and the held request)
	// before they close, also when the test fails.
	t.Cleanup(func() { cancel(); <-done })
	wait := func(what string, want ...string) {
		t.Helper()
		for len(want) > 0 {
			select {
			case name := <-handled:
				if i := slices.Index(want, name); i >= 0 {
					want = slices.Delete(want, i, i+1)
				} else {
					t.Fatalf("%s: Run took in an update of %q", what, name)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: no update of %v taken in", what, want)
			}
		}
	}
	// round returns once Run has been round its loop at least once since
	// the call (the third wake is taken only after the loop turn that
	// the first one started), so its reload decision at the clock's time
	// is made.
	round := func() {
		for range 3 {
			m.wake <- struct{}{}
		}
	}
	wait("fast sources", "a", "b")
	// Both fast changes are in, the slow source still held: no reload
	// before the settle time.
	round()
	clock.Advance(m.settle - time.Millisecond)
	round()
	if n := len(calls); n != 0 {
		t.Fatalf("%d reloads before the settle time", n)
	}
	clock.Advance(time.Millisecond)
	round()
	var first call
	select {
	case first = <-calls:
	case <-time.After(30 * time.Second):
		t.Fatal("no reload")
	}
	t0 := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
	if first.slowFailures != 0 || first.a != 1 || first.b != 1 || !first.at.Equal(t0.Add(m.settle)) {
		t.Errorf("first reload at %s: slow source's failures %d (want 0: still being fetched), entries a %d, b %d (want 1, 1); want it at %s",
			first.at, first.slowFailures, first.a, first.b, t0.Add(m.settle))
	}
	// The slow source times out: a failure, no change, no reload.
	clock.Advance(timeout)
	wait("slow source", "slow")
	cancel()
	<-done
	st := m.Status()[0]
	if st.Failures != 1 || !strings.Contains(st.LastError, "(timeout 10m0s)") {
		t.Errorf("slow source %+v, want 1 failure, a timeout", st)
	}
	if n := len(calls); n != 0 {
		t.Errorf("%d more reloads, want 1 in all (the fast sources' changes together)", n)
	}
}

// fakeClock is a clock that moves only when Advance is called, for
// Manager.now and Manager.withTimeout: a deadline passes when the clock
// is advanced past it.
type fakeClock struct {
	mu        sync.Mutex
	now       time.Time
	deadlines []*fakeDeadline
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d and ends the contexts whose deadline it
// reached, with context.DeadlineExceeded.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeDeadline
	c.deadlines = slices.DeleteFunc(c.deadlines, func(fd *fakeDeadline) bool {
		if !c.now.Before(fd.at) {
			due = append(due, fd)
			return true
		}
		return false
	})
	c.mu.Unlock()
	for _, fd := range due {
		fd.expired.Store(true)
		fd.cancel(context.DeadlineExceeded)
	}
}

// WithTimeout is context.WithTimeout on the fake clock.
func (c *fakeClock) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	inner, cancel := context.WithCancelCause(parent)
	c.mu.Lock()
	fd := &fakeDeadline{Context: inner, at: c.now.Add(d), cancel: cancel}
	c.deadlines = append(c.deadlines, fd)
	c.mu.Unlock()
	return fd, func() { cancel(context.Canceled) }
}

// fakeDeadline is a context ended by a fakeClock's Advance (Err is then
// context.DeadlineExceeded, as for a real deadline) or by its parent.
type fakeDeadline struct {
	context.Context
	at      time.Time
	cancel  context.CancelCauseFunc
	expired atomic.Bool
}

func (fd *fakeDeadline) Err() error {
	if fd.expired.Load() {
		return context.DeadlineExceeded
	}
	return fd.Context.Err()
}

// TestReconfigure: a reload with a changed lists section (sources added,
// removed, changed) stages the new sources (ListsFor) and makes them the
// running ones only when it commits; an added source is fetched at once by
// the running refresher and its list put in force by the next reload.
func TestReconfigure(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/a", snapshot(t, "feodo_ipblocklist.txt"), "")
	fs.set("/b", []byte("192.0.2.99\n"), "")
	dir := t.TempDir()
	srcA := SourceConfig{Name: "a", URL: srv.URL + "/a", CAFile: ca}
	srcB := SourceConfig{Name: "b", URL: srv.URL + "/b", CAFile: ca}
	cfg1 := Configuration{StateDir: dir, Sources: []SourceConfig{srcA}}
	if r := newManager(t, cfg1, nil).Update(context.Background())[0]; r.Entries != 3 {
		t.Fatalf("update %+v", r)
	}
	var log bytes.Buffer
	m := newManager(t, cfg1, &log)
	m.settle = 50 * time.Millisecond
	m.Bind()
	a := m.sources()[0]

	// The sensor's reload: build the rules from ListsFor, prepare, commit.
	var cur atomic.Pointer[Configuration]
	cur.Store(&cfg1)
	var reloads atomic.Int64
	reload := func() error {
		reloads.Add(1)
		lists, err := m.ListsFor(*cur.Load())
		if err != nil {
			return err
		}
		set, err := rules.Load(rules.Options{NoDefaults: true, Lists: lists})
		if err != nil {
			return err
		}
		c, err := m.Prepare(set)
		if err != nil {
			return err
		}
		return c.Commit()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx, reload); close(done) }()
	stopped := false
	stop := func() {
		if !stopped {
			cancel()
			<-done
			stopped = true
		}
	}
	defer stop()

	// A reload whose rules fail after ListsFor: the running sources stay.
	cfg2 := Configuration{StateDir: dir, Sources: []SourceConfig{srcA, srcB}}
	lists, err := m.ListsFor(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if lists["a"].Len() != 3 || lists["b"] == nil || lists["b"].Len() != 0 {
		t.Fatalf("staged lists %v", lists)
	}
	if got := m.Names(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("sources %v before any commit, want [a]", got)
	}

	// SIGHUP with source b added: b is running, fetched at once, and in force.
	cur.Store(&cfg2)
	if err := reload(); err != nil {
		t.Fatal(err)
	}
	if got := m.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("sources %v after the reload, want [a b]", got)
	}
	if m.sources()[0] != a {
		t.Error("the unchanged source a was opened again (its state lost)")
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if st := m.Status(); len(st) == 2 && st[1].Entries == 1 && st[1].Pending == -1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := m.Status(); len(st) != 2 || st[1].Name != "b" || st[1].Entries != 1 || st[1].Pending != -1 {
		t.Fatalf("status %+v: want b fetched and in force with 1 entry", st)
	}
	if got := gather(t, m); got["borderwatch_list_entries list=b"] != 1 || got["borderwatch_list_entries list=a"] != 3 {
		t.Errorf("metrics %v", got)
	}

	// SIGHUP with a removed and b's refresh changed: b is a new source
	// (its list from the cache), a's series are gone.
	b2 := srcB
	b2.Refresh = 2 * time.Hour
	cfg3 := Configuration{StateDir: dir, Sources: []SourceConfig{b2}}
	cur.Store(&cfg3)
	if err := reload(); err != nil {
		t.Fatal(err)
	}
	st := m.Status()
	if len(st) != 1 || st[0].Name != "b" || st[0].Entries != 1 {
		t.Fatalf("status %+v, want b alone with its cached entry", st)
	}
	if m.sources()[0].cfg.Refresh != 2*time.Hour {
		t.Errorf("b's refresh %s, want 2h", m.sources()[0].cfg.Refresh)
	}
	for k := range gather(t, m) {
		if strings.Contains(k, "list=a") {
			t.Errorf("series of the removed source: %s", k)
		}
	}
	stop() // the log is read once Run ended
	if !strings.Contains(log.String(), `"added":["b"]`) || !strings.Contains(log.String(), `"removed":["a","b"]`) {
		t.Errorf("log lacks the reconfigurations:\n%s", log.String())
	}
}

// TestCacheKeyHMAC: the cache's metadata identifies its source by an HMAC
// under a per-cache secret (.key, 0600), so no cache file holds a plain
// SHA-256 of the token, of the URL with its credentials, or of the
// source's identity (the key caches had before); another state folder
// gives another key for the same source; a cache written with the old
// plain key still loads (an upgrade keeps the lists) and its next save
// replaces the key.
func TestCacheKeyHMAC(t *testing.T) {
	const token = "T0KEN-s3cret-value"
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	url := strings.Replace(srv.URL, "https://", "https://feeduser:pw-"+token+"@", 1) + "/list?api_key=" + token
	sc := SourceConfig{Name: "l1", URL: url, CAFile: ca, Token: token}
	plain := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	// The key of the previous version: a plain SHA-256 of the identity.
	legacy := plain(sc.effective().Format + "\x00" + url + "\x00\x00" + token)[:32]
	forbidden := []string{plain(token)[:32], plain(url)[:32], legacy, token}

	keys := map[string]string{}
	for _, state := range []string{t.TempDir(), t.TempDir()} {
		m := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{sc}}, nil)
		if r := m.Update(context.Background())[0]; r.Err != nil || r.Entries == 0 {
			t.Fatalf("update: %+v", r)
		}
		entries, err := os.ReadDir(state)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(state, e.Name()))
			for _, f := range forbidden {
				if bytes.Contains(b, []byte(f)) {
					t.Errorf("%s holds %q", e.Name(), f)
				}
			}
		}
		st, err := os.Stat(filepath.Join(state, ".key"))
		if err != nil || st.Mode().Perm() != 0o600 || st.Size() != 32 {
			t.Fatalf("secret: %v %v", st, err)
		}
		var md meta
		b, _ := os.ReadFile(filepath.Join(state, "l1.json"))
		if err := json.Unmarshal(b, &md); err != nil || len(md.Key) != 32 {
			t.Fatalf("metadata %s: %v", b, err)
		}
		keys[state] = md.Key
		// A new manager on the same folder takes the cached list.
		if l := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{sc}}, nil).Lists()["l1"]; l.Len() != m.Lists()["l1"].Len() {
			t.Errorf("the cache was not loaded again: %d entries", l.Len())
		}
	}
	var distinct []string
	for _, k := range keys {
		distinct = append(distinct, k)
	}
	if len(distinct) != 2 || distinct[0] == distinct[1] {
		t.Errorf("two caches, one key: %v", keys)
	}

	// Upgrade: the metadata of the previous version, with the plain key.
	state := t.TempDir()
	m := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{sc}}, nil)
	m.Update(context.Background())
	want := m.Lists()["l1"].Len()
	metaPath := filepath.Join(state, "l1.json")
	b, _ := os.ReadFile(metaPath)
	var md map[string]any
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	md["key"] = legacy
	b, _ = json.Marshal(md)
	if err := os.WriteFile(metaPath, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(state, ".key")); err != nil {
		t.Fatal(err)
	}
	m2 := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{sc}}, nil)
	if got := m2.Lists()["l1"].Len(); got != want || want == 0 {
		t.Fatalf("legacy cache: %d entries, want %d", got, want)
	}
	m2.Update(context.Background())
	if b, _ := os.ReadFile(metaPath); bytes.Contains(b, []byte(legacy)) {
		t.Errorf("the plain key stayed after a save:\n%s", b)
	}
}

// TestLongValidators: an ETag or Last-Modified longer than maxValidator
// (a broken or hostile server; the transport takes headers up to 10 MiB)
// is not kept: the list is updated and cached, the next start loads it
// from the cache (before: NAME.json grew past its 1 MiB bound and the
// cache was unusable), and the next request is not conditional.
func TestLongValidators(t *testing.T) {
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	long := `"` + strings.Repeat("e", 2<<20) + `"`
	fs.set("/list", []byte("192.0.2.1\n198.51.100.0/24\n"), long)
	cfg := Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "l1", URL: srv.URL + "/list", CAFile: ca}}}
	m := newManager(t, cfg, nil)
	if r := m.Update(context.Background())[0]; r.Outcome != OutcomeUpdated || r.Entries != 2 {
		t.Fatalf("update %+v", r)
	}
	if st, err := os.Stat(filepath.Join(cfg.StateDir, "l1.json")); err != nil || st.Size() > 4096 {
		t.Errorf("l1.json: %v, %d bytes; want the metadata without the long ETag", err, st.Size())
	}
	var log bytes.Buffer
	again := newManager(t, cfg, &log)
	if l := again.Lists()["l1"]; l.Len() != 2 {
		t.Errorf("next start: %d entries from the cache, want 2; log:\n%.300s", l.Len(), log.String())
	}
	r := again.Update(context.Background())[0]
	fs.mu.Lock()
	cond := fs.cond
	fs.mu.Unlock()
	if r.Outcome != OutcomeUpdated || cond != 0 {
		t.Errorf("update after: %+v, %d conditional requests; want a plain 200", r, cond)
	}
}
