package sink

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
)

// TestClientTLSFiles: the TLS outputs (syslog, taxii) read their CA
// bundle, certificate and key bounded, load a good pair, and refuse a file
// over the bound, a FIFO and a bad key without quoting them.
func TestClientTLSFiles(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeTestPKI(t, dir)
	sys := &SyslogConfig{Network: "tls", Address: "127.0.0.1:6514", CAFile: ca, CertFile: cert, KeyFile: key}
	tc, err := sys.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	if tc.ServerName != "127.0.0.1" || tc.RootCAs == nil || len(tc.Certificates) != 1 {
		t.Errorf("syslog tls: server name %q, roots %v, %d certificates", tc.ServerName, tc.RootCAs != nil, len(tc.Certificates))
	}
	tx := &TAXIIConfig{ServerName: "taxii.test", CAFile: ca}
	if tc, err = tx.tlsConfig("taxii output"); err != nil || tc.ServerName != "taxii.test" || tc.RootCAs == nil || tc.Certificates != nil {
		t.Errorf("taxii tls: %v %+v", err, tc)
	}

	// A CA bundle padded past the bound, with its certificate still in it.
	good, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big-ca.pem")
	if err := os.WriteFile(big, append(good, bytes.Repeat([]byte("# padding\n"), maxTLSFile/10+1)...), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret-key.pem")
	if err := os.WriteFile(secret, []byte("-----BEGIN PRIVATE KEY-----\nhunter2\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		sys  SyslogConfig
		is   error
		want string
	}{
		{"CA bundle over the bound", SyslogConfig{CAFile: big}, boundedfile.ErrTooLarge, "reading ca_file"},
		{"key over the bound", SyslogConfig{CertFile: cert, KeyFile: big}, boundedfile.ErrTooLarge, "loading client certificate"},
		{"CA bundle a folder", SyslogConfig{CAFile: dir}, boundedfile.ErrNotRegular, "reading ca_file"},
		{"bad key", SyslogConfig{CertFile: cert, KeyFile: secret}, nil, "loading client certificate"},
	} {
		c.sys.Network, c.sys.Address = "tls", "127.0.0.1:6514"
		_, err := c.sys.tlsConfig()
		if err == nil || !strings.Contains(err.Error(), "syslog output tls://127.0.0.1:6514: "+c.want) ||
			c.is != nil && !errors.Is(err, c.is) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
