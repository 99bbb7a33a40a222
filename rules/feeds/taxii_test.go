package feeds

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// taxiiCollection is a TAXII 2.1 collection's objects endpoint written
// from the specification (OASIS TAXII 2.1, sections 1.6.3 pagination, 3.4
// filtering, 5.4 get objects): the TAXII media type (406 otherwise), Basic
// auth (401, 403 for a user without read access), match[type],
// added_after, limit (413 above maxLimit when enforced), next and more,
// X-TAXII-Date-Added-First/Last, and rate limiting (429 with Retry-After).
type taxiiCollection struct {
	mu       sync.Mutex
	objects  []taxiiStored
	pageSize int
	maxLimit int // > 0: a larger limit (or none) gets 413
	throttle int // the next N requests get 429
	requests []string
	// addedLast, when set, is every page's X-TAXII-Date-Added-Last.
	addedLast string
}

type taxiiStored struct {
	added time.Time
	obj   map[string]any
}

func (c *taxiiCollection) add(added time.Time, objs ...map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range objs {
		c.objects = append(c.objects, taxiiStored{added, o})
	}
}

func (c *taxiiCollection) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, r.URL.RawQuery)
	fail := func(code int, title string) {
		w.Header().Set("Content-Type", TAXIIMediaType)
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "http_status": strconv.Itoa(code)})
	}
	u, p, ok := r.BasicAuth()
	switch {
	case !ok || p != "pw":
		fail(http.StatusUnauthorized, "authentication required")
		return
	case u != "reader":
		fail(http.StatusForbidden, "no read access to this collection")
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
	if c.throttle > 0 {
		c.throttle--
		fail(http.StatusTooManyRequests, "slow down")
		return
	}
	q := r.URL.Query()
	limit, asked := c.pageSize, 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			fail(http.StatusBadRequest, "bad limit")
			return
		}
		limit, asked = min(limit, n), n
	}
	if c.maxLimit > 0 && (asked == 0 || asked > c.maxLimit) {
		fail(http.StatusRequestEntityTooLarge, "ask for fewer objects")
		return
	}
	var after time.Time
	if a := q.Get("added_after"); a != "" {
		t, err := time.Parse(time.RFC3339Nano, a)
		if err != nil {
			fail(http.StatusBadRequest, "bad added_after")
			return
		}
		after = t
	}
	var match []taxiiStored
	for _, s := range c.objects {
		if s.added.After(after) && (q.Get("match[type]") == "" || s.obj["type"] == q.Get("match[type]")) {
			match = append(match, s)
		}
	}
	start := 0
	if n := q.Get("next"); n != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(n, "page-"))
	}
	end := min(start+limit, len(match))
	env := map[string]any{"more": end < len(match)}
	if end < len(match) {
		env["next"] = "page-" + strconv.Itoa(end)
	}
	var objs []map[string]any
	for _, s := range match[start:end] {
		objs = append(objs, s.obj)
	}
	if len(objs) > 0 {
		env["objects"] = objs
		w.Header().Set("X-TAXII-Date-Added-First", match[start].added.Format(time.RFC3339Nano))
		w.Header().Set("X-TAXII-Date-Added-Last", cmp.Or(c.addedLast, match[end-1].added.Format(time.RFC3339Nano)))
	}
	w.Header().Set("Content-Type", TAXIIMediaType)
	_ = json.NewEncoder(w).Encode(env)
}

func indicator(id, modified, pattern string, extra ...any) map[string]any {
	o := map[string]any{"type": "indicator", "spec_version": "2.1", "id": "indicator--" + id, "created": "2026-12-01T00:00:00Z",
		"modified": modified, "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-12-01T00:00:00Z",
		"indicator_types": []string{"malicious-activity"}}
	for i := 0; i+1 < len(extra); i += 2 {
		o[extra[i].(string)] = extra[i+1]
	}
	return o
}

func TestTAXIIPull(t *testing.T) {
	now := time.Now().UTC()
	past, future := now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	coll := &taxiiCollection{pageSize: 2}
	coll.add(t0,
		indicator("00000000-0000-4000-8000-000000000001", "2026-12-01T10:00:00Z", "[ipv4-addr:value = '203.0.113.66']"),
		indicator("00000000-0000-4000-8000-000000000002", "2026-12-01T10:00:00Z", "[ipv4-addr:value = '198.51.100.7' OR ipv6-addr:value = '2001:db8:2::66']"),
		map[string]any{"type": "identity", "spec_version": "2.1", "id": "identity--00000000-0000-4000-8000-0000000000ff", "name": "CERT-Test"},
		indicator("00000000-0000-4000-8000-000000000003", "2026-12-01T10:00:00Z", "[ipv4-addr:value = '192.0.2.3']", "revoked", true),
	)
	coll.add(t0.Add(time.Minute),
		indicator("00000000-0000-4000-8000-000000000004", "2026-12-01T10:00:00Z", "[ipv4-addr:value = '192.0.2.4']", "valid_until", past),
		indicator("00000000-0000-4000-8000-000000000005", "2026-12-01T10:00:00Z", "[ipv4-addr:value = '192.0.2.5']", "valid_until", future),
		indicator("00000000-0000-4000-8000-000000000006", "2026-12-01T10:00:00Z", "[domain-name:value = 'c2.example']"),
		indicator("00000000-0000-4000-8000-000000000007", "2026-12-01T10:00:00Z", "[ipv4-addr:value ISSUBSET '198.51.100.128/25'] OR ([ipv6-addr:value = '2001:db8:7::/48'])"),
		indicator("00000000-0000-4000-8000-000000000008", "2026-12-01T10:00:00Z", "[ipv4-addr:value = '192.0.2.8']", "valid_from", future),
	)
	srv, ca := startTLS(t, coll)
	state := t.TempDir()
	cfg := Configuration{StateDir: state, Sources: []SourceConfig{{Name: "cert", URL: srv.URL + "/api1/collections/c1/", Format: FormatTAXII,
		CAFile: ca, User: "reader", Password: "pw"}}}
	m := newManager(t, cfg, nil)
	r := m.Update(context.Background())[0]
	if r.Err != nil || r.Outcome != OutcomeUpdated || !r.Changed {
		t.Fatalf("pull: %+v", r)
	}
	if !strings.Contains(r.Note, "1 indicators with patterns other than") {
		t.Errorf("note %q: want the domain-name indicator counted", r.Note)
	}
	l := m.Lists()["cert"]
	for _, a := range []string{"203.0.113.66", "198.51.100.7", "2001:db8:2::66", "192.0.2.5", "198.51.100.200", "2001:db8:7::1"} {
		if !contains(l, a) {
			t.Errorf("%s not listed", a)
		}
	}
	for _, a := range []string{"192.0.2.3", "192.0.2.4", "192.0.2.8", "198.51.100.100"} {
		if contains(l, a) {
			t.Errorf("%s listed (revoked, expired, not yet valid, or outside)", a)
		}
	}
	if l.Len() != 6 {
		t.Errorf("%d entries, want 6", l.Len())
	}
	if n := len(coll.requests); n != 4 || !strings.Contains(coll.requests[1], "next=page-2") || strings.Contains(coll.requests[0], "added_after") {
		t.Errorf("requests %q: want 4 pages of 2 (7 indicators) following next, the first without added_after", coll.requests)
	}

	// Incremental: a later version revokes 1, a new indicator; only what
	// was added after the last pull is asked for.
	coll.requests = nil
	t1 := t0.Add(time.Hour)
	coll.add(t1,
		indicator("00000000-0000-4000-8000-000000000001", "2026-12-01T11:00:00Z", "[ipv4-addr:value = '203.0.113.66']", "revoked", true),
		indicator("00000000-0000-4000-8000-000000000009", "2026-12-01T11:00:00Z", "[ipv4-addr:value = '192.0.2.9']"),
		// An older version arriving late changes nothing.
		indicator("00000000-0000-4000-8000-000000000002", "2026-11-30T00:00:00Z", "[ipv4-addr:value = '192.0.2.222']"),
	)
	r = m.Update(context.Background())[0]
	if r.Err != nil || !r.Changed {
		t.Fatalf("incremental pull: %+v", r)
	}
	if len(coll.requests) != 2 || !strings.Contains(coll.requests[0], "added_after=2026-12-01T10%3A01%3A00Z") {
		t.Errorf("requests %q: want 2 pages after 2026-12-01T10:01:00Z", coll.requests)
	}
	l = m.Lists()["cert"]
	if contains(l, "203.0.113.66") || !contains(l, "192.0.2.9") || !contains(l, "198.51.100.7") || contains(l, "192.0.2.222") {
		t.Errorf("after the incremental pull: revoked kept, new missing or an older version taken")
	}

	// A restart reads the state from the cache and pulls incrementally.
	m2 := newManager(t, cfg, nil)
	if l2 := m2.Lists()["cert"]; l2.Len() != l.Len() || !contains(l2, "192.0.2.9") {
		t.Errorf("from the cache: %d entries, want %d", l2.Len(), l.Len())
	}
	coll.requests = nil
	if r := m2.Update(context.Background())[0]; r.Err != nil || r.Changed || len(coll.requests) != 1 ||
		!strings.Contains(coll.requests[0], "added_after=2026-12-01T11%3A00%3A00Z") {
		t.Errorf("pull after restart: %+v, requests %q", r, coll.requests)
	}
}

func TestTAXIIRefusals(t *testing.T) {
	coll := &taxiiCollection{pageSize: 5}
	coll.add(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), indicator("00000000-0000-4000-8000-000000000001", "2026-12-01T10:00:00Z", "[ipv4-addr:value = '203.0.113.66']"))
	srv, ca := startTLS(t, coll)
	src := func(user, pass string) Configuration {
		return Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "cert", URL: srv.URL + "/api1/collections/c1/", Format: FormatTAXII,
			CAFile: ca, User: user, Password: pass}}}
	}
	for _, c := range []struct{ user, pass, want string }{
		{"reader", "wrong", "page 1: HTTP 401 Unauthorized: the server refused the credentials"},
		{"writer", "pw", "page 1: HTTP 403 Forbidden: the server refused the credentials"},
	} {
		r := newManager(t, src(c.user, c.pass), nil).Update(context.Background())[0]
		if r.Err == nil || !strings.HasPrefix(r.Err.Error(), c.want) || strings.Contains(r.Err.Error(), c.pass) {
			t.Errorf("%s: %v, want %q", c.user, r.Err, c.want)
		}
	}
	// 429: waits Retry-After and tries again.
	coll.throttle = 1
	coll.requests = nil
	if r := newManager(t, src("reader", "pw"), nil).Update(context.Background())[0]; r.Err != nil || r.Entries != 1 || len(coll.requests) != 2 {
		t.Errorf("after a 429: %+v, %d requests; want the list after 2 requests", r, len(coll.requests))
	}
	// An X-TAXII-Date-Added-Last past 1024 bytes (it would go to the
	// cache's metadata and back as added_after) fails the update.
	coll.addedLast = strings.Repeat("9", 2000)
	if r := newManager(t, src("reader", "pw"), nil).Update(context.Background())[0]; r.Err == nil ||
		!strings.Contains(r.Err.Error(), "page 1: X-TAXII-Date-Added-Last longer than 1024 bytes") {
		t.Errorf("a 2000-byte X-TAXII-Date-Added-Last: %v, want it refused", r.Err)
	}
	coll.addedLast = ""
	// 413: asks again for smaller pages.
	coll.maxLimit = 300
	coll.requests = nil
	if r := newManager(t, src("reader", "pw"), nil).Update(context.Background())[0]; r.Err != nil || r.Entries != 1 ||
		len(coll.requests) != 3 || !strings.Contains(coll.requests[2], "limit=250") {
		t.Errorf("after 413s: %+v, requests %q; want limit 500 then 250", r, coll.requests)
	}
}

func TestPatternPrefixes(t *testing.T) {
	cases := []struct {
		pattern, want, err string
	}{
		{"[ipv4-addr:value = '198.51.100.7']", "198.51.100.7/32", ""},
		{"[ipv6-addr:value = '2001:db8::1']", "2001:db8::1/128", ""},
		{"[ipv4-addr:value = '198.51.100.7/24']", "198.51.100.0/24", ""},
		{"[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = '192.0.2.2' OR ipv6-addr:value = '2001:db8::/32']", "192.0.2.1/32 192.0.2.2/32 2001:db8::/32", ""},
		{"[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value ISSUBSET '198.51.100.0/24']", "192.0.2.1/32 198.51.100.0/24", ""},
		{"([ipv4-addr:value = '192.0.2.1'] OR ([ipv4-addr:value = '192.0.2.2']))", "192.0.2.1/32 192.0.2.2/32", ""},
		{"[(ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = '192.0.2.2')]", "192.0.2.1/32 192.0.2.2/32", ""},
		{"[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']", "", "unsupported pattern: \"AND\" in an observation"},
		{"[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2']", "", "unsupported pattern: \"FOLLOWEDBY\" between observations"},
		{"[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES", "", "unsupported pattern: \"REPEATS\""},
		{"[domain-name:value = 'c2.example']", "", "unsupported pattern: object path \"domain-name:value\""},
		// From OASIS medallion's test data: a quoted path component.
		{"[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']", "", "unsupported pattern: object path \"file:hashes.'SHA-256'\""},
		{"[url:value = 'http://x4z9arb.cn/4712']", "", "unsupported pattern: object path \"url:value\""},
		{"[network-traffic:dst_ref.value = '192.0.2.1']", "", "unsupported pattern: object path"},
		{"[ipv4-addr:value != '192.0.2.1']", "", "unsupported pattern: operator \"!=\""},
		{"[ipv4-addr:value LIKE '192.0.2.%']", "", "unsupported pattern: operator \"LIKE\""},
		{"[ipv4-addr:value = '2001:db8::1']", "", "is not of the pattern's type ipv4-addr:value"},
		{"[ipv4-addr:value = '192.0.2.300']", "", "bad address \"192.0.2.300\" in the pattern"},
		{"[ipv4-addr:value = '192.0.2.1'", "", "malformed pattern: want \"]\", got the end"},
		{"[ipv4-addr:value = '192.0.2.1]", "", "unterminated string"},
		{"", "", "malformed pattern: want [ or ("},
		{strings.Repeat("(", 40) + "[ipv4-addr:value = '192.0.2.1']" + strings.Repeat(")", 40), "", "nested deeper than 16"},
		{"[" + strings.Repeat("ipv4-addr:value = '192.0.2.1' OR ", 5000) + "ipv4-addr:value = '192.0.2.1']", "", "pattern longer than 65536 bytes"},
	}
	for _, c := range cases {
		ps, err := patternPrefixes(c.pattern)
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%.60s: error %v, want %q", c.pattern, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("%.60s: %q, %v; want %q", c.pattern, got, err, c.want)
		}
	}
}

func FuzzPatternPrefixes(f *testing.F) {
	f.Add("[ipv4-addr:value = '192.0.2.1' OR ipv6-addr:value = '2001:db8::/32']")
	f.Add("([ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value ISSUBSET '198.51.100.0/24'])")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := patternPrefixes(s)
		if err == nil && len(ps) == 0 {
			t.Errorf("%q: no error and no address", s)
		}
	})
}
