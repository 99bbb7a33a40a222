package tail

import (
	"io"
	"strings"
	"testing"
)

// BenchmarkTail reads an alert file (EVE and ECS lines alternating) and
// formats every alert, as `borderwatch tail -n all FILE` does.
func BenchmarkTail(b *testing.B) {
	in := strings.Join(mixed(b, 1000), "")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		tl, err := New(io.Discard, Options{Lines: All})
		if err != nil {
			b.Fatal(err)
		}
		if err := tl.Reader("bench", strings.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
