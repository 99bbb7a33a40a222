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
