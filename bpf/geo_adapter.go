package bpf

import (
	"iter"
	"net/netip"

	"github.com/borderwatch/borderwatch/geo"
)

// GeoRanges adapts a geo table to the range iterator LoadGeo takes.
func GeoRanges(t *geo.Table) iter.Seq[Range] {
	return func(yield func(Range) bool) {
		t.Ranges(func(from, to netip.Addr, info *geo.Info) bool {
			return yield(Range{From: from, To: to, Country: uint16(info.Country), Zones: uint64(info.Zones)})
		})
	}
}
