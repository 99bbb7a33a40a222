package geo_test

import (
	"net/netip"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

// TestRangesMatchLookup walks the default table (all three embedded tables
// merged) with Ranges and checks every range against Lookup: both ends and
// the middle give the range's Info, the address before a range gives a
// different one (ranges are maximal), and the ranges cover the address space
// in order apart from addresses nothing is known of. Ranges rebuilds the
// IPv4 starts from the first-level index and the 16-bit low halves, so this
// checks that reconstruction against the search.
func TestRangesMatchLookup(t *testing.T) {
	tb, err := geo.OpenTable(geo.Paths{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var prevTo netip.Addr
	n4, n6, bad := 0, 0, 0
	tb.Ranges(func(from, to netip.Addr, in *geo.Info) bool {
		if from.Is4() {
			n4++
		} else {
			n6++
		}
		if to.Less(from) || prevTo.IsValid() && from.Is4() == prevTo.Is4() && !prevTo.Less(from) {
			t.Errorf("range %s-%s out of order after %s", from, to, prevTo)
			bad++
		}
		mid := from
		if f, l := from.As16(), to.As16(); f != l {
			// An address inside: from with the last differing byte raised
			// halfway towards to's.
			for i := range f {
				if f[i] != l[i] {
					f[i] += (l[i] - f[i]) / 2
					break
				}
			}
			mid = netip.AddrFrom16(f)
			if from.Is4() {
				mid = mid.Unmap()
			}
		}
		for _, a := range []netip.Addr{from, mid, to} {
			if got := tb.Lookup(a); got != *in {
				t.Errorf("range %s-%s: Lookup(%s) = %+v, want %+v", from, to, a, got, *in)
				bad++
			}
		}
		if p := from.Prev(); p.IsValid() && p.Is4() == from.Is4() {
			if got := tb.Lookup(p); got == *in {
				t.Errorf("range %s-%s: the address before it, %s, has the same Info", from, to, p)
				bad++
			}
		}
		prevTo = to
		return bad < 10
	})
	st := tb.Stats()
	// Ranges leaves out the ranges of which nothing is known; all others
	// are visited.
	if n4 == 0 || n4 > st.Ranges4 || n6 == 0 || n6 > st.Ranges6 || n4 < st.Ranges4/2 || n6 < st.Ranges6/2 {
		t.Errorf("visited %d IPv4 and %d IPv6 ranges of %d and %d", n4, n6, st.Ranges4, st.Ranges6)
	}
}
