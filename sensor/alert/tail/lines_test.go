package tail

import "testing"

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
