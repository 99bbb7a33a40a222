// Package testpki writes throw-away certificates for tests: a self-signed
// server certificate, or a CA and a server certificate it signed. Keys are
// ECDSA P-256, valid from an hour ago for a day; files are PEM, mode 0600.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Server is a server certificate and its key.
type Server struct {
	CertFile, KeyFile string
	CertPEM, KeyPEM   []byte
	// Pair is the certificate and key for tls.Config.Certificates.
	Pair tls.Certificate
	// CAFile is the signing CA's certificate; with SelfSigned, CertFile.
	CAFile string
}

// SelfSigned writes a self-signed server certificate for names (DNS names
// or IP addresses; the first is the common name) into dir.
func SelfSigned(t testing.TB, dir string, names ...string) Server {
	t.Helper()
	key := newKey(t)
	der := create(t, leaf(2, names), nil, key, key)
	s := write(t, dir, der, key)
	s.CAFile = s.CertFile
	return s
}

// Signed writes a CA certificate (ca.pem) and a server certificate for
// names signed by it (cert.pem, key.pem) into dir.
func Signed(t testing.TB, dir string, names ...string) Server {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "borderwatch test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER := create(t, caTmpl, nil, caKey, caKey)
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	s := write(t, dir, create(t, leaf(2, names), caCert, key, caKey), key)
	s.CAFile = writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	return s
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func leaf(serial int64, names []string) *x509.Certificate {
	c := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if len(names) > 0 {
		c.Subject.CommonName = names[0]
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			c.IPAddresses = append(c.IPAddresses, ip)
		} else {
			c.DNSNames = append(c.DNSNames, n)
		}
	}
	return c
}

// create signs tmpl with signer, as parent (nil: self-signed).
func create(t testing.TB, tmpl, parent *x509.Certificate, key, signer *ecdsa.PrivateKey) []byte {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func write(t testing.TB, dir string, der []byte, key *ecdsa.PrivateKey) Server {
	t.Helper()
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s := Server{
		CertFile: writePEM(t, filepath.Join(dir, "cert.pem"), "CERTIFICATE", der),
		KeyFile:  writePEM(t, filepath.Join(dir, "key.pem"), "PRIVATE KEY", kder),
		CertPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}
	if s.Pair, err = tls.X509KeyPair(s.CertPEM, s.KeyPEM); err != nil {
		t.Fatal(err)
	}
	return s
}

func writePEM(t testing.TB, path, typ string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
