package console

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/borderwatch/borderwatch/internal/loopback"
)

// Configuration is the console's part of the configuration file (the
// console key). The console is served on the metrics listener.
type Configuration struct {
	// Enabled serves the console at / of the metrics listener.
	Enabled bool `yaml:"enabled"`
	// Auth is HTTP basic authentication of the console (not of /metrics).
	// It is required when the listener is not a loopback address.
	Auth AuthConfiguration `yaml:"auth"`
	// TLS serves the whole listener (console and /metrics) over HTTPS.
	TLS TLSConfiguration `yaml:"tls"`
	// ClientBuffer is how many alerts wait for one browser (or script)
	// of the live stream; beyond it the oldest are dropped and counted.
	ClientBuffer int `yaml:"client_buffer"`
	// MaxClients bounds the live streams open at once.
	MaxClients int `yaml:"max_clients"`
}

// AuthConfiguration is HTTP basic authentication.
type AuthConfiguration struct {
	Username string `yaml:"username"`
	// PasswordFile holds the password (one line; a final newline is
	// not part of it). The password is never written in the
	// configuration file, nor logged.
	PasswordFile string `yaml:"password_file"`
}

// TLSConfiguration is a certificate and its key, PEM files.
type TLSConfiguration struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Bounds of the settings.
const (
	MaxClientBuffer = 65536
	MaxClients      = 1024
	maxPasswordFile = 4096
	maxTLSFile      = 1 << 20 // a certificate chain or a key in PEM
)

// DefaultConfiguration is the console on, 256 alerts per client, 16 clients.
func DefaultConfiguration() Configuration {
	return Configuration{Enabled: true, ClientBuffer: 256, MaxClients: 16}
}

// Problem is one invalid setting: its key under console and why.
type Problem struct{ Key, Msg string }

// Problems checks the settings, without reading any file.
func (c *Configuration) Problems() []Problem {
	var ps []Problem
	if c.ClientBuffer < 1 || c.ClientBuffer > MaxClientBuffer {
		ps = append(ps, Problem{"client_buffer", fmt.Sprintf("console.client_buffer %d: want 1 to %d", c.ClientBuffer, MaxClientBuffer)})
	}
	if c.MaxClients < 1 || c.MaxClients > MaxClients {
		ps = append(ps, Problem{"max_clients", fmt.Sprintf("console.max_clients %d: want 1 to %d", c.MaxClients, MaxClients)})
	}
	if (c.Auth.Username == "") != (c.Auth.PasswordFile == "") {
		ps = append(ps, Problem{"auth", "console.auth: username and password_file go together"})
	}
	if strings.ContainsAny(c.Auth.Username, ":\r\n") {
		ps = append(ps, Problem{"auth.username", "console.auth.username: no colon or line break"})
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		ps = append(ps, Problem{"tls", "console.tls: cert_file and key_file go together"})
	}
	return ps
}

// HasAuth reports whether authentication is configured.
func (c *Configuration) HasAuth() bool { return c.Auth.Username != "" && c.Auth.PasswordFile != "" }

// CheckListen refuses a console on a listener other than loopback without
// authentication: the alerts show who attacks whom, and the console is
// meant for the operator.
func (c *Configuration) CheckListen(listen string) error {
	if !c.Enabled || listen == "off" || listen == "" || c.HasAuth() || loopback.HostPort(listen) {
		return nil
	}
	return fmt.Errorf("the metrics listener %s is not a loopback address: set console.auth (username and password_file; "+
		"console.tls recommended) to serve the console there, or console.enabled: false to serve only /metrics", listen)
}

// credentials are the loaded username and password, kept as digests so
// that comparing them takes the same time whatever the input.
type credentials struct {
	user, pass [sha256.Size]byte
}

// loadAuth reads the password file; nil without authentication. The error
// names the file, never its contents.
func (c *Configuration) loadAuth() (*credentials, error) {
	if !c.HasAuth() {
		return nil, nil
	}
	b, err := boundedfile.Read(c.Auth.PasswordFile, maxPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("console.auth.password_file: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" || strings.ContainsAny(pw, "\r\n") {
		return nil, fmt.Errorf("console.auth.password_file %s: want one non-empty line", c.Auth.PasswordFile)
	}
	return &credentials{user: sha256.Sum256([]byte(c.Auth.Username)), pass: sha256.Sum256([]byte(pw))}, nil
}

// RootCAs are the certificates a client of this listener on the same
// machine (borderwatch status) trusts: the system's and those of
// tls.cert_file, so that a self-signed certificate is trusted too; nil
// without TLS. An unreadable cert_file leaves the system's alone.
func (c *Configuration) RootCAs() *x509.CertPool {
	if c.TLS.CertFile == "" {
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if certPEM, err := boundedfile.Read(c.TLS.CertFile, maxTLSFile); err == nil {
		pool.AppendCertsFromPEM(certPEM)
	}
	return pool
}

// CertNames are the names tls.cert_file's certificate (its first) is
// for: DNS names, then IP addresses; nil without TLS or when the file
// cannot be read or parsed. borderwatch status verifies a listener on a
// wildcard address (0.0.0.0, [::]), read on loopback, against the first.
func (c *Configuration) CertNames() []string {
	if c.TLS.CertFile == "" {
		return nil
	}
	certPEM, err := boundedfile.Read(c.TLS.CertFile, maxTLSFile)
	if err != nil {
		return nil
	}
	for {
		var b *pem.Block
		b, certPEM = pem.Decode(certPEM)
		if b == nil {
			return nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil
		}
		names := slices.Clone(cert.DNSNames)
		for _, ip := range cert.IPAddresses {
			names = append(names, ip.String())
		}
		return names
	}
}

// TLSConfig loads the certificate; nil without TLS. Each file must be a
// regular file of at most 1 MiB (a FIFO or a device would hang or fill
// memory).
func (c *Configuration) TLSConfig() (*tls.Config, error) {
	if c.TLS.CertFile == "" {
		return nil, nil
	}
	certPEM, err := boundedfile.Read(c.TLS.CertFile, maxTLSFile)
	if err != nil {
		return nil, fmt.Errorf("console.tls.cert_file: %w", err)
	}
	keyPEM, err := boundedfile.Read(c.TLS.KeyFile, maxTLSFile)
	if err != nil {
		return nil, fmt.Errorf("console.tls.key_file: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("console.tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
