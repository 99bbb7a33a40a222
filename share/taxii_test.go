package share

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// taxiiServer is a TAXII 2.1 collection written from the specification
// (OASIS TAXII 2.1, sections 3 and 5.4/5.5): media types, Basic auth,
// envelopes, status resources, max_content_length (413), rate limiting
// (429 with Retry-After) and pagination with limit, more and next.
type taxiiServer struct {
	mu          sync.Mutex
	objects     []map[string]any
	posts       int
	maxContent  int
	throttle    int  // the first N posts get 429
	readOnly    bool // posts get 403
	user, pass  string
	failNext500 int
}

func (s *taxiiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(code int, title string) {
		w.Header().Set("Content-Type", TAXIIMediaType)
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{"title": title, "http_status": strconv.Itoa(code)})
	}
	if u, p, ok := r.BasicAuth(); !ok || u != s.user || p != s.pass {
		fail(http.StatusUnauthorized, "bad credentials")
		return
	}
	if r.URL.Path != "/api1/collections/c1/objects/" {
		fail(http.StatusNotFound, "no such collection")
		return
	}
	if r.Header.Get("Accept") != TAXIIMediaType {
		fail(http.StatusNotAcceptable, "accept "+TAXIIMediaType)
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.posts++
		if r.Header.Get("Content-Type") != TAXIIMediaType {
			fail(http.StatusUnsupportedMediaType, "content type")
			return
		}
		if s.readOnly {
			fail(http.StatusForbidden, "collection is read-only")
			return
		}
		if s.throttle > 0 {
			s.throttle--
			w.Header().Set("Retry-After", "0")
			fail(http.StatusTooManyRequests, "slow down")
			return
		}
		if s.failNext500 > 0 {
			s.failNext500--
			fail(http.StatusServiceUnavailable, "busy")
			return
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, int64(s.maxContent)+1))
		if len(b) > s.maxContent {
			fail(http.StatusRequestEntityTooLarge, "max_content_length exceeded")
			return
		}
		var env struct {
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal(b, &env); err != nil || len(env.Objects) == 0 {
			fail(http.StatusUnprocessableEntity, "not an envelope")
			return
		}
		var ids []map[string]any
		for _, o := range env.Objects {
			s.objects = append(s.objects, o)
			ids = append(ids, map[string]any{"id": o["id"]})
		}
		w.Header().Set("Content-Type", TAXIIMediaType)
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]any{
			"id": fmt.Sprintf("status-%d", s.posts), "status": "complete", "total_count": len(ids),
			"success_count": len(ids), "successes": ids, "failure_count": 0, "pending_count": 0,
		})
	case http.MethodGet:
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 {
			limit = 10
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("next"))
		end := min(start+limit, len(s.objects))
		env := map[string]any{"more": end < len(s.objects), "objects": s.objects[start:end]}
		if end < len(s.objects) {
			env["next"] = strconv.Itoa(end)
		}
		w.Header().Set("Content-Type", TAXIIMediaType)
		json.NewEncoder(w).Encode(env)
	default:
		fail(http.StatusMethodNotAllowed, "method")
	}
}

// readBack gets every object of the collection as a TAXII client does:
// pages of limit objects, following next while more is true.
func readBack(t *testing.T, base string) (objs []map[string]any, pages int) {
	t.Helper()
	next := ""
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/api1/collections/c1/objects/?limit=7&next="+next, nil)
		req.Header.Set("Accept", TAXIIMediaType)
		req.SetBasicAuth("sensor", "s3cret-pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			More    bool             `json:"more"`
			Next    string           `json:"next"`
			Objects []map[string]any `json:"objects"`
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil || resp.Header.Get("Content-Type") != TAXIIMediaType {
			t.Fatalf("GET objects: %v, content type %q", err, resp.Header.Get("Content-Type"))
		}
		pages++
		objs = append(objs, env.Objects...)
		if !env.More {
			return objs, pages
		}
		next = env.Next
	}
}

func fastTAXII(url string) TAXIIOptions {
	return TAXIIOptions{
		Collection: url + "/api1/collections/c1/", User: "sensor", Password: "s3cret-pw",
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
	srv := &taxiiServer{user: "sensor", pass: "s3cret-pw", maxContent: 3000, throttle: 2, failNext500: 1}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	opt := fastTAXII(ts.URL)
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
	got, pages := readBack(t, ts.URL)
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
		srv      *taxiiServer
		pass     string
		want     string
		requests int
	}{
		{"401", &taxiiServer{user: "sensor", pass: "other"}, "s3cret-pw", "taxii: HTTP 401: unauthorized: check the user and password or token: bad credentials", 1},
		{"403", &taxiiServer{user: "sensor", pass: "s3cret-pw", readOnly: true}, "s3cret-pw", "taxii: HTTP 403: forbidden: the account cannot write to this collection: collection is read-only", 1},
		{"429", &taxiiServer{user: "sensor", pass: "s3cret-pw", throttle: 100}, "s3cret-pw", "taxii: giving up after 3 attempts: taxii: HTTP 429: too many requests: slow down", 3},
		{"413", &taxiiServer{user: "sensor", pass: "s3cret-pw", maxContent: 10}, "s3cret-pw", "taxii: HTTP 413: request of 1 objects", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv
			ts := httptest.NewServer(srv)
			defer ts.Close()
			if srv.maxContent == 0 {
				srv.maxContent = 1 << 20
			}
			opt := fastTAXII(ts.URL)
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
		{"https://user:pw@taxii.example/api1/collections/c1/", "credentials in the URL are refused"},
		{"ftp://taxii.example/api1/collections/c1/", "scheme must be https"},
		{"https://taxii.example/api1/", "path must be /API-ROOT/collections/ID/"},
	} {
		u, err := parseCollection(tc.in)
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
