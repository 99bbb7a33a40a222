package share

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/retryafter"
	"github.com/borderwatch/borderwatch/share/taxiitest"
)

// readBack gets every object of the collection as a TAXII client does:
// pages of 7 objects, following next while more is true.
func readBack(t *testing.T, srv *taxiitest.Server) (objs []map[string]any, pages int) {
	t.Helper()
	c := &taxiitest.Client{User: "sensor", Password: "s3cret-pw"}
	objs, pages, err := c.ReadAll(context.Background(), srv.CollectionURL(), 7)
	if err != nil {
		t.Fatal(err)
	}
	return objs, pages
}

func fastTAXII(srv *taxiitest.Server) TAXIIOptions {
	return TAXIIOptions{
		Collection: srv.CollectionURL(), User: "sensor", Password: "s3cret-pw",
		BackoffMin: time.Millisecond, BackoffMax: 10 * time.Millisecond, Attempts: 3,
	}
}

// TestTAXIIPush pushes the mixed file's bundle through throttling, a busy
// server and a too-small max_content_length, and reads the collection back.
func TestTAXIIPush(t *testing.T) {
	b, err := STIX(mustRead(t, Options{}, mixed), STIXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := taxiitest.Start(t, taxiitest.Options{User: "sensor", Password: "s3cret-pw", MaxContentLength: 3000})
	srv.Fail(2, http.StatusTooManyRequests, "0")
	srv.Fail(1, http.StatusServiceUnavailable, "")
	opt := fastTAXII(srv)
	opt.Batch = 10
	opt.Attempts = 4 // 2 throttled + 1 busy reply on the first request
	res, err := PushTAXII(context.Background(), b.Objects, opt)
	if err != nil {
		t.Fatal(err)
	}
	n := len(b.Objects)
	if res.Objects != n || res.Successes != n || res.Failures != 0 || res.Pendings != 0 {
		t.Errorf("result %+v, want %d objects taken", res, n)
	}
	// 31 objects in batches of 10, 10, 10, 1; each batch of 10 is over
	// 3000 bytes: 413, then two halves. 7 envelopes taken, plus 3 replies
	// of 413, 2 of 429 and 1 of 503: 13 requests.
	if n != 31 || res.Requests != 13 || len(res.Statuses) != 7 {
		t.Errorf("%d objects, %d requests, %d statuses; want 31, 13, 7", n, res.Requests, len(res.Statuses))
	}
	got, pages := readBack(t, srv)
	if pages != (n+6)/7 {
		t.Errorf("read back in %d pages, want %d", pages, (n+6)/7)
	}
	var gotIDs, wantIDs []string
	for _, o := range got {
		gotIDs = append(gotIDs, o["id"].(string))
	}
	for _, o := range b.Objects {
		wantIDs = append(wantIDs, o["id"].(string))
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("collection holds\n%v\nwant\n%v", gotIDs, wantIDs)
	}
}

// TestTAXIIRefusals: 401 and 403 stop at once, a server that keeps
// throttling is given up after the attempts, and no error names the
// password.
func TestTAXIIRefusals(t *testing.T) {
	objs := []map[string]any{{"type": "identity", "id": "identity--" + uuidV5(bwNamespace, "x").String()}}
	for _, tc := range []struct {
		name     string
		opt      taxiitest.Options
		throttle int
		pass     string
		want     string
		requests int
	}{
		{"401", taxiitest.Options{User: "sensor", Password: "other"}, 0, "s3cret-pw", "taxii: HTTP 401: unauthorized: check the user and password or token: authentication required", 1},
		{"403", taxiitest.Options{User: "sensor", Password: "s3cret-pw", ReadOnly: true}, 0, "s3cret-pw", "taxii: HTTP 403: forbidden: the account cannot write to this collection: forbidden", 1},
		{"429", taxiitest.Options{User: "sensor", Password: "s3cret-pw"}, 100, "s3cret-pw", "taxii: giving up after 3 attempts: taxii: HTTP 429: too many requests: Too Many Requests", 3},
		{"413", taxiitest.Options{User: "sensor", Password: "s3cret-pw", MaxContentLength: 10}, 0, "s3cret-pw", "taxii: HTTP 413: request of 1 objects", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := taxiitest.Start(t, tc.opt)
			srv.Fail(tc.throttle, http.StatusTooManyRequests, "0")
			opt := fastTAXII(srv)
			opt.Password = tc.pass
			res, err := PushTAXII(context.Background(), objs, opt)
			var te *TAXIIError
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.As(err, &te) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if res.Requests != tc.requests {
				t.Errorf("%d requests, want %d", res.Requests, tc.requests)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error names the password: %v", err)
			}
		})
	}
}

func TestTAXIICollectionURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://taxii.example/api1/collections/c1", "https://taxii.example/api1/collections/c1/objects/"},
		{"http://127.0.0.1:8080/api1/collections/c1/", "http://127.0.0.1:8080/api1/collections/c1/objects/"},
		{"http://taxii.example/api1/collections/c1/", "plain http only to a loopback address"},
		{"http://LOCALHOST:8080/api1/collections/c1/", "http://LOCALHOST:8080/api1/collections/c1/objects/"},
		{"http://localhost.:8080/api1/collections/c1/", "http://localhost.:8080/api1/collections/c1/objects/"},
		{"http://[::1%25lo]:8080/api1/collections/c1/", "http://[::1%25lo]:8080/api1/collections/c1/objects/"},
		{"http://evil.localhost/api1/collections/c1/", "plain http only to a loopback address"},
		{"https://user:pw@taxii.example/api1/collections/c1/", "credentials in the URL are refused"},
		{"ftp://taxii.example/api1/collections/c1/", "scheme must be https"},
		{"https://taxii.example/api1/", "path must be /API-ROOT/collections/ID/"},
		{"https://taxii.example/api1/collections/", "path must be /API-ROOT/collections/ID/"},
		{"https://taxii.example/api1/collections/c1/objects/", "path must be /API-ROOT/collections/ID/"},
	} {
		u, err := ParseCollection(tc.in)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = u.String()
		}
		if !strings.Contains(got, tc.want) || strings.Contains(got, ":pw@") {
			t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRetryWait: a 429's Retry-After of any length counts as a long wait
// (retryafter.Max, which the caller bounds by BackoffMax), one of 0 as a
// short one; junk and negatives mean back off (0).
func TestRetryWait(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want time.Duration
	}{
		{"2", 2 * time.Second},
		{"0", time.Millisecond},
		{" 30 ", 30 * time.Second},
		{"9999999999999", retryafter.Max},
		{"18446744073709551616", retryafter.Max},
		{"-5", 0},
		{"soon", 0},
		{"", 0},
	} {
		h := http.Header{}
		if tc.h != "" {
			h.Set("Retry-After", tc.h)
		}
		if got := retryWait(h); got != tc.want {
			t.Errorf("retryWait(%q) = %s, want %s", tc.h, got, tc.want)
		}
	}
}

// TestTAXIIPushRefusesRedirect: a 307 from the collection is a refusal;
// the POST and its credentials do not follow it (net/http would keep
// Authorization on a redirect to the same host, also to plain http).
func TestTAXIIPushRefusesRedirect(t *testing.T) {
	var followed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/elsewhere/") {
			followed.Add(1)
			if _, pw, _ := r.BasicAuth(); pw != "" {
				t.Errorf("the redirect target got the password")
			}
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"id":"x","success_count":1}`))
			return
		}
		http.Redirect(w, r, "/elsewhere/", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	objs := []map[string]any{{"type": "indicator", "id": "indicator--1"}}
	_, err := PushTAXII(context.Background(), objs, TAXIIOptions{
		Collection: srv.URL + "/api1/collections/c1/", User: "sensor", Password: "s3cret-pw", Attempts: 1})
	var te *TAXIIError
	if !errors.As(err, &te) || te.Status != http.StatusTemporaryRedirect {
		t.Errorf("err %v, want a TAXIIError with status 307", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("error quotes the password: %v", err)
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times, want 0", n)
	}
}
