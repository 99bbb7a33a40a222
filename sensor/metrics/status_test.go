package metrics

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/testpki"
)

// statusOf is the status report of a scrape's text, as `borderwatch status`
// prints it for a sensor at 127.0.0.1:9467.
func statusOf(t *testing.T, scrape string) string {
	t.Helper()
	ms, err := ParseScrape(strings.NewReader(scrape))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteStatus(&out, "127.0.0.1:9467", ms); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestStatusReport(t *testing.T) {
	text := `# TYPE borderwatch_packets_total counter
borderwatch_packets_total{result="decoded"} 900
borderwatch_packets_total{result="malformed"} 4
borderwatch_capture_frames_total{source="afpacket:eth0"} 1000
borderwatch_capture_bytes_total{source="afpacket:eth0"} 64000
borderwatch_capture_drops_total{source="afpacket:eth0"} 7
borderwatch_queue_drops_total 3
borderwatch_flows 12
borderwatch_flows_evicted_total 0
borderwatch_alerts_total{kind="scan",rule="8100101"} 2
borderwatch_rules_loaded 22
borderwatch_reloads_total{result="success"} 1
borderwatch_reloads_total{result="failure"} 0
borderwatch_country_packets_total{country="CN",direction="inbound"} 700
borderwatch_country_packets_total{country="RU",direction="inbound"} 150
borderwatch_country_packets_total{country="US",direction="outbound"} 40
borderwatch_country_packets_total{country="DE",direction="internal"} 10
`
	out := statusOf(t, text)
	for _, want := range []string{
		"afpacket:eth0     1000  64000      7",
		"pipeline: decoded 900, skipped 4, queue drops 3, flows 12 (evicted 0), alerts 2\n",
		"rules loaded 22; reloads 1 ok, 0 failed\n",
		"top countries in:  CN 700, RU 150\n",
		"top countries out: US 40\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "INTERFACE") || strings.Contains(out, "kernel:") {
		t.Errorf("kernel lines without kernel metrics:\n%s", out)
	}
	kernel := `borderwatch_kernel_seen_packets_total 60
borderwatch_kernel_events_total{event="handoff"} 25
borderwatch_kernel_interface_packets_total{hook="egress",iface="eth0"} 20
borderwatch_kernel_interface_packets_total{hook="ingress",iface="eth0"} 30
borderwatch_kernel_interface_packets_total{hook="ingress",iface="eth1"} 10
borderwatch_kernel_interface_bytes_total{hook="egress",iface="eth0"} 1400
borderwatch_kernel_interface_bytes_total{hook="ingress",iface="eth0"} 2000
borderwatch_kernel_interface_bytes_total{hook="ingress",iface="eth1"} 640
borderwatch_kernel_interface_handoffs_total{hook="egress",iface="eth0"} 5
borderwatch_kernel_interface_handoffs_total{hook="ingress",iface="eth0"} 15
borderwatch_kernel_interface_handoffs_total{hook="ingress",iface="eth1"} 5
borderwatch_kernel_interface_ringbuf_full_total{hook="ingress",iface="eth0"} 3
borderwatch_kernel_interface_enforce_drops_total{hook="ingress",iface="eth1"} 4
`
	out = statusOf(t, text+kernel)
	wantTable := `
  INTERFACE     HOOK  PACKETS  BYTES  HANDOFFS  RING FULL  ENFORCE DROPS
       eth0  ingress       30   2000        15          3              0
       eth0   egress       20   1400         5          0              0
       eth1  ingress       10    640         5          0              4
kernel floods:`
	if !strings.Contains(out, wantTable) {
		t.Errorf("status lacks the interface table\n%s\ngot:\n%s", wantTable, out)
	}
	if !strings.Contains(out, "kernel: packets 60, handed off 25,") {
		t.Errorf("status lacks the kernel totals:\n%s", out)
	}
	if _, err := ParseScrape(strings.NewReader("go_goroutines 3\n")); err != nil {
		t.Fatal(err)
	}
	if err := WriteStatus(&bytes.Buffer{}, "x", Scrape{}); err == nil || err.Error() != "status: x does not serve borderwatch metrics" {
		t.Errorf("error %v", err)
	}
}

// TestStatusLists: the list sources' table from the borderwatch_list_*
// metrics: entries in force, age, failures, the last error's time and
// reasons, and a fetched list that is not in force.
func TestStatusLists(t *testing.T) {
	text := `borderwatch_packets_total{result="decoded"} 1
borderwatch_list_entries{list="blocklist"} 1412
borderwatch_list_pending{list="blocklist"} 0
borderwatch_list_age_seconds{list="blocklist"} 7500.4
borderwatch_list_failures{list="blocklist"} 0
borderwatch_list_entries{list="cert"} 180
borderwatch_list_pending{list="cert"} 1
borderwatch_list_age_seconds{list="cert"} 93600
borderwatch_list_failures{list="cert"} 3
borderwatch_list_last_error_timestamp_seconds{list="cert"} 1.7969868e+09
borderwatch_list_errors_total{list="cert",reason="http_401"} 3
borderwatch_list_errors_total{list="cert",reason="timeout"} 1
borderwatch_list_entries{list="new"} 0
borderwatch_list_pending{list="new"} 0
borderwatch_list_failures{list="new"} 0
`
	out := statusOf(t, text)
	for _, want := range []string{
		"\nLIST       ENTRIES  AGE      FAILURES  LAST ERROR                                    IN FORCE\n",
		"blocklist  1412     2h5m0s   0         -                                             yes\n",
		"cert       180      26h0m0s  3         2026-12-11T11:00:00Z (http_401 3, timeout 1)  no: a newer list is fetched",
		"new        0        never    0         -                                             yes\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

// TestFetchHidesPassword: a URL's password is in none of Fetch's errors
// (a bad URL, nothing listening, a status other than 200); the rest of
// the address is, to say which sensor failed.
func TestFetchHidesPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct{ addr, want string }{
		{"http://op:s3cret-pw@" + host + "/metrics", "403 Forbidden"},
		{"http://op:s3cret-pw@" + closed + "/metrics", "listening on http://op:xxxxx@" + closed},
		{"http://op:s3cret-pw@" + host + ":x/metrics", "bad metrics address: http://op:xxxxx@" + host + ":x/metrics"},
		{"http://op:s3cret/pw@" + host + "/metrics", "bad metrics address: http://op:xxxxx@" + host + "/metrics"},
		{"http://" + host + ":x/metrics", "bad metrics address: http://" + host + ":x/metrics: invalid port"},
		// A user-only userinfo and a secret parameter, which net/http
		// leaves in its own error's URL.
		{"http://s3cret-token@" + closed + "/metrics?auth=s3cret-param", "listening on http://xxxxx@" + closed + "/metrics?auth=xxxxx"},
	} {
		_, err := Fetch(context.Background(), tc.addr, FetchOptions{})
		if err == nil {
			t.Fatalf("%s: no error", tc.want)
		}
		if msg := err.Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, tc.want) {
			t.Errorf("error %q: want %q and no password", msg, tc.want)
		}
	}
}

// TestWriteStatusHidesPassword: the report's heading, and the error for
// an endpoint that is not a sensor's, show a URL's password as "xxxxx".
func TestWriteStatusHidesPassword(t *testing.T) {
	const addr = "https://op:s3cret-pw@192.0.2.1:9467/metrics"
	ms, err := ParseScrape(strings.NewReader("borderwatch_packets_total{result=\"decoded\"} 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteStatus(&out, addr, ms); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(out.String(), "\n"); first != "borderwatch sensor at https://op:xxxxx@192.0.2.1:9467/metrics" {
		t.Errorf("heading %q", first)
	}
	err = WriteStatus(&out, addr, Scrape{})
	if err == nil || err.Error() != "status: https://op:xxxxx@192.0.2.1:9467/metrics does not serve borderwatch metrics" {
		t.Errorf("error %v", err)
	}
	out.Reset()
	if err := WriteStatus(&out, "127.0.0.1:9467", ms); err != nil || !strings.HasPrefix(out.String(), "borderwatch sensor at 127.0.0.1:9467\n") {
		t.Errorf("host:port heading %q, %v", out.String(), err)
	}
}

// TestFetchTLS: against a TLS listener (console.tls), a bare host:port is
// read over https with FetchOptions.TLS; without it the error says to use
// https, and https against a plain listener says to use http.
func TestFetchTLS(t *testing.T) {
	body := "# TYPE borderwatch_packets_total counter\nborderwatch_packets_total{result=\"decoded\"} 42\n"
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) })
	tlsSrv := httptest.NewUnstartedServer(h)
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the plain http try
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewServer(h)
	defer plain.Close()
	host := strings.TrimPrefix(tlsSrv.URL, "https://")
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())

	ms, err := Fetch(context.Background(), host, FetchOptions{TLS: true, RootCAs: pool})
	if err != nil {
		t.Fatalf("over https: %v", err)
	}
	if got := ms["borderwatch_packets_total"]; len(got) != 1 || got[0].value != 42 {
		t.Errorf("over https: %v", got)
	}
	_, err = Fetch(context.Background(), host, FetchOptions{})
	want := "status: http://" + host + "/metrics: the server speaks TLS (console.tls): use https://" + host + "/metrics"
	if err == nil || err.Error() != want {
		t.Errorf("plain http to TLS: %v\nwant %s", err, want)
	}
	phost := strings.TrimPrefix(plain.URL, "http://")
	_, err = Fetch(context.Background(), phost, FetchOptions{TLS: true, RootCAs: pool})
	want = "status: https://" + phost + "/metrics: the server speaks plain HTTP: use http://" + phost + "/metrics"
	if err == nil || err.Error() != want {
		t.Errorf("https to plain http: %v\nwant %s", err, want)
	}
	// Without the certificate, the error is the verification's.
	if _, err = Fetch(context.Background(), host, FetchOptions{TLS: true}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: %v", err)
	}
}

// TestFetchWildcard: a listener on every address (metrics.listen
// 0.0.0.0:PORT, [::]:PORT, :PORT) is read on loopback, and over https
// its certificate — for a name, not for the wildcard address — is
// verified against --server-name, else the first name of the listener's
// own certificate; with neither, the error says which flag gives one. A
// name the certificate is not for fails verification. Before, status
// asked https://0.0.0.0:PORT and the verification failed (no IP SANs).
func TestFetchWildcard(t *testing.T) {
	body := "# TYPE borderwatch_packets_total counter\nborderwatch_packets_total{result=\"decoded\"} 42\n"
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) })
	pki := testpki.Signed(t, t.TempDir(), "sensor.example")
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(pki.CAFile)
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("CA %s: %v", pki.CAFile, err)
	}
	serve := func(network, addr string, tlsOn bool) string {
		t.Helper()
		ln, err := net.Listen(network, addr)
		if err != nil {
			t.Skipf("listening on %s: %v", addr, err)
		}
		srv := httptest.NewUnstartedServer(h)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		if tlsOn {
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Pair}}
			srv.StartTLS()
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		return port
	}
	port := serve("tcp4", "127.0.0.1:0", true)
	ok := func(name, addr string, opt FetchOptions) {
		t.Helper()
		ms, err := Fetch(context.Background(), addr, opt)
		if err != nil {
			t.Errorf("%s: %s: %v", name, addr, err)
			return
		}
		if got := ms["borderwatch_packets_total"]; len(got) != 1 || got[0].value != 42 {
			t.Errorf("%s: %s: %v", name, addr, got)
		}
	}
	fails := func(name, addr string, opt FetchOptions, want string) {
		t.Helper()
		if _, err := Fetch(context.Background(), addr, opt); err == nil || err.Error() != want {
			t.Errorf("%s: %s: error %v\nwant %s", name, addr, err, want)
		}
	}
	certNames := FetchOptions{TLS: true, RootCAs: pool, CertNames: []string{"sensor.example"}}
	ok("the certificate's name", "0.0.0.0:"+port, certNames)
	ok("the certificate's name", ":"+port, certNames)
	ok("the certificate's name", "https://0.0.0.0:"+port+"/metrics", certNames)
	ok("--server-name", "0.0.0.0:"+port, FetchOptions{TLS: true, RootCAs: pool, ServerName: "sensor.example"})

	noName := FetchOptions{TLS: true, RootCAs: pool}
	want := "status: https://0.0.0.0:" + port + "/metrics is a wildcard address (read on 127.0.0.1:" + port + "): no name to verify the certificate against: " +
		"give the name its certificate is for with --server-name (console.tls.cert_file names none, or cannot be read)"
	fails("no name", "0.0.0.0:"+port, noName, want)
	if _, err := Fetch(context.Background(), "0.0.0.0:"+port, noName); !errors.Is(err, ErrNoServerName) {
		t.Errorf("no name: %v, want ErrNoServerName", err)
	}
	fails("a name it is not for", "0.0.0.0:"+port, FetchOptions{TLS: true, RootCAs: pool, CertNames: []string{"other.example"}},
		"status: https://0.0.0.0:"+port+"/metrics (read on 127.0.0.1:"+port+"): tls: failed to verify certificate: x509: certificate is valid for sensor.example, not other.example"+
			"; verified as other.example, the first name of console.tls.cert_file: --server-name gives another")
	if _, err := Fetch(context.Background(), "0.0.0.0:"+port, FetchOptions{TLS: true, RootCAs: pool, ServerName: "other.example"}); err == nil ||
		!strings.Contains(err.Error(), "x509: certificate is valid for sensor.example, not other.example") {
		t.Errorf("--server-name it is not for: %v", err)
	}
	// Not trusted: the name alone is not enough.
	if _, err := Fetch(context.Background(), "0.0.0.0:"+port, FetchOptions{TLS: true, CertNames: []string{"sensor.example"}}); err == nil ||
		!strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
		t.Errorf("untrusted CA: %v", err)
	}

	// Plain http on every address, and IPv6.
	ok("plain http", "0.0.0.0:"+serve("tcp4", "127.0.0.1:0", false), FetchOptions{})
	ok("IPv6", "[::]:"+serve("tcp6", "[::1]:0", true), certNames)
}
