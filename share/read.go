package share

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// Limits of Read. Every input is hostile: a line, a file and the number of
// distinct addresses have a bound, and crossing it is an error naming the
// file and the limit.
const (
	DefaultMaxLineBytes = 64 << 10
	DefaultMaxFileBytes = 1 << 30
	DefaultMaxAddresses = 100_000
	// maxBadListed is how many bad lines Read keeps with their place and
	// reason; the rest are only counted.
	maxBadListed = 20
	// maxListed bounds the per-address lists (kinds, techniques, rules,
	// home countries) so that one address cannot grow without bound.
	maxListed = 64
)

// Options says what Read keeps and how much it reads.
type Options struct {
	// IncludeHome shares the home side too: home addresses, the sensor's
	// host name and the operator's rule messages. Off by default.
	IncludeHome bool
	// MaxLineBytes, MaxFileBytes and MaxAddresses bound the input; zero
	// means the Default* value.
	MaxLineBytes int
	MaxFileBytes int64
	MaxAddresses int
}

func (o *Options) limits() (line int, file int64, addrs int) {
	line, file, addrs = o.MaxLineBytes, o.MaxFileBytes, o.MaxAddresses
	if line <= 0 {
		line = DefaultMaxLineBytes
	}
	if file <= 0 {
		file = DefaultMaxFileBytes
	}
	if addrs <= 0 {
		addrs = DefaultMaxAddresses
	}
	return line, file, addrs
}

// Role says which end of the alerts the shared address was.
type Role string

// Roles: the address sent the traffic (an attacker reaching in) or received
// it (a foreign host a home host contacted: a C2 server, an exfiltration
// target).
const (
	RoleSource      Role = "src"
	RoleDestination Role = "dst"
)

// Sighting is what the alerts say about one shared address.
type Sighting struct {
	Address           netip.Addr
	Role              Role
	Country           string // location country of the address, ISO 3166-1 alpha-2
	RegisteredCountry string
	Continent         string
	ASN               uint32
	ASOrg             string
	Kinds             []string // detector kinds, sorted
	Techniques        []string // MITRE ATT&CK technique ids, sorted
	SignatureIDs      []uint32 // sorted
	Alerts            int
	Packets           uint64
	FirstSeen         time.Time
	LastSeen          time.Time
	// HomeCountries is the home side reduced to its jurisdiction: the
	// countries of the home addresses involved, sorted.
	HomeCountries []string

	// Only with Options.IncludeHome:
	HomeAddresses []netip.Addr // sorted
	Sensors       []string     // EVE host / ECS observer.hostname, sorted
	Signatures    []string     // rule messages, sorted
}

// BadLine is one rejected input line.
type BadLine struct {
	File   string
	Line   int
	Reason string
}

func (b BadLine) String() string { return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason) }

// Result is what Read found.
type Result struct {
	Sightings []*Sighting // sorted by address
	Lines     int         // non-empty lines read
	Alerts    int         // alert records among them
	Shared    int         // alerts that contributed to a sighting
	// Skipped counts alerts (and other records) not shared, by reason.
	Skipped map[string]int
	// Bad lists the first bad lines; BadCount counts them all.
	Bad      []BadLine
	BadCount int
}

// Skip reasons.
const (
	SkipNotAlert  = "not an alert record"
	SkipNoForeign = "no foreign address (aggregate or internal alert, or no geo direction)"
	SkipSpecial   = "address is private, loopback, link-local or otherwise special"
)

// Reader reads alert files into sightings. The zero value is not usable;
// use NewReader.
type Reader struct {
	opt   Options
	line  int
	file  int64
	addrs int
	by    map[netip.Addr]*Sighting
	res   Result
}

// NewReader returns a Reader with opt.
func NewReader(opt Options) *Reader {
	r := &Reader{opt: opt, by: map[netip.Addr]*Sighting{}}
	r.line, r.file, r.addrs = opt.limits()
	r.res.Skipped = map[string]int{}
	return r
}

// Read reads the alert files at paths ("-" is standard input, read from
// stdin) with opt.
func Read(opt Options, stdin io.Reader, paths ...string) (*Result, error) {
	r := NewReader(opt)
	for _, p := range paths {
		if err := r.ReadFile(p, stdin); err != nil {
			return nil, err
		}
	}
	return r.Result(), nil
}

// ReadFile reads one alert file; "-" reads stdin. Only regular files are
// opened.
func (r *Reader) ReadFile(path string, stdin io.Reader) error {
	if path == "-" {
		if stdin == nil {
			return errors.New("standard input: not available")
		}
		return r.ReadFrom("stdin", stdin)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("reading alerts %s: not a regular file", path)
	}
	if st.Size() > r.file {
		return fmt.Errorf("reading alerts %s: %d bytes, more than the limit of %d", path, st.Size(), r.file)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	defer f.Close()
	return r.ReadFrom(path, f)
}

// ReadFrom reads alert lines from in, naming them name in errors.
func (r *Reader) ReadFrom(name string, in io.Reader) error {
	lim := &io.LimitedReader{R: in, N: r.file + 1}
	br := bufio.NewReaderSize(lim, 64<<10)
	buf := make([]byte, 0, 4096)
	for n := 1; ; n++ {
		buf = buf[:0]
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !tooLong {
				if len(buf)+len(chunk) > r.line+1 { // +1: the newline
					tooLong = true
					buf = buf[:0]
				} else {
					buf = append(buf, chunk...)
				}
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if lim.N <= 0 {
			return fmt.Errorf("reading alerts %s: more than the limit of %d bytes", name, r.file)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading alerts %s:%d: %w", name, n, err)
		}
		switch {
		case tooLong:
			r.bad(name, n, fmt.Sprintf("line longer than %d bytes", r.line))
		case len(bytes.TrimSpace(buf)) > 0:
			if e := r.line1(bytes.TrimSpace(buf)); e != nil {
				if errors.Is(e, errTooMany) {
					return fmt.Errorf("reading alerts %s:%d: %w (limit %d)", name, n, e, r.addrs)
				}
				r.bad(name, n, e.Error())
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

var errTooMany = errors.New("too many distinct addresses")

func (r *Reader) bad(file string, line int, reason string) {
	r.res.BadCount++
	if len(r.res.Bad) < maxBadListed {
		r.res.Bad = append(r.res.Bad, BadLine{File: file, Line: line, Reason: reason})
	}
}

// Result returns what was read so far, sightings sorted by address.
func (r *Reader) Result() *Result {
	res := r.res
	res.Sightings = make([]*Sighting, 0, len(r.by))
	for _, s := range r.by {
		res.Sightings = append(res.Sightings, s)
	}
	sort.Slice(res.Sightings, func(i, j int) bool {
		return res.Sightings[i].Address.Less(res.Sightings[j].Address)
	})
	return &res
}

// side is one end of an alert.
type side struct {
	ip            netip.Addr
	country       string
	registered    string
	continent     string
	asn           uint32
	asOrg         string
	jurisdictions []string
}

func (s *side) home() bool { return slices.Contains(s.jurisdictions, "home") }

// record is one alert, from either layout.
type record struct {
	at         time.Time
	start, end time.Time
	src, dst   side
	direction  string
	kind       string
	techniques []string
	sid        uint32
	signature  string
	packets    uint64
	host       string
}

// line1 parses and adds one non-empty line.
func (r *Reader) line1(b []byte) error {
	r.res.Lines++
	if b[0] != '{' {
		return errors.New("not a JSON object")
	}
	rec, err := parseLine(b)
	if errors.Is(err, errNotAlert) {
		r.res.Skipped[SkipNotAlert]++
		return nil
	}
	if err != nil {
		return err
	}
	r.res.Alerts++
	return r.add(&rec)
}

// foreign picks the address to share from rec and the home side.
func (r *Reader) foreign(rec *record) (shared, home *side, role Role, ok bool) {
	srcHome, dstHome := rec.src.home(), rec.dst.home()
	if rec.direction == "" && !srcHome && !dstHome && !r.opt.IncludeHome {
		// Nothing says which end is at home: sharing either could leak it.
		return nil, nil, "", false
	}
	switch rec.direction {
	case "inbound":
		srcHome, dstHome = false, true
	case "outbound":
		srcHome, dstHome = true, false
	case "internal":
		srcHome, dstHome = true, true
	case "transit":
		srcHome, dstHome = false, false
	}
	switch {
	case !srcHome && rec.src.ip.IsValid():
		shared, home, role = &rec.src, &rec.dst, RoleSource
	case srcHome && !dstHome && rec.dst.ip.IsValid():
		shared, home, role = &rec.dst, &rec.src, RoleDestination
	case r.opt.IncludeHome && rec.src.ip.IsValid():
		shared, home, role = &rec.src, &rec.dst, RoleSource
	default:
		return nil, nil, "", false
	}
	if !dstHome && role == RoleSource || !srcHome && role == RoleDestination {
		home = nil // the other end is foreign too (transit): not ours to speak for
	}
	return shared, home, role, true
}

// special reports addresses that identify no one outside a network.
func special(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() ||
		ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		cgnat.Contains(ip)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func (r *Reader) add(rec *record) error {
	f, home, role, ok := r.foreign(rec)
	if !ok {
		r.res.Skipped[SkipNoForeign]++
		return nil
	}
	if !r.opt.IncludeHome && special(f.ip) {
		r.res.Skipped[SkipSpecial]++
		return nil
	}
	s := r.by[f.ip]
	if s == nil {
		if len(r.by) >= r.addrs {
			return errTooMany
		}
		s = &Sighting{Address: f.ip, Role: role}
		r.by[f.ip] = s
	}
	r.res.Shared++
	s.Alerts++
	s.Packets += rec.packets
	if role == RoleSource && s.Role != RoleSource {
		s.Role = RoleSource // an address that attacked at least once is an attacker
	}
	s.fillGeo(f.country, f.registered, f.continent, f.asOrg, f.asn)
	first, last := rec.start, rec.end
	if first.IsZero() {
		first = rec.at
	}
	if last.IsZero() {
		last = rec.at
	}
	if s.FirstSeen.IsZero() || first.Before(s.FirstSeen) {
		s.FirstSeen = first
	}
	if last.After(s.LastSeen) {
		s.LastSeen = last
	}
	if s.LastSeen.Before(s.FirstSeen) {
		s.LastSeen = s.FirstSeen
	}
	s.Kinds = addSorted(s.Kinds, rec.kind)
	for _, t := range rec.techniques {
		s.Techniques = addSorted(s.Techniques, t)
	}
	if rec.sid != 0 {
		if i, found := slices.BinarySearch(s.SignatureIDs, rec.sid); !found && len(s.SignatureIDs) < maxListed {
			s.SignatureIDs = slices.Insert(s.SignatureIDs, i, rec.sid)
		}
	}
	if home != nil {
		s.HomeCountries = addSorted(s.HomeCountries, home.country)
	}
	if r.opt.IncludeHome {
		if home != nil && home.ip.IsValid() {
			if i, found := slices.BinarySearchFunc(s.HomeAddresses, home.ip, netip.Addr.Compare); !found && len(s.HomeAddresses) < maxListed {
				s.HomeAddresses = slices.Insert(s.HomeAddresses, i, home.ip)
			}
		}
		s.Sensors = addSorted(s.Sensors, rec.host)
		s.Signatures = addSorted(s.Signatures, rec.signature)
	}
	return nil
}

// fillGeo sets what s does not know yet of its address's country,
// registered country, continent, AS organisation and number.
func (s *Sighting) fillGeo(country, registered, continent, asOrg string, asn uint32) {
	for _, f := range []struct {
		dst *string
		v   string
	}{{&s.Country, country}, {&s.RegisteredCountry, registered}, {&s.Continent, continent}, {&s.ASOrg, asOrg}} {
		if *f.dst == "" {
			*f.dst = f.v
		}
	}
	if s.ASN == 0 {
		s.ASN = asn
	}
}

func addSorted(list []string, v string) []string {
	if v == "" || len(list) >= maxListed {
		return list
	}
	if i, found := slices.BinarySearch(list, v); !found {
		return slices.Insert(list, i, v)
	}
	return list
}

// Field checks shared by both layouts.

var (
	errNotAlert = errors.New("not an alert")
	// Valid values of the fields that reach the output verbatim.
	okCountry   = func(s string) bool { return s == "" || len(s) == 2 && isUpper(s) }
	okTechnique = func(s string) bool {
		if len(s) != 5 && len(s) != 9 || s[0] != 'T' || !isDigits(s[1:5]) {
			return false
		}
		return len(s) == 5 || s[5] == '.' && isDigits(s[6:])
	}
	okKind = func(s string) bool {
		if len(s) > 32 {
			return false
		}
		for _, c := range s {
			if (c < 'a' || c > 'z') && c != '_' && c != '-' {
				return false
			}
		}
		return true
	}
)

func isUpper(s string) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func parseIP(field, s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%s: not an IP address", field)
	}
	return ip.Unmap(), nil
}

// check validates the fields of rec that are shared verbatim.
func (rec *record) check() error {
	if rec.at.IsZero() {
		return errors.New("timestamp: missing")
	}
	for _, c := range []struct{ name, v string }{
		{"source country", rec.src.country}, {"source registered country", rec.src.registered},
		{"destination country", rec.dst.country}, {"destination registered country", rec.dst.registered},
	} {
		if !okCountry(c.v) {
			return fmt.Errorf("%s: not an ISO 3166-1 alpha-2 code", c.name)
		}
	}
	if !okCountry(rec.src.continent) || !okCountry(rec.dst.continent) {
		return errors.New("continent: not a two-letter code")
	}
	if !okKind(rec.kind) {
		return errors.New("kind: not a detector kind name")
	}
	for _, t := range rec.techniques {
		if !okTechnique(t) {
			return errors.New("MITRE technique: not a technique id (T1234 or T1234.001)")
		}
	}
	if len(rec.src.asOrg) > 256 || len(rec.dst.asOrg) > 256 || len(rec.signature) > 1024 || len(rec.host) > 255 {
		return errors.New("AS organisation, signature or host name too long")
	}
	switch rec.direction {
	case "", "inbound", "outbound", "internal", "transit":
	default:
		return errors.New("geo direction: not inbound, outbound, internal or transit")
	}
	return nil
}

func trimList(l []string) []string {
	return slices.DeleteFunc(slices.Clone(l), func(s string) bool { return strings.TrimSpace(s) == "" })
}
