package sink

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

func entries(ss ...string) []*[]byte {
	out := make([]*[]byte, len(ss))
	for i, s := range ss {
		b := []byte(s)
		out[i] = &b
	}
	return out
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// TestSpool covers the cap, replay in batches, truncation when done,
// compaction at close and a torn last line at open.
func TestSpool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s, err := openSpool(path, 12)
	if err != nil {
		t.Fatal(err)
	}
	// "aaa\n" "bbb\n" "ccc\n" fill the 12 bytes; "dd" does not fit.
	n, err := s.append(entries("aaa", "bbb", "ccc", "dd"))
	if err != nil || n != 3 || s.sizeNow() != 12 {
		t.Fatalf("append = %d, %v, size %d; want 3, nil, 12", n, err, s.sizeNow())
	}
	got, err := s.next(2, nil)
	if err != nil || !slices.Equal(strs(got), []string{"aaa", "bbb"}) {
		t.Fatalf("next = %q, %v", strs(got), err)
	}
	// Not advanced: the same batch comes again (a failed delivery).
	s.closeReader()
	if got, _ = s.next(2, nil); !slices.Equal(strs(got), []string{"aaa", "bbb"}) {
		t.Fatalf("next after failed delivery = %q", strs(got))
	}
	s.advance(2)
	if !s.pending() {
		t.Fatal("ccc is still pending")
	}
	s.close() // compacts: only ccc remains
	if b, _ := os.ReadFile(path); string(b) != "ccc\n" {
		t.Fatalf("after close the spool holds %q, want ccc", b)
	}

	// A crash mid-append leaves a torn line; it is cut at open.
	if err := os.WriteFile(path, []byte("ccc\n{\"torn"), 0o640); err != nil {
		t.Fatal(err)
	}
	s, err = openSpool(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if got, _ = s.next(10, nil); !slices.Equal(strs(got), []string{"ccc"}) {
		t.Fatalf("after a torn line: %q", strs(got))
	}
	s.advance(1)
	if s.pending() || s.sizeNow() != 0 {
		t.Errorf("fully replayed spool: pending %v, size %d; want empty", s.pending(), s.sizeNow())
	}
	if st, _ := os.Stat(path); st.Size() != 0 {
		t.Errorf("spool file is %d bytes, want truncated", st.Size())
	}
}

// TestStreamOutput checks the stdout kind of output writes each alert as a
// line, ECS here.
func TestStreamOutput(t *testing.T) {
	var buf bytes.Buffer
	o, err := newOutput("stdout", "stdout", &Common{Format: "ecs"}, &streamBackend{w: &buf}, SpoolConfig{}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	a := testAlert(3, 1)
	o.Write(a)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	want, _ := alert.AppendECS(nil, a)
	if buf.String() != string(want) {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}
