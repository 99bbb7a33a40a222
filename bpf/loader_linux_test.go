//go:build linux

package bpf

import "testing"

// TestLimitsMatchProgram checks the Go copies of the C program's limits
// (macros, which bpf2go does not carry over) against the map sizes they
// set in the compiled program.
func TestLimitsMatchProgram(t *testing.T) {
	spec, err := loadBorderwatch()
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Maps
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"drop_countries entries (CountrySlots)", m[borderwatchMapDropCountries].MaxEntries, CountrySlots},
		{"counters entries (counterKey)", m[borderwatchMapCounters].MaxEntries, CountrySlots * 4 * 2 * 4},
		{"rule_drops entries (RuleSlots)", m[borderwatchMapRuleDrops].MaxEntries, RuleSlots},
		{"iface_slots entries (IfaceSlots)", m[borderwatchMapIfaceSlots].MaxEntries, IfaceSlots},
		{"iface_counts entries (IfaceSlots)", m[borderwatchMapIfaceCounts].MaxEntries, IfaceSlots * 2},
		{"iface_low entries (ifaceLow)", m[borderwatchMapIfaceLow].MaxEntries, ifaceLow},
		{"geo slots (geoPages)", m[borderwatchMapGeo].MaxEntries, 2 * 2 * geoPages},
		{"geo page bytes (pageEntries)", m[borderwatchMapGeo].InnerMap.ValueSize, 4 * pageEntries},
	} {
		if c.got != c.want {
			t.Errorf("%s: program has %d, Go %d", c.name, c.got, c.want)
		}
	}
}
