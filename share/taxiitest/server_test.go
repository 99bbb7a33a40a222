package taxiitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// do sends one request with the TAXII headers and Basic auth u:p (none
// when u is empty) and returns the status, the headers and the body.
func do(t *testing.T, method, url, u, p, accept, ctype string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if u != "" {
		req.SetBasicAuth(u, p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: HTTP %d, body is not a JSON object: %q", method, url, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != MediaType {
		t.Errorf("%s %s: content type %q, want %s", method, url, ct, MediaType)
	}
	return resp.StatusCode, resp.Header, m
}

func obj(typ, n, modified string) map[string]any {
	o := map[string]any{"type": typ, "spec_version": "2.1", "id": fmt.Sprintf("%s--00000000-0000-4000-8000-%012s", typ, n)}
	if modified != "" {
		o["created"], o["modified"] = "2026-01-01T00:00:00.000Z", modified
	}
	return o
}

func envelope(t *testing.T, objs ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"objects": objs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEndpoints(t *testing.T) {
	s := Start(t, Options{User: "u", Password: "p"})
	root := s.URL + "/api1/"
	coll := s.CollectionURL()
	for _, tc := range []struct {
		name, url string
		want      map[string]any // fields the reply must have
	}{
		{"discovery", s.URL + "/taxii2/", map[string]any{"default": root, "api_roots": []any{root}}},
		{"api root", root, map[string]any{"versions": []any{MediaType}, "max_content_length": float64(DefaultMaxContentLength)}},
		{"collection", coll, map[string]any{"id": DefaultCollection, "can_read": true, "can_write": true, "media_types": []any{STIXMediaType}}},
		{"empty objects", coll + "objects/", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, got := do(t, http.MethodGet, tc.url, "u", "p", MediaType, "", nil)
			if code != http.StatusOK {
				t.Fatalf("HTTP %d %v", code, got)
			}
			for k, v := range tc.want {
				if fmt.Sprint(got[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if len(tc.want) == 0 && len(got) != 0 {
				t.Errorf("got %v, want an empty envelope", got)
			}
		})
	}
	code, _, got := do(t, http.MethodGet, root+"collections/", "u", "p", MediaType, "", nil)
	if cs, _ := got["collections"].([]any); code != 200 || len(cs) != 1 || cs[0].(map[string]any)["id"] != DefaultCollection {
		t.Errorf("collections: HTTP %d %v", code, got)
	}
}

func TestRefusals(t *testing.T) {
	s := Start(t, Options{User: "u", Password: "p", MaxContentLength: 200})
	objects := s.CollectionURL() + "objects/"
	small := envelope(t, obj("indicator", "1", "2026-01-01T00:00:00.000Z"))
	big := envelope(t, obj("indicator", "1", "2026-01-01T00:00:00.000Z"), obj("indicator", "2", "2026-01-01T00:00:00.000Z"))
	for _, tc := range []struct {
		name, method, url, user, accept, ctype string
		body                                   []byte
		code                                   int
	}{
		{"no credentials", "GET", objects, "", MediaType, "", nil, 401},
		{"wrong password", "POST", objects, "x", MediaType, MediaType, small, 401},
		{"accept json", "GET", objects, "u", "application/json", "", nil, 406},
		{"accept taxii 2.0", "GET", objects, "u", "application/taxii+json;version=2.0", "", nil, 406},
		{"content type json", "POST", objects, "u", MediaType, "application/json", small, 415},
		{"too large", "POST", objects, "u", MediaType, MediaType, big, 413},
		{"not an envelope", "POST", objects, "u", MediaType, MediaType, []byte(`[1]`), 422},
		{"unknown collection", "GET", s.URL + "/api1/collections/nope/objects/", "u", MediaType, "", nil, 404},
		{"delete", "DELETE", objects, "u", MediaType, "", nil, 405},
		{"bad limit", "GET", objects + "?limit=0", "u", MediaType, "", nil, 400},
		{"bad next", "GET", objects + "?next=x", "u", MediaType, "", nil, 400},
		{"unknown object", "GET", objects + "indicator--00000000-0000-4000-8000-000000000009/", "u", MediaType, "", nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pass := "p"
			if tc.user == "x" {
				tc.user, pass = "u", "wrong"
			}
			code, h, got := do(t, tc.method, tc.url, tc.user, pass, tc.accept, tc.ctype, tc.body)
			if code != tc.code || got["http_status"] != fmt.Sprint(tc.code) || got["title"] == "" {
				t.Errorf("HTTP %d %v, want %d with a TAXII error message", code, got, tc.code)
			}
			if code == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("401 without WWW-Authenticate: %v", h)
			}
		})
	}
	if n := len(s.Objects()); n != 0 {
		t.Errorf("%d objects stored after refusals only", n)
	}

	s.SetReadOnly(true)
	code, _, got := do(t, "POST", objects, "u", "p", MediaType, MediaType, small)
	if code != 403 {
		t.Errorf("read-only collection: HTTP %d %v, want 403", code, got)
	}
	s.SetReadOnly(false)
	s.Fail(1, http.StatusTooManyRequests, "7")
	code, h, _ := do(t, "POST", objects, "u", "p", MediaType, MediaType, small)
	if code != 429 || h.Get("Retry-After") != "7" {
		t.Errorf("Fail: HTTP %d Retry-After %q, want 429 and 7", code, h.Get("Retry-After"))
	}
	code, _, _ = do(t, "POST", objects, "u", "p", MediaType, MediaType, small)
	// Posts counted: 415, 413, 422, 403, 429, 202 (the 401s never reach the endpoint).
	if code != 202 || s.Posts() != 6 || len(s.Envelopes()) != 1 {
		t.Errorf("after the fault: HTTP %d, %d posts, %d envelopes; want 202, 6, 1", code, s.Posts(), len(s.Envelopes()))
	}
}

// TestVersionsAndPages posts versions of objects, a duplicate and a bad
// object, and reads them back by version filter, page, manifest, object
// endpoint and status resource.
func TestVersionsAndPages(t *testing.T) {
	s := Start(t, Options{Token: "tok", PageSize: 3})
	c := &Client{Token: "tok"}
	post := func(objs ...map[string]any) map[string]any {
		req, _ := http.NewRequest("POST", s.CollectionURL()+"objects/", bytes.NewReader(envelope(t, objs...)))
		req.Header.Set("Accept", MediaType)
		req.Header.Set("Content-Type", MediaType)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st map[string]any
		json.NewDecoder(resp.Body).Decode(&st)
		if resp.StatusCode != 202 {
			t.Fatalf("POST: HTTP %d %v", resp.StatusCode, st)
		}
		return st
	}
	st := post(obj("indicator", "1", "2026-01-01T00:00:00.000Z"), obj("indicator", "2", "2026-01-01T00:00:00.000Z"),
		map[string]any{"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000003", "value": "203.0.113.7"},
		map[string]any{"type": "indicator"}) // no id: a failure
	if st["status"] != "complete" || st["total_count"] != 4.0 || st["success_count"] != 3.0 || st["failure_count"] != 1.0 || st["pending_count"] != 0.0 {
		t.Errorf("status %v, want 4 total, 3 successes, 1 failure", st)
	}
	post(obj("indicator", "1", "2026-02-01T00:00:00.000Z"), obj("indicator", "2", "2026-01-01T00:00:00.000Z")) // new version, duplicate
	post(obj("sighting", "4", "2026-01-01T00:00:00.000Z"), obj("sighting", "5", "2026-01-01T00:00:00.000Z"))

	if n := len(s.Objects()); n != 6 {
		t.Errorf("%d versions stored, want 6 (the duplicate once)", n)
	}
	ids := func(objs []map[string]any) string {
		var l []string
		for _, o := range objs {
			id := o["id"].(string)
			m, _ := o["modified"].(string)
			if len(m) > 7 {
				m = m[5:7]
			}
			l = append(l, id[len(id)-1:]+"@"+m)
		}
		return strings.Join(l, " ")
	}
	got, pages, err := c.ReadAll(context.Background(), s.CollectionURL(), 2)
	// Last versions in the order added: 2, 3 (no modified), 1 (Feb), 4, 5.
	if want := "2@01 3@ 1@02 4@01 5@01"; err != nil || ids(got) != want || pages != 3 {
		t.Errorf("ReadAll: %q in %d pages (%v), want %q in 3", ids(got), pages, err, want)
	}
	got, pages, _ = c.ReadAll(context.Background(), s.CollectionURL(), 100) // capped to the page size 3
	if pages != 2 || len(got) != 5 {
		t.Errorf("limit above the page size: %d objects in %d pages, want 5 in 2", len(got), pages)
	}
	for _, tc := range []struct{ query, want string }{
		{"match[version]=all", "1@01 2@01 3@ 1@02 4@01 5@01"},
		{"match[version]=first&match[type]=indicator", "1@01 2@01"},
		{"match[id]=indicator--00000000-0000-4000-8000-000000000001&match[version]=all", "1@01 1@02"},
		{"match[version]=2026-02-01T00:00:00.000Z", "1@02"},
		{"match[spec_version]=2.0", ""},
	} {
		var objs []map[string]any
		for next := ""; ; { // pages of at most 3
			q, _ := url.ParseQuery(tc.query + "&next=" + next)
			p, err := c.GetPage(context.Background(), s.CollectionURL(), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Objects {
				var o map[string]any
				json.Unmarshal(r, &o)
				objs = append(objs, o)
			}
			if !p.More {
				break
			}
			next = p.Next
		}
		if ids(objs) != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, ids(objs), tc.want)
		}
	}

	// added_after from the first page's X-TAXII-Date-Added-Last.
	req, _ := http.NewRequest("GET", s.CollectionURL()+"manifest/?limit=2", nil)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		More    bool             `json:"more"`
		Objects []map[string]any `json:"objects"`
	}
	json.NewDecoder(resp.Body).Decode(&man)
	resp.Body.Close()
	last := resp.Header.Get("X-TAXII-Date-Added-Last")
	if len(man.Objects) != 2 || !man.More || man.Objects[0]["media_type"] != STIXMediaType || man.Objects[0]["version"] != "2026-01-01T00:00:00.000Z" || last == "" {
		t.Errorf("manifest %+v, date added last %q", man, last)
	}
	q := url.Values{"added_after": {last}}
	p, err := c.GetPage(context.Background(), s.CollectionURL(), q)
	if err != nil || len(p.Objects) != 3 { // the second and third posts: 1@02, 4, 5
		t.Errorf("added_after the first post: %d objects (%v), want 3", len(p.Objects), err)
	}

	code, _, one := doBearer(t, s.CollectionURL()+"objects/indicator--00000000-0000-4000-8000-000000000001/?match[version]=all")
	if objs, _ := one["objects"].([]any); code != 200 || len(objs) != 2 {
		t.Errorf("object endpoint: HTTP %d, %v; want both versions", code, one)
	}
	code, _, sr := doBearer(t, s.URL+"/api1/status/"+st["id"].(string)+"/")
	if code != 200 || sr["id"] != st["id"] || sr["success_count"] != 3.0 {
		t.Errorf("status resource: HTTP %d %v", code, sr)
	}
}

func doBearer(t *testing.T, u string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, resp.Header, m
}

// TestAdd seeds a collection without a request; a bad object is refused.
func TestAdd(t *testing.T) {
	s := Start(t, Options{})
	if err := s.Add(obj("indicator", "1", "2026-01-01T00:00:00.000Z"), obj("indicator", "1", "2026-03-01T00:00:00.000Z")); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(map[string]any{"type": "indicator", "id": "malware--00000000-0000-4000-8000-000000000001"}); err == nil || err.Error() != "object 0: not a STIX object with a type and a matching id" {
		t.Errorf("mismatched id: %v", err)
	}
	got, _, err := (&Client{}).ReadAll(context.Background(), s.CollectionURL(), 0)
	if err != nil || len(got) != 1 || got[0]["modified"] != "2026-03-01T00:00:00.000Z" || s.Posts() != 0 {
		t.Errorf("read %v (%v), %d posts; want the March version only, no posts", got, err, s.Posts())
	}
}
