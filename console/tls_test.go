package console

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/internal/testpki"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// TestTLS serves the console and /metrics over HTTPS from console.tls.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	pki := testpki.SelfSigned(t, dir, "localhost")
	cfg := DefaultConfiguration()
	cfg.TLS = TLSConfiguration{CertFile: pki.CertFile, KeyFile: pki.KeyFile}
	tc, err := cfg.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(cfg)
	srv, err := New(cfg, hub, Sources{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := metrics.ServeWith("127.0.0.1:0", metrics.New(metrics.Sources{}), zerolog.Nop(), metrics.Options{Root: srv.Handler(), TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki.CertPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	for _, path := range []string{"/", "/metrics"} {
		resp, err := c.Get("https://" + ms.Addr() + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("https %s: %v", path, err)
		}
		resp.Body.Close()
	}
	if resp, err := http.Get("http://" + ms.Addr() + "/"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP answered 200 on a TLS listener")
	}
	// A bad pair is an error naming the setting.
	cfg.TLS.KeyFile = cfg.TLS.CertFile
	if _, err := cfg.TLSConfig(); err == nil || !strings.HasPrefix(err.Error(), "console.tls: ") {
		t.Errorf("bad key: %v", err)
	}
}

// TestTLSFilesBounded: a FIFO as the certificate and a key file over 1 MiB
// are refused with the setting and the reason, without waiting for a
// writer or reading the file whole.
func TestTLSFilesBounded(t *testing.T) {
	dir := t.TempDir()
	fifo, big := filepath.Join(dir, "fifo"), filepath.Join(dir, "big.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.pem")
	if err := os.WriteFile(small, []byte("not PEM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cert, key, want string
	}{
		{fifo, big, "console.tls.cert_file: "},
		{big, big, "console.tls.cert_file: "},
		{filepath.Join(dir, "missing.pem"), big, "console.tls.cert_file: "},
		{small, big, "console.tls.key_file: "},
	} {
		done := make(chan error, 1)
		go func() {
			c := Configuration{TLS: TLSConfiguration{CertFile: tc.cert, KeyFile: tc.key}}
			_, err := c.TLSConfig()
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q...", tc.cert, err, tc.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: TLSConfig still reading after 10 s", tc.cert)
		}
	}
}

// TestCertNames: the names status verifies a wildcard listener against:
// the certificate's DNS names, then its IP addresses; none without TLS or
// with a file that cannot be read.
func TestCertNames(t *testing.T) {
	dir := t.TempDir()
	pki := testpki.SelfSigned(t, dir, "gw1.example", "192.0.2.1", "gw1.lan")
	c := DefaultConfiguration()
	if got := c.CertNames(); got != nil {
		t.Errorf("without TLS: %q", got)
	}
	c.TLS = TLSConfiguration{CertFile: pki.CertFile, KeyFile: pki.KeyFile}
	if got := strings.Join(c.CertNames(), " "); got != "gw1.example gw1.lan 192.0.2.1" {
		t.Errorf("names %q, want DNS names then IP addresses", got)
	}
	c.TLS.CertFile = filepath.Join(dir, "missing.pem")
	if got := c.CertNames(); got != nil {
		t.Errorf("missing file: %q", got)
	}
}
