package metrics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// idleTimeout closes a kept-alive connection that sends no next request
// (without it an idle connection stays open for ever).
var idleTimeout = 2 * time.Minute

// Server is the metrics endpoint, a component of the live sensor.
type Server struct {
	srv  *http.Server // nil when off
	addr string
}

// ListenError is an address Serve cannot listen on: a usage error.
type ListenError struct{ Err error }

func (e *ListenError) Error() string { return fmt.Sprintf("metrics endpoint: %v", e.Err) }
func (e *ListenError) Unwrap() error { return e.Err }

// Serve starts the endpoint on listen (host:port, /metrics); "off" or ""
// starts nothing. Errors of the running server are logged on log.
func Serve(listen string, c *Collector, log zerolog.Logger) (*Server, error) {
	return ServeWith(listen, c, log, Options{})
}

// Options are the optional parts of the endpoint.
type Options struct {
	// Root serves every path but /metrics (the console); nil: 404.
	Root http.Handler
	// Collectors are exported on /metrics beside c (the console's).
	Collectors []prometheus.Collector
	// TLS, when not nil, serves the listener over HTTPS.
	TLS *tls.Config
}

// ServeWith is Serve with the console (or another handler) at / and
// more collectors on the same listener.
func ServeWith(listen string, c *Collector, log zerolog.Logger, o Options) (*Server, error) {
	if listen == "off" || listen == "" {
		return &Server{addr: "off"}, nil
	}
	h, err := Handler(c, o.Collectors...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, &ListenError{err}
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	if o.Root != nil {
		mux.Handle("/", o.Root)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: idleTimeout}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("metrics endpoint stopped")
		}
	}()
	return &Server{srv: srv, addr: ln.Addr().String()}, nil
}

// Addr is the address listened on, "off" without an endpoint.
func (s *Server) Addr() string { return s.addr }

// Close stops the endpoint, waiting at most 2 s for requests in flight.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	return nil
}
