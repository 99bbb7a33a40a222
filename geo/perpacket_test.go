package geo_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

// TestPerPacketTable: the default table (location, registration and ASN)
// has a location-only table for the per-packet path that gives, for every
// address, the same location fields and zones, and neither the registration
// country nor the AS number; a rule set or zones needing those get the full
// table. Checked at every range start of the full table (a sample) and at
// random addresses.
func TestPerPacketTable(t *testing.T) {
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.OpenTable(geo.Paths{}, z)
	if err != nil {
		t.Fatal(err)
	}
	loc := tb.PerPacket(geo.Needs{})
	if loc == tb {
		t.Fatal("PerPacket(no needs) is the full table")
	}
	for _, n := range []geo.Needs{{Registration: true}, {ASN: true}, {Registration: true, ASN: true}} {
		if tb.PerPacket(n) != tb {
			t.Errorf("PerPacket(%+v) is not the full table", n)
		}
	}
	if loc.PerPacket(geo.Needs{}) != loc || loc.Stats().HasRegistered || loc.Stats().HasASN {
		t.Errorf("location-only table: PerPacket not itself or has registration/AS data: %+v", loc.Stats())
	}
	var addrs []netip.Addr
	i := 0
	tb.Ranges(func(from, to netip.Addr, _ *geo.Info) bool {
		if i%97 == 0 {
			addrs = append(addrs, from, to)
		}
		i++
		return true
	})
	r := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		var x [16]byte
		for j := range x {
			x[j] = byte(r.Uint32())
		}
		addrs = append(addrs, netip.AddrFrom4([4]byte(x[:4])))
		x[0] = 0x20 | x[0]&0x0f
		addrs = append(addrs, netip.AddrFrom16(x))
	}
	if len(addrs) < 200000+10000 {
		t.Fatalf("only %d addresses", len(addrs))
	}
	var reg, asn int
	for _, a := range addrs {
		f, l := tb.Lookup(a), loc.Lookup(a)
		if f.Country != l.Country || f.Represented != l.Represented || f.Continent != l.Continent || f.Flags != l.Flags || f.Zones != l.Zones {
			t.Fatalf("%v: full %+v, location-only %+v: location fields differ", a, f, l)
		}
		if l.Registered != 0 || l.ASN != 0 {
			t.Fatalf("%v: location-only %+v has registration or AS data", a, l)
		}
		if f.Registered != 0 {
			reg++
		}
		if f.ASN != 0 {
			asn++
		}
	}
	if reg < len(addrs)/4 || asn < len(addrs)/4 {
		t.Errorf("of %d addresses, %d with a registered country and %d with an AS number in the full table: too few to test", len(addrs), reg, asn)
	}

	// Zones with an AS term need the ASN layer per packet.
	za, err := geo.NewZones(geo.Config{Home: []string{"DE"}, Zones: []geo.ZoneSpec{{Name: "g", Terms: []string{"AS15169"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := geo.OpenTable(geo.Paths{}, za)
	if err != nil {
		t.Fatal(err)
	}
	if ta.PerPacket(geo.Needs{}) != ta {
		t.Error("zones with an AS term: PerPacket is not the full table")
	}
}
