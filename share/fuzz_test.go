package share

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary bytes as an alert file: Read never panics, a
// bad line's reason never quotes the input, and whatever is shared makes
// a bundle and an event.
func FuzzRead(f *testing.F) {
	for _, p := range []string{sample, mixed} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("{\"event_type\":\"alert\",\"timestamp\":\"2026-11-25T22:21:27.014000+0000\",\"src_ip\":\"203.0.113.1\",\"alert\":{\"metadata\":{\"geo_direction\":[\"inbound\"]}}}\n"))
	f.Add([]byte("{\"@timestamp\":\"2026-11-25T22:21:25Z\",\"ecs\":{\"version\":\"8.17.0\"},\"event\":{\"kind\":\"alert\"},\"source\":{\"ip\":\"203.0.113.7\"},\"borderwatch\":{\"geo_direction\":\"inbound\"}}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(Options{MaxLineBytes: 4096, MaxAddresses: 64})
		if err := r.ReadFrom("fuzz", bytes.NewReader(in)); err != nil && !strings.Contains(err.Error(), "too many distinct addresses") {
			t.Fatalf("ReadFrom: %v", err)
		}
		res := r.Result()
		for _, b := range res.Bad {
			if len(b.Reason) > 200 {
				t.Errorf("reason of %d bytes: %.80q", len(b.Reason), b.Reason)
			}
		}
		if _, err := STIX(res, STIXOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := MISP(res, MISPOptions{}); err != nil && err != ErrNothingToShare {
			t.Fatal(err)
		}
	})
}
