package detect

import (
	"cmp"
	"slices"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
)

// Exact per-country counts. A country code geo knows (fewer than 256 of
// them) has a dense index; a key of a flood or amplification rule counts its
// window's packets per country exactly in a 1 KiB array from the rule's
// pool of exactKeys arrays. A key that starts its window while the pool is
// empty falls back to topCountries (space-saving: exact for up to 8
// countries, else each count over-estimated by at most the window's packets
// divided by 8).

// exactKeys is the number of keys per rule that count countries exactly at
// once.
const exactKeys = 64

// countryIndex maps a CountryID to its dense index (0: unknown or a code
// geo does not know); countryOfIndex is the reverse.
var (
	countryIndex   [27*26 + 1]uint8
	countryOfIndex [256]geo.CountryID
	numCountries   int // dense indexes in use, counting 0
)

func init() {
	n := 1
	for c := geo.CountryID(1); int(c) < len(countryIndex); c++ {
		if geo.KnownCountry(c) {
			if n == len(countryOfIndex) {
				panic("detect: more than 255 known countries")
			}
			countryIndex[c], countryOfIndex[n] = uint8(n), c
			n++
		}
	}
	numCountries = n
}

// countryCounts is one key's packets per dense country index in a window.
type countryCounts [256]uint32

func (c *countryCounts) add(country geo.CountryID) {
	i := 0
	if int(country) < len(countryIndex) {
		i = int(countryIndex[country])
	}
	if c[i] != 1<<32-1 {
		c[i]++
	}
}

// top returns the k largest counts, largest first, ties by country code;
// unknown countries are reported as "".
func (c *countryCounts) top(k int) []alert.CountryCount {
	var out []alert.CountryCount
	for i := range numCountries {
		if c[i] == 0 {
			continue
		}
		out = append(out, alert.CountryCount{Country: countryOfIndex[i].String(), Packets: uint64(c[i])})
	}
	slices.SortFunc(out, func(a, b alert.CountryCount) int {
		if d := cmp.Compare(b.Packets, a.Packets); d != 0 {
			return d
		}
		return cmp.Compare(a.Country, b.Country)
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// countryPool hands out a rule's exact count arrays, allocated on first use.
type countryPool struct {
	arrays []countryCounts
	free   []int32
}

// get returns a cleared array's index, or -1 when all are in use.
func (p *countryPool) get() int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		p.arrays[i] = countryCounts{}
		return i
	}
	if len(p.arrays) < exactKeys {
		if p.arrays == nil {
			p.arrays = make([]countryCounts, 0, exactKeys)
			p.free = make([]int32, 0, exactKeys)
		}
		p.arrays = append(p.arrays, countryCounts{})
		return int32(len(p.arrays) - 1)
	}
	return -1
}

func (p *countryPool) put(i int32) {
	if i >= 0 {
		p.free = append(p.free, i)
	}
}
