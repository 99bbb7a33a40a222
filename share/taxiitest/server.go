package taxiitest

import (
	"crypto/subtle"
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

// Media types of TAXII 2.1 (section 1.6.8).
const (
	MediaType     = "application/taxii+json;version=2.1"
	STIXMediaType = "application/stix+json;version=2.1"
)

// Defaults of Options.
const (
	DefaultAPIRoot          = "api1"
	DefaultCollection       = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
	DefaultMaxContentLength = 10 << 20
	DefaultPageSize         = 100
)

// timeLayout is TAXII's timestamp with microseconds, as servers give
// date_added.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Options configure a Server.
type Options struct {
	// APIRoot is the API root's path segment (DefaultAPIRoot).
	APIRoot string
	// Collection is the collection's id (DefaultCollection).
	Collection string
	// User and Password require HTTP Basic authentication; Token requires
	// a Bearer token. Either is accepted when both are set; with neither,
	// requests need no credentials.
	User, Password, Token string
	// ReadOnly makes the collection can_write false: a POST gets 403.
	ReadOnly bool
	// MaxContentLength is the API root's max_content_length: a bigger
	// request body gets 413 (DefaultMaxContentLength).
	MaxContentLength int
	// PageSize is the most objects in one page; a client's limit is
	// capped to it (DefaultPageSize).
	PageSize int
}

// Server is a TAXII 2.1 server with one API root and one collection. Its
// methods are safe for concurrent use.
type Server struct {
	// URL is the base URL (http://127.0.0.1:PORT) once Start has run.
	URL string

	opt Options

	mu        sync.Mutex
	objects   []*stored
	versions  map[[2]string]*stored // (id, version)
	statuses  map[string]*status
	envelopes [][]byte
	faults    []fault
	posts     int
	postTimes []time.Time // when each POST arrived
	requests  int
	lastAdded time.Time
	seq       int
}

// stored is one object version.
type stored struct {
	seq     int
	id      string
	typ     string
	spec    string
	version string
	added   time.Time
	raw     json.RawMessage
}

type fault struct {
	code       int
	retryAfter string
}

type status struct {
	ID               string           `json:"id"`
	Status           string           `json:"status"`
	RequestTimestamp string           `json:"request_timestamp"`
	TotalCount       int              `json:"total_count"`
	SuccessCount     int              `json:"success_count"`
	Successes        []map[string]any `json:"successes,omitempty"`
	FailureCount     int              `json:"failure_count"`
	Failures         []map[string]any `json:"failures,omitempty"`
	PendingCount     int              `json:"pending_count"`
}

// New returns a Server with opt; serve it with ServeHTTP. Its URL is
// empty: the links of the discovery resource are then relative to the
// request's host.
func New(opt Options) *Server {
	if opt.APIRoot == "" {
		opt.APIRoot = DefaultAPIRoot
	}
	if opt.Collection == "" {
		opt.Collection = DefaultCollection
	}
	if opt.MaxContentLength <= 0 {
		opt.MaxContentLength = DefaultMaxContentLength
	}
	if opt.PageSize <= 0 {
		opt.PageSize = DefaultPageSize
	}
	return &Server{opt: opt, versions: map[[2]string]*stored{}, statuses: map[string]*status{}}
}

// Start runs a Server with opt on a loopback port until the test ends.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	s := New(opt)
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// CollectionURL is the collection's URL, URL/API-ROOT/collections/ID/.
func (s *Server) CollectionURL() string {
	return s.URL + "/" + s.opt.APIRoot + "/collections/" + s.opt.Collection + "/"
}

// Fail makes the next n POSTs to the objects endpoint answer code (with a
// Retry-After header when retryAfter is not empty) and take nothing. Calls
// queue up: Fail(2, 429, "0") then Fail(1, 503, "") refuses three POSTs.
func (s *Server) Fail(n, code int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{code: code, retryAfter: retryAfter})
	}
}

// SetReadOnly switches the collection's can_write.
func (s *Server) SetReadOnly(ro bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opt.ReadOnly = ro
}

// SetMaxContentLength changes the API root's max_content_length.
func (s *Server) SetMaxContentLength(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opt.MaxContentLength = n
}

// Objects returns every object version stored, in the order added.
func (s *Server) Objects() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.objects))
	for _, o := range s.objects {
		var m map[string]any
		_ = json.Unmarshal(o.raw, &m) // stored only after it parsed
		out = append(out, m)
	}
	return out
}

// Envelopes returns the bodies of the POSTs the server took (202), in order.
func (s *Server) Envelopes() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.envelopes)
}

// Posts is the number of POSTs to the objects endpoint, taken or refused.
func (s *Server) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts
}

// PostTimes are the times the POSTs arrived, in order: what a client
// waited between them, whatever the load on the machine.
func (s *Server) PostTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.postTimes)
}

// Requests is the number of requests the server answered.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// fail writes a TAXII error message (section 3.6.1).
func fail(w http.ResponseWriter, code int, title, description string) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(code)
	e := map[string]any{"title": title, "http_status": strconv.Itoa(code)}
	if description != "" {
		e["description"] = description
	}
	_ = json.NewEncoder(w).Encode(e)
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// acceptsTAXII reports whether an Accept header takes TAXII 2.1 (section
// 1.6.8.1: without a version, the latest, which is 2.1 here).
func acceptsTAXII(h string) bool {
	for _, part := range strings.Split(h, ",") {
		mt, params, _ := strings.Cut(part, ";")
		if strings.TrimSpace(strings.ToLower(mt)) != "application/taxii+json" {
			continue
		}
		params = strings.ReplaceAll(strings.ToLower(params), " ", "")
		if params == "" || params == "version=2.1" || strings.HasPrefix(params, "version=2.1;") {
			return true
		}
	}
	return false
}

func isTAXII(contentType string) bool {
	mt, params, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(strings.ToLower(mt)) == "application/taxii+json" &&
		strings.ReplaceAll(strings.ToLower(params), " ", "") == "version=2.1"
}

// authorized checks the credentials; the comparisons take constant time.
func (s *Server) authorized(r *http.Request) bool {
	if s.opt.User == "" && s.opt.Token == "" {
		return true
	}
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if s.opt.User != "" {
		if u, p, ok := r.BasicAuth(); ok && eq(u, s.opt.User) && eq(p, s.opt.Password) {
			return true
		}
	}
	if s.opt.Token != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && eq(tok, s.opt.Token) {
			return true
		}
	}
	return false
}

// ServeHTTP answers one TAXII request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if !s.authorized(r) {
		if s.opt.User != "" {
			w.Header().Add("WWW-Authenticate", `Basic realm="taxii"`)
		}
		if s.opt.Token != "" {
			w.Header().Add("WWW-Authenticate", `Bearer realm="taxii"`)
		}
		fail(w, http.StatusUnauthorized, "authentication required", "missing or wrong credentials")
		return
	}
	if !acceptsTAXII(r.Header.Get("Accept")) {
		fail(w, http.StatusNotAcceptable, "not acceptable", "Accept must include "+MediaType)
		return
	}
	base := s.URL
	if base == "" {
		base = "http://" + r.Host
	}
	root := "/" + s.opt.APIRoot + "/"
	coll := root + "collections/" + s.opt.Collection + "/"
	path := r.URL.Path
	get := func(h func()) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			fail(w, http.StatusMethodNotAllowed, "method not allowed", "")
			return
		}
		h()
	}
	switch {
	case path == "/taxii2/":
		get(func() {
			reply(w, http.StatusOK, map[string]any{
				"title": "borderwatch TAXII 2.1 test server", "default": base + root, "api_roots": []string{base + root},
			})
		})
	case path == root:
		get(func() {
			reply(w, http.StatusOK, map[string]any{
				"title": "test API root", "versions": []string{MediaType}, "max_content_length": s.opt.MaxContentLength,
			})
		})
	case strings.HasPrefix(path, root+"status/"):
		get(func() {
			id := strings.TrimSuffix(strings.TrimPrefix(path, root+"status/"), "/")
			st, ok := s.statuses[id]
			if !ok {
				fail(w, http.StatusNotFound, "no such status", "")
				return
			}
			reply(w, http.StatusOK, st)
		})
	case path == root+"collections/":
		get(func() { reply(w, http.StatusOK, map[string]any{"collections": []any{s.collection()}}) })
	case path == coll:
		get(func() { reply(w, http.StatusOK, s.collection()) })
	case path == coll+"objects/":
		switch r.Method {
		case http.MethodGet:
			s.getObjects(w, r, "", false)
		case http.MethodPost:
			s.post(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			fail(w, http.StatusMethodNotAllowed, "method not allowed", "")
		}
	case path == coll+"manifest/":
		get(func() { s.getObjects(w, r, "", true) })
	case strings.HasPrefix(path, coll+"objects/") && strings.Count(strings.TrimPrefix(path, coll+"objects/"), "/") == 1 &&
		strings.HasSuffix(path, "/"):
		get(func() { s.getObjects(w, r, strings.TrimSuffix(strings.TrimPrefix(path, coll+"objects/"), "/"), false) })
	default:
		fail(w, http.StatusNotFound, "not found", "no such TAXII resource")
	}
}

func (s *Server) collection() map[string]any {
	return map[string]any{
		"id": s.opt.Collection, "title": "borderwatch test collection",
		"can_read": true, "can_write": !s.opt.ReadOnly, "media_types": []string{STIXMediaType},
	}
}

// post adds an envelope's objects (section 5.5).
func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	s.posts++
	s.postTimes = append(s.postTimes, time.Now())
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		fail(w, f.code, http.StatusText(f.code), "refused by the test (Fail)")
		return
	}
	if s.opt.ReadOnly {
		fail(w, http.StatusForbidden, "forbidden", "the collection is read-only (can_write false)")
		return
	}
	if !isTAXII(r.Header.Get("Content-Type")) {
		fail(w, http.StatusUnsupportedMediaType, "unsupported media type", "Content-Type must be "+MediaType)
		return
	}
	if r.ContentLength > int64(s.opt.MaxContentLength) {
		fail(w, http.StatusRequestEntityTooLarge, "request too large", "more than max_content_length "+strconv.Itoa(s.opt.MaxContentLength))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.opt.MaxContentLength)+1))
	if err != nil {
		fail(w, http.StatusBadRequest, "reading the request", "")
		return
	}
	if len(body) > s.opt.MaxContentLength {
		fail(w, http.StatusRequestEntityTooLarge, "request too large", "more than max_content_length "+strconv.Itoa(s.opt.MaxContentLength))
		return
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Objects == nil {
		fail(w, http.StatusUnprocessableEntity, "not an envelope", `the body must be {"objects": [...]}`)
		return
	}
	now := s.addedNow()
	st := &status{
		ID: fmt.Sprintf("2d086da7-4bdc-4f91-900e-%012d", len(s.statuses)+1), Status: "complete",
		RequestTimestamp: now.Format(timeLayout), TotalCount: len(env.Objects),
	}
	for _, raw := range env.Objects {
		id, version, err := s.store(raw, now)
		if err != nil {
			st.FailureCount++
			st.Failures = append(st.Failures, map[string]any{"id": id, "message": err.Error()})
			continue
		}
		st.SuccessCount++
		st.Successes = append(st.Successes, map[string]any{"id": id, "version": version})
	}
	s.statuses[st.ID] = st
	s.envelopes = append(s.envelopes, body)
	reply(w, http.StatusAccepted, st)
}

// store adds one object version (once: a version already held is a
// success that changes nothing) and returns its id and version.
func (s *Server) store(raw json.RawMessage, now time.Time) (id, version string, err error) {
	var o struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Spec     string `json:"spec_version"`
		Modified string `json:"modified"`
		Created  string `json:"created"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.ID == "" || o.Type == "" || !strings.HasPrefix(o.ID, o.Type+"--") {
		return o.ID, "", errors.New("not a STIX object with a type and a matching id")
	}
	version = o.Modified
	if version == "" {
		version = o.Created
	}
	if version == "" {
		version = now.Format(timeLayout)
	}
	key := [2]string{o.ID, version}
	if _, dup := s.versions[key]; !dup {
		s.seq++
		so := &stored{seq: s.seq, id: o.ID, typ: o.Type, spec: o.Spec, version: version, added: now, raw: slices.Clone(raw)}
		if so.spec == "" {
			so.spec = "2.0" // section 3.4.2: no spec_version is STIX 2.0
		}
		s.objects = append(s.objects, so)
		s.versions[key] = so
	}
	return o.ID, version, nil
}

// Add stores objects as one POST would (one date_added for them all),
// without a request: to seed a collection for a client's tests (indicators
// with valid_until, revoked versions, …). It returns the first object it
// could not take.
func (s *Server) Add(objects ...map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.addedNow()
	for i, o := range objects {
		raw, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("object %d: %w", i, err)
		}
		if _, _, err := s.store(raw, now); err != nil {
			return fmt.Errorf("object %d: %w", i, err)
		}
	}
	return nil
}

// addedNow is the date_added of the next request: strictly after the last
// one, so that added_after pages never skip or repeat.
func (s *Server) addedNow() time.Time {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if !now.After(s.lastAdded) {
		now = s.lastAdded.Add(time.Microsecond)
	}
	s.lastAdded = now
	return now
}

// getObjects answers the objects, object (id set) and manifest endpoints:
// the matching versions in the order added, one page at a time.
func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, id string, manifest bool) {
	q := r.URL.Query()
	limit := s.opt.PageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			fail(w, http.StatusBadRequest, "bad limit", "limit must be a positive integer")
			return
		}
		limit = min(n, s.opt.PageSize)
	}
	after := 0
	if v := q.Get("next"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fail(w, http.StatusBadRequest, "bad next", "next is not one this server gave")
			return
		}
		after = n
	}
	var addedAfter time.Time
	if v := q.Get("added_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			fail(w, http.StatusBadRequest, "bad added_after", "added_after must be a timestamp")
			return
		}
		addedAfter = t
	}
	list := func(key string) []string {
		v := q.Get(key)
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	ids, types, specs := list("match[id]"), list("match[type]"), list("match[spec_version]")
	if id != "" {
		ids = []string{id}
	}
	if specs == nil {
		specs = []string{"2.1"} // section 3.4.2: the latest by default
	}
	versions := list("match[version]")
	if versions == nil {
		versions = []string{"last"}
	}
	// The first and last version of each id.
	firstV, lastV := map[string]*stored{}, map[string]*stored{}
	for _, o := range s.objects {
		if f := firstV[o.id]; f == nil || o.version < f.version {
			firstV[o.id] = o
		}
		if l := lastV[o.id]; l == nil || o.version > l.version {
			lastV[o.id] = o
		}
	}
	var match []*stored
	for _, o := range s.objects {
		if o.seq <= after || !o.added.After(addedAfter) ||
			ids != nil && !slices.Contains(ids, o.id) || types != nil && !slices.Contains(types, o.typ) ||
			!slices.Contains(specs, o.spec) {
			continue
		}
		keep := false
		for _, v := range versions {
			switch v {
			case "all":
				keep = true
			case "last":
				keep = keep || lastV[o.id] == o
			case "first":
				keep = keep || firstV[o.id] == o
			default:
				keep = keep || v == o.version
			}
		}
		if keep {
			match = append(match, o)
		}
	}
	if id != "" && len(match) == 0 && after == 0 {
		fail(w, http.StatusNotFound, "no such object", "")
		return
	}
	page := match[:min(limit, len(match))]
	env := map[string]any{}
	if len(page) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", page[0].added.Format(timeLayout))
		w.Header().Set("X-TAXII-Date-Added-Last", page[len(page)-1].added.Format(timeLayout))
		if manifest {
			recs := make([]map[string]any, len(page))
			for i, o := range page {
				recs[i] = map[string]any{"id": o.id, "date_added": o.added.Format(timeLayout), "version": o.version, "media_type": STIXMediaType}
			}
			env["objects"] = recs
		} else {
			objs := make([]json.RawMessage, len(page))
			for i, o := range page {
				objs[i] = o.raw
			}
			env["objects"] = objs
		}
		env["more"] = len(match) > len(page)
		if len(match) > len(page) {
			env["next"] = strconv.Itoa(page[len(page)-1].seq)
		}
	}
	reply(w, http.StatusOK, env)
}
