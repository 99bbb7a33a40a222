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

// TestFarResults builds the default table with all but the first 8 results
// of IPv4 ranges kept outside the packed ranges (as when a table has more
// than 65534 distinct results without AS number) and checks that it gives
// every IPv4 range of the normal table the same Info, through Lookup and
// through Ranges.
func TestFarResults(t *testing.T) {
	tb, err := geo.OpenTable(geo.Paths{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	restore := geo.SetRes4Pack(8)
	far, err := geo.OpenTable(geo.Paths{}, nil)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	type rng struct {
		from, to netip.Addr
		in       geo.Info
	}
	collect := func(tb *geo.Table) (out []rng) {
		tb.Ranges(func(from, to netip.Addr, in *geo.Info) bool {
			if from.Is4() {
				out = append(out, rng{from, to, *in})
			}
			return true
		})
		return out
	}
	want, got := collect(tb), collect(far)
	if len(want) < 1000 || len(got) != len(want) {
		t.Fatalf("%d IPv4 ranges with far results, %d without", len(got), len(want))
	}
	bad, farRes := 0, 0
	for i, w := range want {
		if got[i] != w {
			t.Errorf("range %d: %+v, want %+v", i, got[i], w)
			bad++
		}
		for _, a := range []netip.Addr{w.from, w.to} {
			if in := far.Lookup(a); in != w.in {
				t.Errorf("Lookup(%s) = %+v, want %+v", a, in, w.in)
				bad++
			}
		}
		if w.in.Country != 0 {
			farRes++
		}
		if bad >= 10 {
			break
		}
	}
	if farRes == 0 {
		t.Error("no range with a country: the far results were not exercised")
	}
}
