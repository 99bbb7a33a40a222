package redact

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"redis://:s3cret@127.0.0.1:6379/0?mode=lpush", "redis://:xxxxx@127.0.0.1:6379/0?mode=lpush"},
		{"redis://user:s3cret@h/1", "redis://user:xxxxx@h/1"},
		{"redis://tok3n@h", "redis://xxxxx@h"},
		{"redis://u:p@ss/w@h:1/0", "redis://u:xxxxx@h:1/0"},
		{"https://u:pa%2Fss%40w0rd%25@h/p", "https://u:xxxxx@h/p"},
		{"https://u:50%off@h/p", "https://u:xxxxx@h/p"},
		{"kafka://k1/t?password=x&key=flow_id&api_token=y", "kafka://k1/t?password=xxxxx&key=flow_id&api_token=xxxxx"},
		{"taxii://h/r/?token_env=T&password_file=/etc/pw&token=x", "taxii://h/r/?token_env=T&password_file=/etc/pw&token=xxxxx"},
		{"http://h/metrics#tok3n", "http://h/metrics#xxxxx"},
		{"file:/var/log/a@b.json?max_bytes=5", "file:/var/log/a@b.json?max_bytes=5"},
		// An unencoded "?" or "#" in the password does not start the
		// query or fragment before the "@".
		{"redis://:pa?ss@127.0.0.1:6379/0?mode=lpush", "redis://:xxxxx@127.0.0.1:6379/0?mode=lpush"},
		{"redis://u:pa#ss@h:1/0", "redis://u:xxxxx@h:1/0"},
		{"redis://tok?3n@h", "redis://xxxxx@h"},
		{"https://h/p?to=ops@example.org", "https://h/p?to=ops@example.org"},
		{"redis://127.0.0.1:6379?key=bw@site1", "redis://127.0.0.1:6379?key=bw@site1"},
		{"syslog+tcp://h:514?tag=a@b", "syslog+tcp://h:514?tag=a@b"},
		{"https://u:1234?x@h/p", "https://u:xxxxx@h/p"}, // parses (host u, port 1234), but no parameter
		{"stdout", "stdout"},
		{"", ""},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestForeignURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://feeduser:s3cret@lists.example/drop.txt", "https://xxxxx@lists.example/drop.txt"},
		{"https://lists.example/l?api_key=K3Y&x=1", "https://lists.example/l?api_key=xxxxx&x=xxxxx"},
		{"https://lists.example/l?K3YONLY", "https://lists.example/l?xxxxx"},
		{"https://u:p/w@x%zz@lists.example:8443/a/b?key=1#f", "https://xxxxx@lists.example:8443/a/b?key=xxxxx#xxxxx"},
		{"https://lists.example/a/b", "https://lists.example/a/b"},
		{"https://u:pa?ss@lists.example/l?k=v", "https://xxxxx@lists.example/l?k=xxxxx"},
		{"https://u:pa#ss@lists.example", "https://xxxxx@lists.example"},
	} {
		if got := ForeignURL(tc.in); got != tc.want {
			t.Errorf("ForeignURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestErrorURLError: a *url.Error's URL is redacted wherever it sits in
// the chain, its host and path stay, and the cause still matches.
func TestErrorURLError(t *testing.T) {
	raw := "https://op:pa/ss@wd@203.0.113.5:8443/feeds/drop.txt?token=T0KENVALUE"
	ue := &url.Error{Op: "Get", URL: raw, Err: context.DeadlineExceeded}
	for name, err := range map[string]error{
		"bare":    ue,
		"wrapped": fmt.Errorf("fetching list l1: %w", ue),
		"nested":  &url.Error{Op: "Get", URL: raw, Err: fmt.Errorf("redirect: %w", &url.Error{Op: "Get", URL: raw, Err: context.DeadlineExceeded})},
	} {
		t.Run(name, func(t *testing.T) {
			got := Error(err)
			msg := got.Error()
			for _, secret := range []string{"pa/ss@wd", "T0KENVALUE", "op:"} {
				if strings.Contains(msg, secret) {
					t.Errorf("%q shows %q", msg, secret)
				}
			}
			if !strings.Contains(msg, `"https://xxxxx@203.0.113.5:8443/feeds/drop.txt?token=xxxxx"`) {
				t.Errorf("%q lost the host and path", msg)
			}
			if !errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("%q no longer unwraps to its cause", msg)
			}
			var back *url.Error
			if errors.As(got, &back) {
				t.Errorf("%q unwraps to a *url.Error quoting %q", msg, back.URL)
			}
		})
	}
	if want := `fetching list l1: Get "https://xxxxx@203.0.113.5:8443/feeds/drop.txt?token=xxxxx": context deadline exceeded`; Error(fmt.Errorf("fetching list l1: %w", ue)).Error() != want {
		t.Errorf("wrapped: got %q, want %q", Error(fmt.Errorf("fetching list l1: %w", ue)), want)
	}
}

// TestErrorHTTPClient: the errors of a real request (a refused
// connection) with a user-only userinfo, which net/http leaves as it is.
func TestErrorHTTPClient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	_, err := http.Get("http://T0KENUSER@" + addr + "/x?sig=S1GNATURE")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	msg := Error(err).Error()
	if strings.Contains(msg, "T0KENUSER") || strings.Contains(msg, "S1GNATURE") || !strings.Contains(msg, "http://xxxxx@"+addr+"/x?sig=xxxxx") {
		t.Errorf("got %q", msg)
	}
}

// TestErrorNamedURL: a parse error quotes the URL and pieces of its
// password; both are scrubbed.
func TestErrorNamedURL(t *testing.T) {
	raw := strings.Join([]string{"redis://:s3", "%zz", "cret@127.0.0.1:6379/0"}, "")
	_, perr := url.Parse(raw)
	if perr == nil {
		t.Fatal("no parse error")
	}
	msg := Error(fmt.Errorf("output %q: %w", raw, perr), raw).Error()
	if strings.Contains(msg, "s3%zzcret") || strings.Contains(msg, "cret") || !strings.Contains(msg, "127.0.0.1:6379/0") {
		t.Errorf("got %q", msg)
	}
	plain := errors.New("no URL here")
	if Error(plain, raw) != plain || Error(nil) != nil {
		t.Error("an error quoting no URL changed")
	}
}

// TestErrorCauseQuotingSecret: a cause whose own text quotes a secret of
// the URL is not reachable by unwrapping the result.
func TestErrorCauseQuotingSecret(t *testing.T) {
	raw := "https://feeds.example/l?token=T0KEN-VALUE"
	inner := errors.New("server rejected token T0KEN-VALUE")
	got := Error(&url.Error{Op: "Get", URL: raw, Err: inner})
	if strings.Contains(got.Error(), "T0KEN-VALUE") || errors.Unwrap(got) != nil {
		t.Errorf("got %q, unwraps to %v", got, errors.Unwrap(got))
	}
	if want := `Get "https://feeds.example/l?token=xxxxx": server rejected token xxxxx`; got.Error() != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestErrorUnencodedPassword: a password with an unencoded "?" or "#"
// makes the URL fail to parse, and the parse error quotes the URL (whole,
// or cut at the "#") and a piece of the password as the port: none of it
// is shown.
func TestErrorUnencodedPassword(t *testing.T) {
	for _, raw := range []string{
		"redis://:Sup3r?Secret@127.0.0.1:6379/0",
		"redis://admin:Sup3r#Secret@127.0.0.1:6379/0",
		"https://admin:Sup3r?Sec#ret9@hooks.example/x",
	} {
		_, perr := url.Parse(raw)
		if perr == nil {
			t.Fatalf("%s parses", raw)
		}
		msg := Error(fmt.Errorf("output %q: %w", raw, perr), raw).Error()
		for _, secret := range []string{"Sup3r", "Secret", "ret9"} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s: %q shows %q", raw, msg, secret)
			}
		}
		if !strings.Contains(msg, "xxxxx@") {
			t.Errorf("%s: %q lost where it points", raw, msg)
		}
	}
}
