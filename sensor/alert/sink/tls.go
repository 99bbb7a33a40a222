package sink

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
)

// maxTLSFile bounds what is read of a CA bundle, client certificate or key.
const maxTLSFile = 1 << 20

// clientTLS is the TLS client configuration of an output (what names it in
// errors): TLS 1.2 at least, serverName to verify, the roots of caFile (the
// system's when ""), the client certificate of certFile and keyFile (none
// when ""). The files are read bounded (boundedfile: regular files of at
// most maxTLSFile bytes); errors never quote their contents.
func clientTLS(what, serverName, caFile, certFile, keyFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pem, err := boundedfile.Read(caFile, maxTLSFile)
		if err != nil {
			return nil, fmt.Errorf("%s: reading ca_file: %w", what, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: ca_file %s holds no PEM certificate", what, oneLine(caFile))
		}
		tc.RootCAs = pool
	}
	if certFile != "" {
		certPEM, err := boundedfile.Read(certFile, maxTLSFile)
		if err != nil {
			return nil, fmt.Errorf("%s: loading client certificate: %w", what, err)
		}
		keyPEM, err := boundedfile.Read(keyFile, maxTLSFile)
		if err != nil {
			return nil, fmt.Errorf("%s: loading client certificate: %w", what, err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%s: loading client certificate: %w", what, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
