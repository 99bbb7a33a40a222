package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStatusConsoleTLS: with console.tls in the configuration, status
// reads the listener (metrics.listen, a bare host:port) over https and
// trusts the configured, self-signed certificate; --addr given as a bare
// host:port does too. Before, it asked http:// and got a 400.
func TestStatusConsoleTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sensor"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
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
