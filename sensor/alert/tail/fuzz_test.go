package tail

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseFormat: whatever a line holds, Parse does not panic, and the
// line Format prints of what it accepts is one line, bounded, without a
// control character.
func FuzzParseFormat(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.TrimSpace(b))
	}
	f.Add([]byte(`{"event_type":"alert","timestamp":"2026-11-25T22:21:25.123456+0000","alert":{"signature":"\u001b[2J\u202e"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r Record
		if Parse(line, &r) != nil {
			return
		}
		out := Format(nil, &r, false)
		if len(out) > 16<<10 { // about 1000 runes, each at most 10 bytes escaped
			t.Fatalf("%d bytes printed", len(out))
		}
		if i := bytes.IndexByte(out, '\n'); i != len(out)-1 {
			t.Fatalf("newline at %d of %d: %q", i, len(out), out)
		}
		for _, c := range out[:len(out)-1] {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control byte %#x in %q", c, out)
			}
		}
	})
}
