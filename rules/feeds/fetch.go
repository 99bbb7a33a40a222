package feeds

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/borderwatch/borderwatch/internal/retryafter"
)

// maxCAFile bounds a ca_file; maxRedirects the redirects followed;
// maxValidator the ETag and Last-Modified kept (in NAME.json, and sent
// back with the next request): a longer one is taken as none.
const (
	maxCAFile    = 1 << 20
	maxRedirects = 5
	maxValidator = 1024
)

// validator is the header value h when it is short enough to keep
// (maxValidator), else "": a server sending megabytes there (the
// transport takes headers up to 10 MiB) would make NAME.json too large
// to load at the next start, and each request as large.
func validator(h string) string {
	if len(h) > maxValidator {
		return ""
	}
	return h
}

// userAgent is sent with every request.
const userAgent = "borderwatch-lists/1"

// HTTPError is a reply other than 200 (and 304 where it is asked for).
type HTTPError struct {
	Status int
	// RetryAfter is the server's Retry-After (429, 503), bounded.
	RetryAfter time.Duration
	Reason     string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg += ": the server refused the credentials (user, password or token)"
	case http.StatusRequestEntityTooLarge:
		msg += ": the server refused the request as too large"
	case http.StatusTooManyRequests:
		msg += ": rate limited"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// client is the HTTP client of one source.
type client struct {
	hc  *http.Client
	src SourceConfig
}

// newClient builds the source's client: TLS verified against the system's
// CAs or the ca_file's, at least TLS 1.2; redirects followed up to
// maxRedirects and never from https to http.
func newClient(src SourceConfig) (*client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if src.CAFile != "" {
		pem, err := boundedfile.Read(src.CAFile, maxCAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", src.CAFile)
		}
		tc.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: src.Timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
	}
	hc := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
			return errors.New("redirect from https to plain http refused")
		}
		if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
			return fmt.Errorf("redirect to scheme %q refused", excerpt(req.URL.Scheme))
		}
		return nil
	}}
	return &client{hc: hc, src: src}, nil
}

// response is a 200 or 304 reply, its body read.
type response struct {
	notModified  bool
	body         []byte
	etag         string
	lastModified string
	header       http.Header
}

// budget is what is left of max_bytes for one update.
type budget struct{ left int64 }

// get fetches u with the source's credentials and the given headers
// (If-None-Match, Accept…). The body is read whole, within b: a body
// longer than what is left, or cut short, is an error. Any status but 200
// (and 304) is an *HTTPError. Errors never quote the URL's secrets.
func (c *client) get(ctx context.Context, u *url.URL, hdr map[string]string, b *budget) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("bad request URL")
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	switch {
	case c.src.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.src.Token)
	case c.src.User != "":
		req.SetBasicAuth(c.src.User, c.src.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, redact.Error(err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return &response{notModified: true, etag: validator(resp.Header.Get("ETag")), lastModified: validator(resp.Header.Get("Last-Modified")), header: resp.Header}, nil
	default:
		he := &HTTPError{Status: resp.StatusCode, RetryAfter: retryAfterWait(resp.Header)}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, he
	}
	if resp.ContentLength > b.left {
		return nil, fmt.Errorf("body of %d bytes is larger than max_bytes (%d)", resp.ContentLength, c.src.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, b.left+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			if resp.ContentLength > 0 {
				return nil, fmt.Errorf("truncated body: the connection closed after %d of %d bytes", len(body), resp.ContentLength)
			}
			return nil, fmt.Errorf("truncated body: the connection closed after %d bytes", len(body))
		}
		return nil, fmt.Errorf("reading the body after %d bytes: %w", len(body), redact.Error(err))
	}
	if int64(len(body)) > b.left {
		return nil, fmt.Errorf("body larger than max_bytes (%d)", c.src.MaxBytes)
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, fmt.Errorf("truncated body: %d of %d bytes", len(body), resp.ContentLength)
	}
	b.left -= int64(len(body))
	return &response{body: body, etag: validator(resp.Header.Get("ETag")), lastModified: validator(resp.Header.Get("Last-Modified")), header: resp.Header}, nil
}

// retryAfterWait is the wait the reply's Retry-After asks for (at most
// retryafter.Max); 0 when there is none.
func retryAfterWait(h http.Header) time.Duration {
	d, _ := retryafter.Parse(h.Get("Retry-After"), time.Now())
	return d
}

// close drops the client's idle connections.
func (c *client) close() { c.hc.CloseIdleConnections() }
