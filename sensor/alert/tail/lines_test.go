package tail

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseLines: --lines is a count from 0 to MaxLines or "all".
func TestParseLines(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "10": 10, "1000000": MaxLines, "all": All} {
		if n, err := ParseLines(in); err != nil || n != want {
			t.Errorf("ParseLines(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"-1", "1000001", "ten", "", "ALL"} {
		if _, err := ParseLines(in); err == nil || err.Error() != `--lines "`+in+`": want 0 to 1000000, or all` {
			t.Errorf("ParseLines(%q): %v", in, err)
		}
	}
}

// TestShow: standard input to its end with the summary of what was
// skipped on Notes; --follow on standard input, bad options and a file
// that cannot be opened are an *InputError.
func TestShow(t *testing.T) {
	var out, notes strings.Builder
	err := Show(context.Background(), &out, strings.NewReader("not json\n"), "-", Options{Lines: All, Notes: &notes})
	if err != nil || out.String() != "" || !strings.HasSuffix(notes.String(), "tail: skipped 1 line: 1 not JSON\n") {
		t.Errorf("stdin: %v, out %q, notes %q", err, out.String(), notes.String())
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	for name, c := range map[string]struct {
		path string
		opt  Options
		want string
	}{
		"follow stdin": {"-", Options{Follow: true}, "--follow needs a FILE, not standard input"},
		"bad lines":    {"-", Options{Lines: -2}, "--lines -2: want 0 to 1000000, or all"},
		"missing":      {missing, Options{}, "open " + missing + ": no such file or directory"},
	} {
		var ie *InputError
		err := Show(context.Background(), io.Discard, strings.NewReader(""), c.path, c.opt)
		if !errors.As(err, &ie) || err.Error() != c.want {
			t.Errorf("%s: %v (%T), want *InputError %q", name, err, err, c.want)
		}
	}
}
