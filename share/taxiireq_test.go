package share

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// TestNewTAXIIRequest: the TAXII media type in Accept, in Content-Type only
// with a body; a token wins over a user; no credentials without either.
func TestNewTAXIIRequest(t *testing.T) {
	const u = "https://taxii.test/api/collections/c1/objects/"
	for _, c := range []struct {
		name                  string
		method                string
		body                  []byte
		user, password, token string
		ctype, auth           string
	}{
		{"post with token", http.MethodPost, []byte(`{"objects":[]}`), "alice", "pw", "tok", TAXIIMediaType, "Bearer tok"},
		{"get with basic", http.MethodGet, nil, "alice", "pw", "", "", "Basic YWxpY2U6cHc="},
		{"anonymous", http.MethodGet, nil, "", "", "", "", ""},
	} {
		req, err := NewTAXIIRequest(context.Background(), c.method, u, c.body, c.user, c.password, c.token)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if req.Method != c.method || req.URL.String() != u || req.Header.Get("Accept") != TAXIIMediaType ||
			req.Header.Get("Content-Type") != c.ctype || req.Header.Get("Authorization") != c.auth {
			t.Errorf("%s: %s %s %v", c.name, req.Method, req.URL, req.Header)
		}
		var got []byte
		if req.Body != nil {
			got, _ = io.ReadAll(req.Body)
		}
		if string(got) != string(c.body) {
			t.Errorf("%s: body %q", c.name, got)
		}
	}
	if _, err := NewTAXIIRequest(context.Background(), "BAD METHOD", u, nil, "", "", ""); err == nil {
		t.Error("a bad method: no error")
	}
}
