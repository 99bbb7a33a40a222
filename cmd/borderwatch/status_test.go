package main

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/testpki"
)

// TestStatusConsoleTLS: with console.tls in the configuration, status
// reads the listener (metrics.listen, a bare host:port) over https and
// trusts the configured, self-signed certificate; --addr given as a bare
// host:port does too. Before, it asked http:// and got a 400.
func TestStatusConsoleTLS(t *testing.T) {
	dir := t.TempDir()
	pki := testpki.SelfSigned(t, dir, "sensor", "127.0.0.1")
	certFile, keyFile, pair := pki.CertFile, pki.KeyFile, pki.Pair
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "# TYPE borderwatch_packets_total counter\nborderwatch_packets_total{result=\"decoded\"} 42\nborderwatch_capture_frames_total{source=\"afpacket:eth0\"} 50\n")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the plain http try
	srv.StartTLS()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")

	cfg := filepath.Join(dir, "bw.yaml")
	yaml := "metrics:\n  listen: " + host + "\nconsole:\n  tls:\n    cert_file: " + certFile + "\n    key_file: " + keyFile + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-c", cfg, "status"}, {"-c", cfg, "status", "--addr", host}} {
		out, stderr, code := runCLI(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "borderwatch sensor at "+host+"\n") || !strings.Contains(out, "afpacket:eth0") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	// Without console.tls the error says what to do.
	_, stderr, code := runCLI(t, "status", "--addr", host)
	want := "borderwatch: status: http://" + host + "/metrics: the server speaks TLS (console.tls): use https://" + host + "/metrics\n"
	if code != exitRuntime || stderr != want {
		t.Errorf("without console.tls: exit %d\n%s\nwant %s", code, stderr, want)
	}
}

// TestStatusWildcardTLS: metrics.listen on every address (0.0.0.0:PORT)
// with console.tls and a certificate for the gateway's name: status reads
// the listener on loopback and verifies the certificate against its name
// (the first of console.tls.cert_file, or --server-name), never skipping
// verification. Before, it asked https://0.0.0.0:PORT and failed: x509:
// cannot validate certificate for 0.0.0.0 because it doesn't contain any
// IP SANs.
func TestStatusWildcardTLS(t *testing.T) {
	dir := t.TempDir()
	pki := testpki.SelfSigned(t, dir, "gw1.example")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "# TYPE borderwatch_packets_total counter\nborderwatch_packets_total{result=\"decoded\"} 42\nborderwatch_capture_frames_total{source=\"afpacket:eth0\"} 50\n")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Pair}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "https://"), ":")
	listen := "0.0.0.0:" + port
	cfg := filepath.Join(dir, "bw.yaml")
	yaml := "metrics:\n  listen: " + listen + "\nconsole:\n  auth:\n    username: op\n    password_file: " + filepath.Join(dir, "pw") +
		"\n  tls:\n    cert_file: " + pki.CertFile + "\n    key_file: " + pki.KeyFile + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-c", cfg, "status"}, {"-c", cfg, "status", "--server-name", "gw1.example"}} {
		out, stderr, code := runCLI(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "borderwatch sensor at "+listen+"\n") || !strings.Contains(out, "afpacket:eth0") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	_, stderr, code := runCLI(t, "-c", cfg, "status", "--server-name", "other.example")
	if want := "x509: certificate is valid for gw1.example, not other.example"; code != exitRuntime || !strings.Contains(stderr, want) {
		t.Errorf("--server-name other.example: exit %d\n%s\nwant exit %d and %q", code, stderr, exitRuntime, want)
	}
	// A certificate status cannot read gives no name: the error says which flag gives one.
	if err := os.Chmod(pki.CertFile, 0); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		os.Remove(pki.CertFile) // root reads it anyway
	}
	_, stderr, code = runCLI(t, "-c", cfg, "status")
	want := "borderwatch: status: https://" + listen + "/metrics is a wildcard address (read on 127.0.0.1:" + port + "): no name to verify the certificate against: " +
		"give the name its certificate is for with --server-name (console.tls.cert_file names none, or cannot be read)\n"
	if code != exitUsage || stderr != want {
		t.Errorf("no name: exit %d\n%s\nwant exit %d and\n%s", code, stderr, exitUsage, want)
	}
}
