package geo

import "fmt"

// Flags describe an address beyond its country.
type Flags uint8

// Flag bits.
const (
	FlagFound   Flags = 1 << iota // the database has an entry for the address
	FlagSpecial                   // private, loopback, link-local, CGNAT, ULA, multicast…
	FlagAnycast                   // traits.is_anycast
)

// ZoneSet is a bit set of jurisdiction zones; bit ZoneHome is home.
type ZoneSet uint64

// ZoneID indexes a bit of ZoneSet.
type ZoneID uint8

// ZoneHome is always zone 0.
const ZoneHome ZoneID = 0

// MaxZones is the number of zone bits: home, the built-in groups and user zones.
const MaxZones = 64

// Has reports whether z is in the set.
func (s ZoneSet) Has(z ZoneID) bool { return s&(1<<z) != 0 }

// Info is what a lookup returns: small, copied by value, no pointers.
type Info struct {
	Country     CountryID // location country
	Registered  CountryID // registered country
	Represented CountryID
	Continent   Continent
	Flags       Flags
	ASN         uint32
	Zones       ZoneSet // zones the address is in by location (home included)
	RegZones    ZoneSet // zones the address is in by registered country
}

// IsHome reports whether the address is home (location basis).
func (i *Info) IsHome() bool { return i.Zones.Has(ZoneHome) }

// ZonesFor returns the zone set for a basis; for BasisEither, the union.
func (i *Info) ZonesFor(b Basis) ZoneSet {
	switch b {
	case BasisRegistered:
		return i.RegZones
	case BasisEither:
		return i.Zones | i.RegZones
	}
	return i.Zones
}

// Basis chooses which country a rule matches on.
type Basis uint8

// Bases.
const (
	BasisLocation Basis = iota
	BasisRegistered
	BasisEither
)

// ParseBasis parses "location", "registered" or "either"; "" means location.
func ParseBasis(s string) (Basis, error) {
	switch s {
	case "location", "":
		return BasisLocation, nil
	case "registered":
		return BasisRegistered, nil
	case "either":
		return BasisEither, nil
	}
	return 0, fmt.Errorf("unknown basis %q: want location, registered or either", s)
}

// String returns "location", "registered" or "either".
func (b Basis) String() string {
	switch b {
	case BasisLocation:
		return "location"
	case BasisRegistered:
		return "registered"
	case BasisEither:
		return "either"
	}
	return fmt.Sprintf("basis(%d)", uint8(b))
}

// Direction is the jurisdiction direction of a packet relative to home.
type Direction uint8

// Directions.
const (
	DirTransit  Direction = iota // neither end home
	DirInbound                   // src abroad, dst home
	DirOutbound                  // src home, dst abroad
	DirInternal                  // both home
)

// String returns "transit", "inbound", "outbound" or "internal".
func (d Direction) String() string {
	switch d {
	case DirTransit:
		return "transit"
	case DirInbound:
		return "inbound"
	case DirOutbound:
		return "outbound"
	case DirInternal:
		return "internal"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// DirectionOf returns the direction of src→dst, home judged by location.
func DirectionOf(src, dst *Info) Direction {
	s, d := src.IsHome(), dst.IsHome()
	switch {
	case s && d:
		return DirInternal
	case d:
		return DirInbound
	case s:
		return DirOutbound
	}
	return DirTransit
}
