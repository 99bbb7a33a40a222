package geo

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

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

// firstUserZone is the bit of the first user zone: home, then the groups.
const firstUserZone = 1 + len(groups)

// MaxUserZones is how many user zones fit beside home and the built-in groups.
const MaxUserZones = MaxZones - firstUserZone

// countrySet is a bit set of CountryIDs.
type countrySet [(maxCountryID + 64) / 64]uint64

func (s *countrySet) add(c CountryID)      { s[c/64] |= 1 << (c % 64) }
func (s *countrySet) has(c CountryID) bool { return s[c/64]&(1<<(c%64)) != 0 }

// termSet is the compiled include or exclude half of a zone or expression.
type termSet struct {
	n         int // number of terms
	any       bool
	zones     ZoneSet
	countries countrySet
	prefixes  []netip.Prefix // for Expr.Match
	pids      []int          // indexes into Zones.prefixes, for Build
	asns      []uint32
}

func (s *termSet) matchInfo(c CountryID, zs ZoneSet, asn uint32) bool {
	return s.any || zs&s.zones != 0 || s.countries.has(c) || (asn != 0 && slices.Contains(s.asns, asn))
}

// zoneDef is home or a user zone, compiled.
type zoneDef struct {
	id       ZoneID
	name     string
	inc, exc termSet
	refs     []ZoneID // zones (not groups) the definition names
}

// Zones is a validated jurisdiction configuration with zone bits assigned:
// home, the built-in groups, then user zones. It needs no database.
type Zones struct {
	cfg      Config
	names    []string          // by bit
	byName   map[string]ZoneID // lower-case name → bit
	defs     []*zoneDef        // home and user zones, in evaluation order
	prefixes []netip.Prefix    // distinct CIDRs of all definitions, specials first
	special  int               // prefixes[:special] are the special ranges
	usesASN  bool
}

// specialPrefixes are the ranges that are home by default (FlagSpecial).
// The documentation prefixes 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and
// 2001:db8::/32 are deliberately not special: the lab maps them to countries.
var specialPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network" (RFC 791)
	netip.MustParsePrefix("10.0.0.0/8"),     // private (RFC 1918)
	netip.MustParsePrefix("100.64.0.0/10"),  // CGNAT shared space (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local (RFC 3927)
	netip.MustParsePrefix("172.16.0.0/12"),  // private (RFC 1918)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments (RFC 6890)
	netip.MustParsePrefix("192.168.0.0/16"), // private (RFC 1918)
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking (RFC 2544)
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved and limited broadcast
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("::1/128"),        // loopback
	netip.MustParsePrefix("100::/64"),       // discard-only (RFC 6666)
	netip.MustParsePrefix("fc00::/7"),       // unique local (RFC 4193)
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("ff00::/8"),       // multicast
}

// IsSpecial reports whether a is in one of the special ranges (private,
// loopback, link-local, CGNAT, ULA, multicast…), which are home by default.
func IsSpecial(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range specialPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// NewZones checks cfg (unknown names, bad CIDRs, cycles, too many zones).
// An error in one user zone's definition is a *ZoneError.
func NewZones(cfg Config) (*Zones, error) {
	if len(cfg.Zones) > MaxUserZones {
		return nil, fmt.Errorf("too many zones: %d user zones, at most %d fit in %d zone bits beside home and %d groups",
			len(cfg.Zones), MaxUserZones, MaxZones, len(groups))
	}
	z := &Zones{cfg: cfg, byName: map[string]ZoneID{}}
	z.names = append(z.names, "home")
	z.byName["home"] = ZoneHome
	for i, g := range groups {
		z.names = append(z.names, g.name)
		z.byName[strings.ToLower(g.name)] = ZoneID(i + 1)
	}
	for i, zs := range cfg.Zones {
		if err := checkZoneName(zs.Name); err != nil {
			return nil, err
		}
		key := strings.ToLower(zs.Name)
		if id, dup := z.byName[key]; dup {
			if int(id) < firstUserZone {
				return nil, zoneErr(zs.Name, "name is taken by the built-in %q", z.names[id])
			}
			return nil, zoneErr(zs.Name, "defined twice")
		}
		id := ZoneID(firstUserZone + i)
		z.names = append(z.names, zs.Name)
		z.byName[key] = id
	}
	z.prefixes = append(z.prefixes, specialPrefixes...)
	z.special = len(specialPrefixes)

	defs := make([]*zoneDef, 1+len(cfg.Zones))
	home := &zoneDef{id: ZoneHome, name: "home"}
	if err := z.compileTerms(home, cfg.Home); err != nil {
		return nil, fmt.Errorf("home: %w", err)
	}
	if !cfg.SpecialNotHome {
		for i := range specialPrefixes {
			home.inc.pids = append(home.inc.pids, i)
			home.inc.n++
		}
	}
	defs[0] = home
	for i, zs := range cfg.Zones {
		d := &zoneDef{id: ZoneID(firstUserZone + i), name: zs.Name}
		if len(zs.Terms) == 0 {
			return nil, zoneErr(zs.Name, "no terms")
		}
		if err := z.compileTerms(d, zs.Terms); err != nil {
			return nil, &ZoneError{Zone: zs.Name, Err: err}
		}
		defs[1+i] = d
	}
	order, err := evalOrder(defs, z.names)
	if err != nil {
		return nil, err
	}
	z.defs = order
	return z, nil
}

// ZoneError is an error in the definition of one zone; its text is
// `zone "NAME": reason`.
type ZoneError struct {
	Zone string // the name as written
	Err  error
}

func (e *ZoneError) Error() string { return fmt.Sprintf("zone %q: %v", e.Zone, e.Err) }

// Unwrap returns the reason.
func (e *ZoneError) Unwrap() error { return e.Err }

func zoneErr(name, format string, args ...any) error {
	return &ZoneError{Zone: name, Err: fmt.Errorf(format, args...)}
}

func checkZoneName(name string) error {
	if name == "" {
		return fmt.Errorf("zone with an empty name")
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
		if !ok {
			return zoneErr(name, "a name starts with a letter and has only letters, digits, '_', '-' and '.'")
		}
	}
	if len(name) == 2 {
		return zoneErr(name, "two-letter names are country codes")
	}
	if strings.EqualFold(name, "any") {
		return zoneErr(name, "name is reserved")
	}
	if _, ok := parseASN(name); ok {
		return zoneErr(name, "name looks like an AS number")
	}
	return nil
}

// evalOrder sorts definitions so that every zone comes after the zones it names,
// and reports cycles.
func evalOrder(defs []*zoneDef, names []string) ([]*zoneDef, error) {
	byID := map[ZoneID]*zoneDef{}
	for _, d := range defs {
		byID[d.id] = d
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[ZoneID]int{}
	var order []*zoneDef
	var path []string
	var visit func(d *zoneDef) error
	visit = func(d *zoneDef) error {
		switch state[d.id] {
		case done:
			return nil
		case active:
			return zoneErr(d.name, "cycle %s → %s", strings.Join(path[slices.Index(path, d.name):], " → "), d.name)
		}
		state[d.id] = active
		path = append(path, d.name)
		for _, r := range d.refs {
			if err := visit(byID[r]); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[d.id] = done
		order = append(order, d)
		return nil
	}
	for _, d := range defs {
		if err := visit(d); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// compileTerms compiles a zone definition's terms.
func (z *Zones) compileTerms(d *zoneDef, terms []string) error {
	for _, t := range terms {
		set, tt, err := z.parseTerm(t, &d.inc, &d.exc)
		if err != nil {
			return err
		}
		switch tt.kind {
		case termZone:
			if tt.zone == d.id {
				return fmt.Errorf("zone %q names itself", d.name)
			}
			if tt.zone == ZoneHome || int(tt.zone) >= firstUserZone {
				d.refs = append(d.refs, tt.zone)
			}
		case termPrefix:
			set.pids = append(set.pids, z.prefixID(tt.prefix))
		case termASN:
			z.usesASN = true
		}
	}
	return nil
}

func (z *Zones) prefixID(p netip.Prefix) int {
	if i := slices.Index(z.prefixes[z.special:], p); i >= 0 {
		return z.special + i
	}
	z.prefixes = append(z.prefixes, p)
	return len(z.prefixes) - 1
}

type termKind uint8

const (
	termAny termKind = iota
	termZone
	termCountry
	termPrefix
	termASN
)

type term struct {
	kind    termKind
	zone    ZoneID
	country CountryID
	prefix  netip.Prefix
	asn     uint32
}

// parseTerm parses one term and adds it to inc or exc, which it returns.
func (z *Zones) parseTerm(raw string, inc, exc *termSet) (*termSet, term, error) {
	s := strings.TrimSpace(raw)
	set := inc
	if strings.HasPrefix(s, "!") {
		set = exc
		s = strings.TrimSpace(s[1:])
	}
	var t term
	switch {
	case s == "":
		return nil, t, fmt.Errorf("empty term %q", raw)
	case strings.EqualFold(s, "any"):
		t.kind = termAny
		set.any = true
	case strings.ContainsAny(s, "/:") || strings.Count(s, ".") == 3:
		p, err := parsePrefix(s)
		if err != nil {
			return nil, t, err
		}
		t.kind, t.prefix = termPrefix, p
		set.prefixes = append(set.prefixes, p)
	default:
		if asn, ok := parseASN(s); ok {
			t.kind, t.asn = termASN, asn
			set.asns = append(set.asns, asn)
			break
		}
		if id, ok := z.byName[strings.ToLower(s)]; ok {
			t.kind, t.zone = termZone, id
			set.zones |= 1 << id
			break
		}
		if len(s) == 2 {
			c, ok := ParseCountry(s)
			if !ok || !KnownCountry(c) {
				return nil, t, fmt.Errorf("unknown country code %q", s)
			}
			t.kind, t.country = termCountry, c
			set.countries.add(c)
			break
		}
		if strings.HasPrefix(strings.ToUpper(s), "AS") && len(s) > 2 && s[2] >= '0' && s[2] <= '9' {
			return nil, t, fmt.Errorf("bad AS number %q", s)
		}
		if sug := z.suggest(s); sug != "" {
			return nil, t, fmt.Errorf("unknown zone %q (did you mean %q?)", s, sug)
		}
		return nil, t, fmt.Errorf("unknown zone %q", s)
	}
	set.n++
	return set, t, nil
}

// parsePrefix parses a CIDR (host bits masked) or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("bad address %q", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad CIDR %q", s)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// parseASN parses "AS64500" (case-insensitive).
func parseASN(s string) (uint32, bool) {
	if len(s) < 3 || !strings.EqualFold(s[:2], "AS") {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:], 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint32(n), true
}

// suggest returns the known name (or "any") closest to s when it is within
// edit distance 2, or "".
func (z *Zones) suggest(s string) string {
	best, d := Closest(s, append([]string{"any"}, z.names...))
	if d < 0 || d > 2 {
		return ""
	}
	return best
}

// eval returns the zones of an address with country c and AS asn that lies in
// the prefixes hit (indexes into z.prefixes).
func (z *Zones) eval(c CountryID, asn uint32, hit func(pid int) bool) ZoneSet {
	zs := groupBits[c]
	if c > maxCountryID {
		zs = 0
	}
	in := func(s *termSet) bool {
		if s.matchInfo(c, zs, asn) {
			return true
		}
		for _, p := range s.pids {
			if hit(p) {
				return true
			}
		}
		return false
	}
	for _, d := range z.defs {
		ok := d.inc.n == 0 && d.exc.n > 0 || d.inc.n > 0 && in(&d.inc)
		if ok && d.exc.n > 0 && in(&d.exc) {
			ok = false
		}
		if ok {
			zs |= 1 << d.id
		}
	}
	return zs
}

// Config returns the configuration the zones were made from.
func (z *Zones) Config() Config { return z.cfg }

// Names returns the zone names by bit: "home", the groups, then user zones.
func (z *Zones) Names() []string { return slices.Clone(z.names) }

// Name returns the name of a zone bit, or "".
func (z *Zones) Name(id ZoneID) string {
	if int(id) < len(z.names) {
		return z.names[id]
	}
	return ""
}

// ID returns the bit of a zone or group name (case-insensitive).
func (z *Zones) ID(name string) (ZoneID, bool) {
	id, ok := z.byName[strings.ToLower(name)]
	return id, ok
}

// Jurisdictions lists the names of the zones and groups info is in, basis chosen,
// in bit order (home first).
func (z *Zones) Jurisdictions(info *Info, b Basis) []string {
	zs := info.ZonesFor(b)
	var out []string
	for id := range z.names {
		if zs.Has(ZoneID(id)) {
			out = append(out, z.names[id])
		}
	}
	return out
}

// Expr is a compiled zone expression as used in rules' from/to.
type Expr struct {
	inc, exc termSet
	terms    []string
	z        *Zones // the zones it was compiled against, for Cover
}

// Compile compiles terms (zone names, groups, country codes, CIDRs, ASNs, "!", "any").
// Errors name the bad term and suggest the closest known name where obvious:
// `unknown zone "eurpoe" (did you mean "europe"?)`.
//
// An address matches when (any include term matches, or there are no include
// terms) and no exclude term matches; so no terms at all match everything.
// Zone and group terms use the zone bits of the lookup; country terms compare
// the country of the basis; CIDR terms compare the address itself.
func (z *Zones) Compile(terms []string) (*Expr, error) {
	e := &Expr{terms: slices.Clone(terms), z: z}
	for _, t := range terms {
		if _, _, err := z.parseTerm(t, &e.inc, &e.exc); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// String returns the terms, comma-separated.
func (e *Expr) String() string { return strings.Join(e.terms, ",") }

// Same reports whether e and o match the same addresses: the same terms
// compiled against the same zones.
func (e *Expr) Same(o *Expr) bool { return e.z == o.z && slices.Equal(e.terms, o.terms) }

// HomeTerm reports whether e is the single term "home" (home true) or
// "!home" (home false), ok false otherwise. On BasisLocation such an
// expression matches an address exactly when its Info.IsHome is home:
// the test DirectionOf makes.
func (e *Expr) HomeTerm() (home, ok bool) {
	homeOnly := func(s *termSet) bool {
		return s.n == 1 && !s.any && s.zones == 1<<ZoneHome && s.countries == (countrySet{}) &&
			len(s.prefixes) == 0 && len(s.asns) == 0
	}
	switch {
	case e.exc.n == 0 && homeOnly(&e.inc):
		return true, true
	case e.inc.n == 0 && homeOnly(&e.exc):
		return false, true
	}
	return false, false
}

// UsesASN reports whether the expression has an AS term ("AS64500"), which
// matches only with AS data loaded.
func (e *Expr) UsesASN() bool { return len(e.inc.asns) > 0 || len(e.exc.asns) > 0 }

// Match reports whether an address (with its lookup result) matches; no allocation.
func (e *Expr) Match(a netip.Addr, info *Info, b Basis) bool {
	a = a.Unmap()
	switch b {
	case BasisRegistered:
		return e.match(a, info.Registered, info.RegZones, info.ASN)
	case BasisEither:
		return e.match(a, info.Country, info.Zones, info.ASN) || e.match(a, info.Registered, info.RegZones, info.ASN)
	}
	return e.match(a, info.Country, info.Zones, info.ASN)
}

func (e *Expr) match(a netip.Addr, c CountryID, zs ZoneSet, asn uint32) bool {
	if e.exc.n > 0 && matchSet(&e.exc, a, c, zs, asn) {
		return false
	}
	return e.inc.n == 0 || matchSet(&e.inc, a, c, zs, asn)
}

func matchSet(s *termSet, a netip.Addr, c CountryID, zs ZoneSet, asn uint32) bool {
	if s.matchInfo(c, zs, asn) {
		return true
	}
	for _, p := range s.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
