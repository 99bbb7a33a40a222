package share

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/internal/loopback"
	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/borderwatch/borderwatch/internal/retryafter"
)

// TAXIIMediaType is the TAXII 2.1 media type of requests and responses.
const TAXIIMediaType = "application/taxii+json;version=2.1"

// Defaults of TAXIIOptions.
const (
	DefaultTAXIIBatch    = 100
	DefaultTAXIIAttempts = 5
	// maxTAXIIResponse bounds what is read of a server's response.
	maxTAXIIResponse = 1 << 20
)

// TAXIIOptions says where and how PushTAXII sends objects.
type TAXIIOptions struct {
	// Collection is the collection's URL, https://HOST/API-ROOT/collections/ID/.
	// Plain http is allowed only to a loopback address.
	Collection string
	// User and Password (HTTP Basic) or Token (Bearer); never in errors.
	User, Password, Token string
	// Batch is the most objects per request (DefaultTAXIIBatch); a 413
	// reply halves the batch that got it.
	Batch int
	// Attempts bounds the tries of one request after 429, 5xx or a
	// network error (DefaultTAXIIAttempts).
	Attempts int
	// BackoffMin and BackoffMax bound the wait between tries (500ms, 30s),
	// doubling with jitter; a 429's Retry-After is honoured up to BackoffMax.
	BackoffMin, BackoffMax time.Duration
	// Client makes the requests; nil is one with a 30 s timeout that
	// follows no redirect (a 3xx reply is a refusal).
	Client *http.Client
}

// TAXIIResult counts what the server took, from its status resources.
type TAXIIResult struct {
	Requests  int
	Objects   int
	Successes int
	Failures  int
	Pendings  int
	Statuses  []string // status resource ids
}

// TAXIIError is a reply the push cannot recover from.
type TAXIIError struct {
	Status int
	Reason string
}

func (e *TAXIIError) Error() string {
	return fmt.Sprintf("taxii: HTTP %d: %s", e.Status, e.Reason)
}

// ParseCollection checks a collection URL
// (https://HOST/API-ROOT/collections/ID/; plain http only to a loopback
// address; no credentials) and returns its objects endpoint.
func ParseCollection(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, errors.New("taxii: collection URL: want https://HOST/API-ROOT/collections/ID/")
	}
	if u.User != nil {
		return nil, errors.New("taxii: collection URL: credentials in the URL are refused; use the user and password options")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback.Host(u.Hostname()) {
			return nil, errors.New("taxii: collection URL: plain http only to a loopback address; use https")
		}
	default:
		return nil, errors.New("taxii: collection URL: scheme must be https")
	}
	_, id, ok := strings.Cut(u.Path, "/collections/")
	if id = strings.TrimSuffix(id, "/"); !ok || id == "" || strings.Contains(id, "/") {
		return nil, errors.New("taxii: collection URL: path must be /API-ROOT/collections/ID/")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += "objects/"
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// PushTAXII adds objects to a TAXII 2.1 collection: envelopes of at most
// opt.Batch objects POSTed to the collection's objects endpoint. 429 and
// 5xx replies and network errors are retried with backoff, a 413 splits
// the batch; 401, 403 and other refusals stop the push with a TAXIIError.
func PushTAXII(ctx context.Context, objects []map[string]any, opt TAXIIOptions) (*TAXIIResult, error) {
	u, err := ParseCollection(opt.Collection)
	if err != nil {
		return nil, err
	}
	if opt.Batch <= 0 {
		opt.Batch = DefaultTAXIIBatch
	}
	if opt.Attempts <= 0 {
		opt.Attempts = DefaultTAXIIAttempts
	}
	if opt.BackoffMin <= 0 {
		opt.BackoffMin = 500 * time.Millisecond
	}
	if opt.BackoffMax < opt.BackoffMin {
		opt.BackoffMax = max(30*time.Second, opt.BackoffMin)
	}
	if opt.Client == nil {
		opt.Client = &http.Client{
			Timeout: 30 * time.Second,
			// net/http keeps Authorization on a redirect to the same host,
			// https to http included: a redirect is a refusal instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	p := &pusher{opt: opt, url: u.String(), res: &TAXIIResult{}}
	for i := 0; i < len(objects); i += opt.Batch {
		if err := p.push(ctx, objects[i:min(i+opt.Batch, len(objects))]); err != nil {
			return p.res, err
		}
	}
	return p.res, nil
}

type pusher struct {
	opt TAXIIOptions
	url string
	res *TAXIIResult
}

// push sends one batch, splitting it on 413.
func (p *pusher) push(ctx context.Context, batch []map[string]any) error {
	err := p.post(ctx, batch)
	var te *TAXIIError
	if errors.As(err, &te) && te.Status == http.StatusRequestEntityTooLarge && len(batch) > 1 {
		half := len(batch) / 2
		if err := p.push(ctx, batch[:half]); err != nil {
			return err
		}
		return p.push(ctx, batch[half:])
	}
	return err
}

// post sends one envelope, retrying what can be retried.
func (p *pusher) post(ctx context.Context, batch []map[string]any) error {
	body, err := json.Marshal(map[string]any{"objects": batch})
	if err != nil {
		return err
	}
	backoff := p.opt.BackoffMin
	var last error
	for attempt := 1; attempt <= p.opt.Attempts; attempt++ {
		wait, err := p.try(ctx, body, len(batch))
		if err == nil {
			return nil
		}
		last = err
		if wait < 0 { // not retryable
			return err
		}
		if attempt == p.opt.Attempts {
			break
		}
		if wait == 0 {
			wait = backoff/2 + rand.N(backoff/2+1) //nolint:gosec // jitter, not a secret
			backoff = min(2*backoff, p.opt.BackoffMax)
		}
		t := time.NewTimer(min(wait, p.opt.BackoffMax))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("taxii: %w (after: %w)", ctx.Err(), last)
		case <-t.C:
		}
	}
	return fmt.Errorf("taxii: giving up after %d attempts: %w", p.opt.Attempts, last)
}

// try makes one request. wait < 0: not retryable; 0: retry with backoff;
// > 0: retry after wait (Retry-After).
func (p *pusher) try(ctx context.Context, body []byte, n int) (wait time.Duration, err error) {
	req, err := NewTAXIIRequest(ctx, http.MethodPost, p.url, body, p.opt.User, p.opt.Password, p.opt.Token)
	if err != nil {
		return -1, fmt.Errorf("taxii: %w", err)
	}
	p.res.Requests++
	resp, err := p.opt.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("taxii: %w", redact.Error(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxTAXIIResponse))
	switch {
	case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
		var st struct {
			ID           string `json:"id"`
			SuccessCount int    `json:"success_count"`
			FailureCount int    `json:"failure_count"`
			PendingCount int    `json:"pending_count"`
		}
		if err := json.Unmarshal(b, &st); err != nil || st.ID == "" {
			return -1, &TAXIIError{Status: resp.StatusCode, Reason: "reply is not a TAXII status resource"}
		}
		p.res.Objects += n
		p.res.Successes += st.SuccessCount
		p.res.Failures += st.FailureCount
		p.res.Pendings += st.PendingCount
		p.res.Statuses = append(p.res.Statuses, st.ID)
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return retryWait(resp.Header), &TAXIIError{Status: resp.StatusCode, Reason: "too many requests" + taxiiTitle(b)}
	case resp.StatusCode >= 500:
		return 0, &TAXIIError{Status: resp.StatusCode, Reason: "server error" + taxiiTitle(b)}
	case resp.StatusCode == http.StatusUnauthorized:
		return -1, &TAXIIError{Status: resp.StatusCode, Reason: "unauthorized: check the user and password or token" + taxiiTitle(b)}
	case resp.StatusCode == http.StatusForbidden:
		return -1, &TAXIIError{Status: resp.StatusCode, Reason: "forbidden: the account cannot write to this collection" + taxiiTitle(b)}
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		return -1, &TAXIIError{Status: resp.StatusCode, Reason: fmt.Sprintf("request of %d objects (%d bytes) too large", n, len(body)) + taxiiTitle(b)}
	default:
		return -1, &TAXIIError{Status: resp.StatusCode, Reason: "refused" + taxiiTitle(b)}
	}
}

// NewTAXIIRequest is a request to a TAXII 2.1 server: Accept (and, with a
// body, Content-Type) the TAXII media type, and the credentials: a Bearer
// token, else HTTP Basic when user is set.
func NewTAXIIRequest(ctx context.Context, method, u string, body []byte, user, password, token string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", TAXIIMediaType)
	if body != nil {
		req.Header.Set("Content-Type", TAXIIMediaType)
	}
	switch {
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	case user != "":
		req.SetBasicAuth(user, password)
	}
	return req, nil
}

// retryWait is the wait a 429's Retry-After asks for (retryafter.Parse),
// at least a millisecond when it has one (> 0 tells try's caller to wait
// that long), 0 (back off) when it has none.
func retryWait(h http.Header) time.Duration {
	if d, ok := retryafter.Parse(h.Get("Retry-After"), time.Now()); ok {
		return max(d, time.Millisecond)
	}
	return 0
}

// TAXIIErrorTitle is the title of a TAXII error message (the body of a
// refusal), cut to 120 characters without control characters; "" when the
// body is not one.
func TAXIIErrorTitle(b []byte) string {
	var e struct {
		Title string `json:"title"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	t := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, e.Title)
	if len(t) > 120 {
		t = strings.ToValidUTF8(t[:120], "") + "…"
	}
	return t
}

// taxiiTitle is ": TITLE" of a TAXII error message, or "".
func taxiiTitle(b []byte) string {
	if t := TAXIIErrorTitle(b); t != "" {
		return ": " + t
	}
	return ""
}
