package geo_test

import (
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

func TestClosest(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, tc := range []struct {
		name, s    string
		candidates []string
		want       string
		wantD      int
	}{
		{"no candidates", "x", nil, "", -1},
		{"exact, case ignored", "NATO", []string{"europe", "nato"}, "nato", 0},
		{"transposition counts once", "eurpoe", []string{"europe"}, "europe", 1},
		{"substitution", "natp", []string{"NATO", "any"}, "NATO", 1},
		{"insertion and deletion", "hostil", []string{"hostile", "host"}, "hostile", 1},
		{"tie goes to the earlier", "ab", []string{"ax", "xb"}, "ax", 1},
		{"long words only compared for equality", long + "b", []string{long + "c"}, long + "c", 301},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, d := geo.Closest(tc.s, tc.candidates)
			if got != tc.want || d != tc.wantD {
				t.Errorf("Closest(%q, %q) = %q, %d; want %q, %d", tc.s, tc.candidates, got, d, tc.want, tc.wantD)
			}
		})
	}
}
