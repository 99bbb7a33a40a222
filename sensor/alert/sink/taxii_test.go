package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/syncbuf"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/share/schematest"
	"github.com/borderwatch/borderwatch/share/taxiitest"
	"github.com/rs/zerolog"
)

const taxiiPassword = "Tx-s3cret-pw"

// borderAlert is alert i between src and dst with the geo context the
// sensor gives: CN or RU attackers, DE home (jurisdictions home, DE, EU).
func borderAlert(i int, src, dst, dir string) *alert.Alert {
	a := testAlert(i, 1)
	a.SrcIP, a.DstIP, a.GeoDir = netip.MustParseAddr(src), netip.MustParseAddr(dst), dir
	a.Host = "gw1.home.example"
	a.Mitre = []string{"T1046"}
	foreign := alert.Endpoint{CountryISO: "CN", Continent: "AS", ASN: 4134, ASOrg: "Chinanet", Jurisdictions: []string{"CN"}}
	home := alert.Endpoint{CountryISO: "DE", Continent: "EU", Jurisdictions: []string{"home", "DE", "EU"}}
	switch dir {
	case "inbound":
		a.Src, a.Dst = foreign, home
	case "outbound":
		a.Src, a.Dst = home, foreign
	case "internal":
		a.Src, a.Dst = home, home
	}
	return a
}

// taxiiServer starts a TAXII test server taking gw1's password, and writes
// the password to a file for password_file.
func taxiiServer(t *testing.T, opt taxiitest.Options) (*taxiitest.Server, string, string) {
	t.Helper()
	opt.User, opt.Password = "gw1", taxiiPassword
	srv := taxiitest.Start(t, opt)
	pw := filepath.Join(t.TempDir(), "taxii.pw")
	if err := os.WriteFile(pw, []byte(taxiiPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := "taxii+http://" + strings.TrimPrefix(srv.CollectionURL(), "http://") + "?user=gw1&password_file=" + pw
	return srv, u, pw
}

func envelopeObjects(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var env struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("envelope is not JSON: %v", err)
	}
	return env.Objects
}

func countTypes(objs []map[string]any) map[string]int {
	n := map[string]int{}
	for _, o := range objs {
		n[o["type"].(string)]++
	}
	return n
}

func TestTAXIIParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: the config as %+v fields checked, or the error
	}{
		{"taxii://taxii.example/api1/collections/c1/", "https://taxii.example/api1/collections/c1/ user= name=taxii://taxii.example/api1/collections/c1/"},
		{"taxii+https://taxii.example:8443/r/collections/c1?tlp=green", "https://taxii.example:8443/r/collections/c1 user= name=taxii://taxii.example:8443/r/collections/c1/"},
		{"taxii+http://127.0.0.1:9000/api1/collections/c1/?user=gw1&password_env=TAXII_PW", "http://127.0.0.1:9000/api1/collections/c1/ user=gw1 name=taxii+http://127.0.0.1:9000/api1/collections/c1/"},
		{"taxii://gw1:pa55w0rd@taxii.example/api1/collections/c1/", "https://taxii.example/api1/collections/c1/ user=gw1 name=taxii://taxii.example/api1/collections/c1/"},
		{"taxii+http://taxii.example/api1/collections/c1/", `taxii output taxii+http://taxii.example/api1/collections/c1/: collection URL: plain http only to a loopback address; use https`},
		{"taxii://taxii.example/api1/", `taxii output taxii://taxii.example/api1/: collection URL: path must be /API-ROOT/collections/ID/`},
		{"taxii://taxii.example/api1/collections/c1/?token=abcd3fgh", `output "taxii://taxii.example/api1/collections/c1/?token=xxxxx": token="xxxxx": a secret in the URL's query would be logged by proxies and shown by ps; use token_file or token_env`},
		{"taxii://gw1:pa55w0rd@taxii.example/api1/collections/c1/?password_file=/x", `taxii output taxii://taxii.example/api1/collections/c1/: give one of password, password_file and password_env`},
		{"taxii://taxii.example/api1/collections/c1/?token_env=T&user=gw1", `taxii output taxii://taxii.example/api1/collections/c1/: a user (HTTP Basic) and a token (Bearer) together`},
		{"taxii://taxii.example/api1/collections/c1/?token_env=1T", `taxii output taxii://taxii.example/api1/collections/c1/: password_env and token_env name an environment variable ([A-Za-z_][A-Za-z0-9_]*)`},
		{"taxii+http://[::1]:9000/api1/collections/c1/?ca=/etc/ca.pem", `taxii output taxii+http://[::1]:9000/api1/collections/c1/: TLS settings given for plain http`},
		{"taxii://taxii.example/api1/collections/c1/?tlp=purple", `taxii output taxii://taxii.example/api1/collections/c1/: unknown TLP level "purple" (clear, green, amber, amber+strict or red)`},
		{"taxii://taxii.example/api1/collections/c1/?linger=2m", `taxii output taxii://taxii.example/api1/collections/c1/: linger 2m0s: want 0 (default 1s) up to 1m0s`},
		{"taxii://taxii.example/api1/collections/c1/?include_home=maybe", `output "taxii://taxii.example/api1/collections/c1/?include_home=maybe": include_home="maybe": want true or false`},
		{"taxii://gw1:pa55w0rd@taxii.example/api1/collections/c1/?colour=red", `output "taxii://gw1:xxxxx@taxii.example/api1/collections/c1/?colour=red": unknown parameter colour`},
	} {
		c, err := ParseURL(tc.in)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			tc := c.(*TAXIIConfig)
			got = tc.Collection + " user=" + tc.User + " name=" + tc.name()
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
		for _, secret := range []string{"pa55w0rd", "abcd3fgh"} {
			if strings.Contains(got, secret) {
				t.Errorf("%s: %q shows a secret", tc.in, got)
			}
		}
	}
}

// TestTAXIIOutput pushes alerts of every direction through a live output:
// the envelopes validate as STIX 2.1, carry only the foreign side, the
// collection reads back every attacker, and the counters add up.
func TestTAXIIOutput(t *testing.T) {
	srv, u, _ := taxiiServer(t, taxiitest.Options{})
	srv.Fail(1, http.StatusRequestEntityTooLarge, "") // the first envelope is split in halves
	logs := &syncbuf.Buffer{}
	o, err := Open(u+"&linger=100ms&batch_size=64&tlp=green&identity=gw1-border", zerolog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	var attackers []string
	n := 0
	for i := range 6 { // 6 attackers, 2 alerts each
		src := fmt.Sprintf("203.0.113.%d", 10+i)
		attackers = append(attackers, src)
		for range 2 {
			o.Write(borderAlert(n, src, "192.0.2.10", "inbound"))
			n++
		}
	}
	o.Write(borderAlert(n, "192.0.2.20", "198.51.100.80", "outbound")) // a home host calling a C2 server
	attackers = append(attackers, "198.51.100.80")
	n++
	for range 2 { // home to home: nothing to share
		o.Write(borderAlert(n, "192.0.2.20", "192.0.2.10", "internal"))
		n++
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	s := o.Stats()
	if s.Accepted != uint64(n) || s.Written != uint64(n) || s.Withheld != 2 || s.Dropped.Total() != 0 || s.Errors != 0 || s.Type != "taxii" {
		t.Errorf("stats %+v; want %d accepted and written, 2 withheld, no drops or errors", s, n)
	}
	checkAccounting(t, o, uint64(n))

	// One batch of 15 alerts: a 413, then its halves of 7 and 8.
	envs := srv.Envelopes()
	if srv.Posts() != 3 || len(envs) != 2 {
		t.Errorf("%d posts, %d envelopes taken; want 3 and 2 (413, then halves)", srv.Posts(), len(envs))
	}
	home := []string{"192.0.2.10", "192.0.2.20", "gw1.home.example", "test alert", "1:test"}
	for i, e := range envs {
		for _, h := range home {
			if bytes.Contains(e, []byte(h)) {
				t.Errorf("envelope %d holds %q from the home side", i+1, h)
			}
		}
		objs := envelopeObjects(t, e)
		t.Logf("envelope %d: %d bytes, %v", i+1, len(e), countTypes(objs))
		schematest.ValidateSTIX(t, objs)
	}

	c := &taxiitest.Client{User: "gw1", Password: taxiiPassword}
	got, pages, err := c.ReadAll(t.Context(), srv.CollectionURL(), 10)
	if err != nil {
		t.Fatal(err)
	}
	types := countTypes(got)
	t.Logf("collection: %d objects in %d pages: %v", len(got), pages, types)
	var addrs []string
	for _, o := range got {
		if o["type"] == "ipv4-addr" {
			addrs = append(addrs, o["value"].(string))
		}
		if o["type"] == "marking-definition" && o["id"] != "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb" {
			t.Errorf("marking %v, want TLP:GREEN's", o["id"])
		}
		if o["type"] == "identity" && o["name"] != "gw1-border" {
			t.Errorf("identity %v, want gw1-border", o["name"])
		}
	}
	slices.Sort(addrs)
	slices.Sort(attackers)
	if !slices.Equal(addrs, attackers) {
		t.Errorf("collection addresses %v, want the attackers %v", addrs, attackers)
	}
	// Per address: an indicator and a sighting; one identity, one marking
	// (both halves sent them: the same id and version, kept once).
	want := map[string]int{"ipv4-addr": 7, "indicator": 7, "sighting": 7, "identity": 1, "marking-definition": 1, "autonomous-system": 1, "attack-pattern": 1}
	for k, v := range want {
		if types[k] != v {
			t.Errorf("%d %s objects read back, want %d", types[k], k, v)
		}
	}
	sightings := 0
	for _, o := range got {
		if o["type"] == "sighting" {
			sightings += int(o["count"].(float64))
		}
	}
	if sightings != 13 {
		t.Errorf("sightings count %d alerts, want 13 (the 2 internal ones withheld)", sightings)
	}
	if strings.Contains(logs.String(), taxiiPassword) {
		t.Errorf("the log shows the password:\n%s", logs)
	}
}

// TestTAXIIIncludeHome: with include_home the home side is shared too.
func TestTAXIIIncludeHome(t *testing.T) {
	srv, u, _ := taxiiServer(t, taxiitest.Options{})
	o, err := Open(u+"&linger=1ms&include_home=true", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	o.Write(borderAlert(0, "203.0.113.10", "192.0.2.10", "inbound"))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	envs := srv.Envelopes()
	if len(envs) != 1 || !bytes.Contains(envs[0], []byte("home addresses: 192.0.2.10")) || !bytes.Contains(envs[0], []byte("gw1.home.example")) {
		t.Errorf("%d envelopes; want one with the home address and sensor: %.300s", len(envs), envs)
	}
}

// TestTAXIITooLarge: the API root's max_content_length splits envelopes
// before they are sent; an alert too large alone is dropped as rejected,
// also when the limit shrinks after the connect (413 down to one alert).
func TestTAXIITooLarge(t *testing.T) {
	t.Run("max_content_length", func(t *testing.T) {
		srv, u, _ := taxiiServer(t, taxiitest.Options{MaxContentLength: 9000})
		o, err := Open(u+"&linger=200ms", testLog(t))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			o.Write(borderAlert(i, fmt.Sprintf("203.0.113.%d", 10+i), "192.0.2.10", "inbound"))
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		envs := srv.Envelopes()
		for _, e := range envs {
			if len(e) > 9000 {
				t.Errorf("envelope of %d bytes sent, over max_content_length", len(e))
			}
		}
		if len(envs) < 2 || srv.Posts() != len(envs) {
			t.Errorf("%d posts, %d envelopes; want several, no 413", srv.Posts(), len(envs))
		}
		if s := o.Stats(); s.Written != 8 || s.Dropped.Total() != 0 {
			t.Errorf("stats %+v, want 8 written", s)
		}
	})
	t.Run("one alert too large", func(t *testing.T) {
		srv, u, _ := taxiiServer(t, taxiitest.Options{MaxContentLength: 1000})
		o, err := Open(u+"&linger=200ms", testLog(t))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			o.Write(borderAlert(i, "203.0.113.10", "192.0.2.10", "inbound"))
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		if s := o.Stats(); s.Written != 0 || s.Dropped.Rejected != 3 || srv.Posts() != 0 {
			t.Errorf("stats %+v, %d posts; want 3 rejected, nothing posted", s, srv.Posts())
		}
		checkAccounting(t, o, 3)
	})
	t.Run("413 to everything", func(t *testing.T) {
		srv, u, _ := taxiiServer(t, taxiitest.Options{})
		o, err := Open(u+"&linger=200ms", testLog(t))
		if err != nil {
			t.Fatal(err)
		}
		o.Write(borderAlert(0, "203.0.113.10", "192.0.2.10", "inbound"))
		waitFor(t, "the first envelope", func() bool { return o.Stats().Written == 1 })
		srv.SetMaxContentLength(100) // after the connect read 10 MiB
		for i := 1; i <= 4; i++ {
			o.Write(borderAlert(i, fmt.Sprintf("203.0.113.%d", 10+i), "192.0.2.10", "inbound"))
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		// 1 taken; then 4 → 413, 2+2 → 413 each, 4 singles → 413 each.
		if s := o.Stats(); s.Written != 1 || s.Dropped.Rejected != 4 || srv.Posts() != 1+1+2+4 {
			t.Errorf("stats %+v, %d posts; want 1 written, 4 rejected, 8 posts", s, srv.Posts())
		}
		checkAccounting(t, o, 5)
	})
}

// TestTAXIILinger: alerts that come within linger of the first go in one
// envelope, sent when the linger is up on the output's clock (a fake one:
// how long the writes take on a loaded machine does not matter).
func TestTAXIILinger(t *testing.T) {
	srv, u, _ := taxiiServer(t, taxiitest.Options{})
	clk := newFakeClock()
	o := openClocked(t, u+"&linger=2s", clk, testLog(t))
	t.Cleanup(func() { o.Close() })
	o.Write(borderAlert(0, "203.0.113.10", "192.0.2.10", "inbound"))
	if d := waitParked(t, o, clk); d != 2*time.Second {
		t.Fatalf("the first alert waits %s, want the linger (2s)", d)
	}
	for i := 1; i < 4; i++ {
		o.Write(borderAlert(i, fmt.Sprintf("203.0.113.%d", 10+i), "192.0.2.10", "inbound"))
	}
	waitFor(t, "the output to take the 4 alerts", func() bool { return o.Stats().QueueDepth == 0 })
	clk.Advance(2*time.Second - time.Nanosecond)
	if p, w := srv.Posts(), o.Stats().Written; p != 0 || w != 0 {
		t.Errorf("before the linger is up: %d posts, %d written; want none", p, w)
	}
	clk.Advance(time.Nanosecond)
	waitFor(t, "4 alerts written", func() bool { return o.Stats().Written == 4 })
	if p := srv.Posts(); p != 1 {
		t.Errorf("%d posts, want 1 envelope for the 4 alerts", p)
	}
}

// TestTAXIIRetryAfter: the Retry-After of a 429 or 503 is waited, not the
// much shorter backoff; then the alerts go through.
func TestTAXIIRetryAfter(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv, u, _ := taxiiServer(t, taxiitest.Options{})
			srv.Fail(1, code, "2")
			clk := newFakeClock()
			o := openClocked(t, u+"&linger=1ms&backoff_min=10ms&backoff_max=10s", clk, testLog(t))
			t.Cleanup(func() { o.Close() })
			o.Write(borderAlert(0, "203.0.113.10", "192.0.2.10", "inbound"))
			advanceUntil(t, o, clk, "the refused POST", func() bool { return o.Stats().Errors == 1 }) // past the linger
			// The wait on the output's clock: the Retry-After, not the
			// backoff (with the 10ms backoff alone it would be 5-10ms).
			if d := waitParked(t, o, clk); d != 2*time.Second {
				t.Errorf("after a %d asking for 2 s the output waits %s", code, d)
			}
			clk.Advance(2*time.Second - time.Millisecond)
			if p := srv.Posts(); p != 1 {
				t.Errorf("%d posts before the Retry-After is up, want 1", p)
			}
			clk.Advance(time.Millisecond)
			waitFor(t, "the alert delivered", func() bool { return o.Stats().Written == 1 })
			if s := o.Stats(); srv.Posts() != 2 || s.Errors != 1 {
				t.Errorf("%d posts, stats %+v; want 2 posts, 1 error", srv.Posts(), s)
			}
		})
	}
}

// TestTAXIIRefusesWrites puts the output in front of a server that takes
// connections and reads but refuses every write: 503, 401 (a wrong
// password), 403 (a POST refused) and a read-only collection (can_write
// false, found at connect). The output backs off, logs a few lines without
// the password, and Close ends at its drain deadline with every alert
// accounted for; with a spool everything is kept and replayed once the
// server takes writes again.
func TestTAXIIRefusesWrites(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*taxiitest.Server, string) string // returns the URL to use
		want  string                                 // in the log
	}{
		{"503", func(s *taxiitest.Server, u string) string { s.Fail(1_000_000, 503, ""); return u }, "HTTP 503 Service Unavailable"},
		{"401", func(s *taxiitest.Server, u string) string {
			base, pw, _ := strings.Cut(u, "password_file=")
			bad := filepath.Join(filepath.Dir(pw), "wrong.pw")
			if err := os.WriteFile(bad, []byte("not-"+taxiiPassword), 0o600); err != nil {
				panic(err)
			}
			return base + "password_file=" + bad
		}, "HTTP 401 Unauthorized (check the user and password or token)"},
		{"403", func(s *taxiitest.Server, u string) string { s.Fail(1_000_000, 403, ""); return u }, "HTTP 403 Forbidden"},
		{"read-only", func(s *taxiitest.Server, u string) string { s.SetReadOnly(true); return u }, "can_write is false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, u, _ := taxiiServer(t, taxiitest.Options{})
			u = tc.setup(srv, u)
			logs := &logLines{}
			clk := newFakeClock()
			o := openClocked(t, u+"&linger=1ms&backoff_min=10ms&backoff_max=100ms&drain_timeout=500ms", clk, zerolog.New(logs))
			const n = 10
			for i := range n {
				o.Write(borderAlert(i, "203.0.113.10", "192.0.2.10", "inbound"))
			}
			r0 := srv.Requests()
			watchFailing(t, o, clk, logs)
			t.Logf("the server answered %d requests", srv.Requests()-r0)
			if r := srv.Requests() - r0; r > 3*60 { // a connect is 2 GETs, a write 1 POST
				t.Errorf("%d requests while failing, want ≤ 180", r)
			}
			if l := logs.String(); !strings.Contains(l, tc.want) || strings.Contains(l, taxiiPassword) {
				t.Errorf("log lacks %q or shows the password:\n%s", tc.want, l)
			}
			closeAllFailed(t, o, clk, n)
			if len(srv.Objects()) != 0 {
				t.Errorf("the refusing server holds %d objects", len(srv.Objects()))
			}
		})
	}
}

// TestTAXIISpoolReplay: alerts refused with 503 are spooled; a new output
// on the same spool replays them once the server takes writes.
func TestTAXIISpoolReplay(t *testing.T) {
	srv, u, _ := taxiiServer(t, taxiitest.Options{})
	srv.Fail(1_000_000, 503, "")
	spool := filepath.Join(t.TempDir(), "taxii.spool")
	q := "&linger=1ms&backoff_min=10ms&backoff_max=100ms&drain_timeout=300ms&spool=" + spool
	clk := newFakeClock()
	o := openClocked(t, u+q, clk, testLog(t))
	const n = 6
	for i := range n {
		o.Write(borderAlert(i, fmt.Sprintf("203.0.113.%d", 10+i), "192.0.2.10", "inbound"))
	}
	advanceUntil(t, o, clk, "a refused write", func() bool { return o.Stats().Errors > 0 }) // past the linger
	if err := closeOnClock(t, o, clk, closeNow); err != nil {
		t.Errorf("Close: %v, want nil (everything spooled)", err)
	}
	if s := o.Stats(); s.Spooled != n || len(readLines(t, spool)) != n {
		t.Fatalf("stats %+v, spool %d lines; want %d spooled", s, len(readLines(t, spool)), n)
	}
	checkAccounting(t, o, n)

	srv2, u2, _ := taxiiServer(t, taxiitest.Options{}) // the server is back (a fresh one)
	o2, err := Open(u2+q, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the spool replayed", func() bool { return o2.Stats().Replayed == n })
	if err := o2.Close(); err != nil {
		t.Fatal(err)
	}
	if got := countTypes(srv2.Objects())["indicator"]; got != n {
		t.Errorf("%d indicators after the replay, want %d", got, n)
	}
}

// TestTAXIICloseServerSilent: a server that accepts and never answers;
// Close still ends at the drain deadline (the write timeout is much
// longer), every alert accounted for.
func TestTAXIICloseServerSilent(t *testing.T) {
	addr := silentServer(t, 0)
	clk := newFakeClock()
	o := openClocked(t, "taxii+http://"+addr+"/api1/collections/c1/?write_timeout=1m&drain_timeout=500ms&linger=1ms", clk, testLog(t))
	const n = 5
	for i := range n {
		o.Write(borderAlert(i, "203.0.113.10", "192.0.2.10", "inbound"))
	}
	err := closeOnClock(t, o, clk, closeBlocked)
	var ue *UndeliveredError
	if !errors.As(err, &ue) || ue.Alerts != n {
		t.Errorf("Close error %v, want %d undelivered", err, n)
	}
	checkAccounting(t, o, n)
}

// TestTAXIISecrets: a password or token from a file or the environment;
// the errors name the setting, never the value.
func TestTAXIISecrets(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "tok")
	os.WriteFile(tok, []byte("T0ken-value\n"), 0o600)
	srv := taxiitest.Start(t, taxiitest.Options{Token: "T0ken-value"})
	base := "taxii+http://" + strings.TrimPrefix(srv.CollectionURL(), "http://") + "?linger=1ms&"
	t.Setenv("BW_TEST_TAXII_TOKEN", "T0ken-value")
	for _, q := range []string{"token_file=" + tok, "token_env=BW_TEST_TAXII_TOKEN"} {
		o, err := Open(base+q, testLog(t))
		if err != nil {
			t.Fatal(err)
		}
		o.Write(borderAlert(0, "203.0.113.10", "192.0.2.10", "inbound"))
		if err := o.Close(); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if n := len(srv.Envelopes()); n != 2 {
		t.Errorf("%d envelopes taken with the token, want 2", n)
	}
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600)
	for _, tc := range []struct{ q, want string }{
		{"token_env=BW_TEST_UNSET_VAR", "token_env: environment variable BW_TEST_UNSET_VAR is not set"},
		{"token_file=" + filepath.Join(dir, "missing"), "token_file: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"token_file=" + filepath.Join(dir, "empty"), "token_file: empty, or more than one line"},
		{"token_file=/dev/zero", "token_file: open /dev/zero: not a regular file (a character device)"},
	} {
		_, err := Open(base+tc.q, testLog(t))
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want …%s", tc.q, err, tc.want)
		}
	}
}

// TestTAXIIECS: with format=ecs (what the spool holds) the objects are the
// same as with EVE.
func TestTAXIIECS(t *testing.T) {
	var ids [2][]string
	for i, f := range []string{"eve", "ecs"} {
		srv, u, _ := taxiiServer(t, taxiitest.Options{})
		o, err := Open(u+"&linger=1ms&format="+f, testLog(t))
		if err != nil {
			t.Fatal(err)
		}
		o.Write(borderAlert(0, "203.0.113.10", "192.0.2.10", "inbound"))
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		for _, obj := range srv.Objects() {
			ids[i] = append(ids[i], obj["id"].(string)+" "+fmt.Sprint(obj["modified"]))
		}
	}
	if len(ids[0]) < 8 || !slices.Equal(ids[0], ids[1]) {
		t.Errorf("EVE gave %v\nECS gave %v; want the same objects", ids[0], ids[1])
	}
}

// BenchmarkTAXIIEnvelope makes the envelope of a full batch: 256 alerts of
// 64 attackers (not per packet: once per batch of alerts).
func BenchmarkTAXIIEnvelope(b *testing.B) {
	c, err := ParseURL("taxii+http://127.0.0.1:1/api1/collections/c1/")
	if err != nil {
		b.Fatal(err)
	}
	o, err := c.Open(zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	be := o.b.(*taxiiBackend)
	var entries [][]byte
	for i := range 256 {
		rec, err := alert.AppendEVE(nil, borderAlert(i, fmt.Sprintf("203.0.113.%d", i%64), "192.0.2.10", "inbound"))
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, bytes.TrimSuffix(rec, []byte{'\n'}))
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		body, _, shared, _, err := be.envelope(entries)
		if err != nil || shared != 256 {
			b.Fatal(err, shared)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "envelope-bytes")
}

// TestTAXIICloseWhileLingering: Close does not wait out the linger; what
// is gathered is sent at once, with no time passing on the output's clock.
func TestTAXIICloseWhileLingering(t *testing.T) {
	srv, u, _ := taxiiServer(t, taxiitest.Options{})
	clk := newFakeClock()
	o := openClocked(t, u+"&linger=1m", clk, testLog(t))
	o.Write(borderAlert(0, "203.0.113.10", "192.0.2.10", "inbound"))
	waitFor(t, "the batch to linger", func() bool { _, ok := clk.next(); return ok && o.Stats().QueueDepth == 0 })
	if err := closeOnClock(t, o, clk, closeNow); err != nil {
		t.Fatal(err)
	}
	if s := o.Stats(); s.Written != 1 || len(srv.Envelopes()) != 1 {
		t.Errorf("stats %+v, %d envelopes; want the alert sent at Close", s, len(srv.Envelopes()))
	}
}
