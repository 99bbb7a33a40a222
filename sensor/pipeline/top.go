package pipeline

import (
	"fmt"
	"slices"

	"github.com/borderwatch/borderwatch/geo"
)

// TopCountries returns the n largest non-zero counts of remote-end
// countries as "CC N", largest first, ties by code; unknown is "??".
func (s *Stats) TopCountries(n int) []string {
	type cc struct {
		id geo.CountryID
		n  uint64
	}
	var all []cc
	for id, c := range s.CountryTotals() {
		if c > 0 {
			all = append(all, cc{geo.CountryID(id), c})
		}
	}
	slices.SortFunc(all, func(a, b cc) int {
		if a.n != b.n {
			if a.n > b.n {
				return -1
			}
			return 1
		}
		return int(a.id) - int(b.id)
	})
	var out []string
	for _, c := range all[:min(n, len(all))] {
		name := c.id.String()
		if name == "" {
			name = "??"
		}
		out = append(out, fmt.Sprintf("%s %d", name, c.n))
	}
	return out
}
