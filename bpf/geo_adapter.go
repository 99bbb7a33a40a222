package bpf

import (
	"iter"
	"net/netip"

	"github.com/borderwatch/borderwatch/geo"
)

// GeoRanges adapts a geo table to the range iterator LoadGeo takes. The
// kernel keeps the location country and zones only, so adjacent ranges that
// differ in nothing else (registration country, AS) are joined: the embedded
// registration and ASN tables would otherwise double the ranges and pages.
func GeoRanges(t *geo.Table) iter.Seq[Range] {
	return func(yield func(Range) bool) {
		var cur Range
		have, stopped := false, false
		t.Ranges(func(from, to netip.Addr, info *geo.Info) bool {
			r := Range{From: from, To: to, Country: uint16(info.Country), Zones: uint64(info.Zones)}
			if have && r.Country == cur.Country && r.Zones == cur.Zones && cur.To.Next() == r.From {
				cur.To = r.To
				return true
			}
			if have && !yield(cur) {
				stopped = true
				return false
			}
			cur, have = r, true
			return true
		})
		if have && !stopped {
			yield(cur)
		}
	}
}
