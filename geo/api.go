package geo

// CONTRACT FILE (temporary): the exported API other packages code against.
// The geo implementer replaces the panicking bodies with the real implementation
// and may split this file; names and signatures below must stay as they are.

import (
	"net/netip"
	"time"
)

// CountryID identifies an ISO 3166-1 alpha-2 code arithmetically:
// (c0-'A')*26 + (c1-'A') + 1, so 1..676; 0 means unknown. IDs are stable across
// databases and processes, which lets rules and the kernel stage share them.
type CountryID uint16

// ParseCountry returns the ID of a two-letter code (case-insensitive).
func ParseCountry(code string) (CountryID, bool) { panic("geo: contract") }

// String returns the upper-case two-letter code, or "" for 0.
func (c CountryID) String() string { panic("geo: contract") }

// Continent is a continent code (AF, AN, AS, EU, NA, OC, SA); 0 is unknown.
type Continent uint8

func (c Continent) String() string { panic("geo: contract") }

// Flags describe an address beyond its country.
type Flags uint8

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

// Basis chooses which country a rule matches on.
type Basis uint8

const (
	BasisLocation Basis = iota
	BasisRegistered
	BasisEither
)

// ParseBasis parses "location", "registered" or "either".
func ParseBasis(s string) (Basis, error) { panic("geo: contract") }

// Direction is the jurisdiction direction of a packet relative to home.
type Direction uint8

const (
	DirTransit  Direction = iota // neither end home
	DirInbound                   // src abroad, dst home
	DirOutbound                  // src home, dst abroad
	DirInternal                  // both home
)

func (d Direction) String() string { panic("geo: contract") }

// DirectionOf returns the direction of src→dst.
func DirectionOf(src, dst *Info) Direction { panic("geo: contract") }

// ZoneSpec defines a user zone: terms are country codes, group names (EU, FVEY…),
// other zone names, CIDRs, "AS64500"; a leading "!" excludes.
type ZoneSpec struct {
	Name  string
	Terms []string
}

// Config is the jurisdiction configuration.
type Config struct {
	Home []string // terms as in ZoneSpec; empty means no home countries
	// SpecialNotHome stops private/loopback/link-local/CGNAT/ULA ranges from counting as home.
	SpecialNotHome bool
	Zones          []ZoneSpec
}

// DB is an opened country (or city) database, any supported schema.
type DB struct{}

// ASNDB is an opened ASN database.
type ASNDB struct{}

// Open reads a MaxMind-format country/city database from a file.
func Open(path string) (*DB, error) { panic("geo: contract") }

// OpenBytes reads a database from memory; name is used in errors and alerts.
func OpenBytes(name string, b []byte) (*DB, error) { panic("geo: contract") }

// Embedded returns the default database compiled into the binary.
func Embedded() (*DB, error) { panic("geo: contract") }

// OpenASN reads an ASN database (GeoLite2-ASN or DB-IP ASN schema).
func OpenASN(path string) (*ASNDB, error) { panic("geo: contract") }

// Source describes where a table's data came from.
type Source struct {
	Name      string    // file path or "embedded:dbip-country-lite"
	Type      string    // database_type from the metadata
	BuildTime time.Time // build_epoch from the metadata
}

// Table is the immutable, fast lookup structure built from databases and zones.
type Table struct{}

// Zones is a validated jurisdiction configuration with zone bits assigned:
// home, the built-in groups, then user zones. It needs no database.
type Zones struct{}

// NewZones checks cfg (unknown names, bad CIDRs, cycles, too many zones).
func NewZones(cfg Config) (*Zones, error) { panic("geo: contract") }

// Build builds a Table from a country database, an optional ASN database (nil) and zones.
func Build(db *DB, asn *ASNDB, z *Zones) (*Table, error) { panic("geo: contract") }

// Zones returns the zones the table was built with.
func (t *Table) Zones() *Zones { panic("geo: contract") }

// Lookup returns what is known about a; it never allocates.
func (t *Table) Lookup(a netip.Addr) Info { panic("geo: contract") }

// Source names the country database.
func (t *Table) Source() Source { panic("geo: contract") }

// ASOrg returns the organisation of an AS number, or "".
func (t *Table) ASOrg(asn uint32) string { panic("geo: contract") }

// Jurisdictions lists the names of the zones and groups info is in, basis chosen.
func (z *Zones) Jurisdictions(info *Info, b Basis) []string { panic("geo: contract") }

// Expr is a compiled zone expression as used in rules' from/to.
type Expr struct{}

// Compile compiles terms (zone names, groups, country codes, CIDRs, ASNs, "!", "any").
// Errors name the bad term and suggest the closest known name where obvious:
// `unknown zone "eurpoe" (did you mean "europe"?)`.
func (z *Zones) Compile(terms []string) (*Expr, error) { panic("geo: contract") }

// Match reports whether an address (with its lookup result) matches; no allocation.
func (e *Expr) Match(a netip.Addr, info *Info, b Basis) bool { panic("geo: contract") }

// Ranges calls fn for every range of the table in address order, IPv4 ranges
// (as 4-byte addresses) then IPv6, [from, to] inclusive, until fn returns false.
// Addresses with no entry and no zone are not visited. The kernel stage builds
// its maps from this.
func (t *Table) Ranges(fn func(from, to netip.Addr, info *Info) bool) { panic("geo: contract") }
