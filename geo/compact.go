package geo

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// The compact form is how the embedded registration and ASN tables are
// stored (zstd-compressed, see embed.go): the decoded spans and records of a
// database, so that loading them is a linear read instead of a walk of an
// mmdb tree. internal/devtools/bw-geodb writes it with WriteCompact.
//
//	"BWGEO\x01"
//	str type, varint build time (Unix seconds), uvarint networks
//	uvarint records; each: uvarint country, uvarint registered, uvarint asn
//	uvarint orgs; each: uvarint asn, str organisation
//	IPv4 then IPv6: uvarint spans; each: u128 gap from the end of the previous
//	  span (+1), u128 size-1, uvarint record
//
// str is a uvarint length and bytes; u128 is two uvarints (high, low).
const compactMagic = "BWGEO\x01"

// Limits of the compact reader: the data is built into the binary, but a
// corrupt or hostile file must still give an error, never a huge allocation.
const (
	maxCompactString = 1 << 10
	maxCompactLen    = 1 << 26 // decompressed size
)

// RegDB is an opened registration-country database: for each network the
// country of its registrant (WHOIS), not where it is used.
type RegDB struct{ d *dbData }

// Source names the database.
func (db *RegDB) Source() Source { return db.d.src }

// Networks is the number of networks (or CSV ranges) the database holds.
func (db *RegDB) Networks() int { return db.d.networks }

// OpenRegistrationBytes reads a registration-country mmdb: ip-location-db's
// flat geo-whois-asn-country (country_code is the registrant's country) or a
// GeoIP2 database's registered_country. name is used in errors.
func OpenRegistrationBytes(name string, b []byte) (*RegDB, error) {
	d, err := decode(name, b)
	if err != nil {
		return nil, fmt.Errorf("opening registration database %s: %w", name, err)
	}
	n := 0
	for i := range d.recs {
		r := &d.recs[i]
		reg := r.registered
		if d.schema == "flat" {
			reg = r.country // the whois country_code is the registrant's
		}
		*r = record{registered: reg}
		if r.registered != 0 {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("opening registration database %s: database_type %q has no registration country data", name, d.src.Type)
	}
	d.schema = "registration"
	return &RegDB{d}, nil
}

// WriteCompact writes the database in the compact form, with its type and build
// time replaced by typ and built when they are set.
func (db *RegDB) WriteCompact(w io.Writer, typ string, built time.Time) error {
	return writeCompact(w, db.d, typ, built)
}

// WriteCompact writes the database in the compact form, with its type and build
// time replaced by typ and built when they are set.
func (db *ASNDB) WriteCompact(w io.Writer, typ string, built time.Time) error {
	return writeCompact(w, db.d, typ, built)
}

// ASOrg returns the organisation of an AS number in the database, or "".
func (db *ASNDB) ASOrg(asn uint32) string { return db.d.orgs[asn] }

// Limits of ReadASNCSV.
const (
	maxCSVLine   = 4 << 10
	maxCSVRanges = 4 << 20
)

// ReadASNCSV reads ip-location-db ASN CSV rows (ip_range_start, ip_range_end,
// autonomous_system_number, autonomous_system_organization; inclusive ranges,
// sorted and not overlapping within each family). Rows of AS 0 are skipped.
// name is used in errors, which give the line.
func ReadASNCSV(name string, r io.Reader, built time.Time) (*ASNDB, error) {
	d := &dbData{src: Source{Name: name, Type: "ip-location-db-asn", BuildTime: built.UTC()}, orgs: map[uint32]string{}}
	byASN := map[uint32]uint32{}
	var v4, v6 []span
	overlaps := 0
	lr := &lineLimit{r: r, max: maxCSVLine, line: 1}
	cr := csv.NewReader(bufio.NewReaderSize(lr, maxCSVLine))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if errors.Is(err, errLongLine) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, lr.line, maxCSVLine)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, a...))
		}
		if len(rec) < 3 || len(rec) > 4 {
			return nil, fail("%d fields, want 3 or 4", len(rec))
		}
		for _, f := range rec {
			if len(f) > maxCompactString {
				return nil, fail("field of %d bytes, over the limit of %d", len(f), maxCompactString)
			}
		}
		from, err1 := netip.ParseAddr(rec[0])
		to, err2 := netip.ParseAddr(rec[1])
		if err1 != nil && line == 1 {
			continue // header
		}
		if err1 != nil || err2 != nil || from.Is4() != to.Is4() || to.Less(from) || from.Zone() != "" || to.Zone() != "" {
			return nil, fail("bad range %.40q-%.40q", rec[0], rec[1])
		}
		asn, err := strconv.ParseUint(rec[2], 10, 32)
		if err != nil {
			return nil, fail("bad AS number %.20q", rec[2])
		}
		d.networks++
		if d.networks > maxCSVRanges {
			return nil, fail("more than %d ranges", maxCSVRanges)
		}
		if asn == 0 {
			continue
		}
		a := uint32(asn)
		if len(rec) == 4 && rec[3] != "" {
			if _, ok := d.orgs[a]; !ok {
				d.orgs[a] = rec[3]
			}
		}
		idx, ok := byASN[a]
		if !ok {
			idx = uint32(len(d.recs))
			d.recs = append(d.recs, record{asn: a})
			byASN[a] = idx
		}
		s := span{addrNum(from.Unmap()), addrNum(to.Unmap()), idx}
		l := &v6
		if from.Is4() {
			l = &v4
		}
		if n := len(*l); n > 0 {
			last := (*l)[n-1]
			if s.from.less(last.from) {
				return nil, fail("range %s-%s starts before the previous one (rows must be sorted)", from, to)
			}
			if !last.to.less(s.from) {
				// The source has a few overlapping rows: the later
				// row wins, the earlier keeps what is left of it.
				overlaps++
				*l = (*l)[:n-1]
				if last.from.less(s.from) {
					*l = append(*l, span{last.from, s.from.prev(), last.rec})
				}
				*l = appendSpan(*l, s)
				if s.to.less(last.to) {
					*l = appendSpan(*l, span{s.to.next(), last.to, last.rec})
				}
				continue
			}
		}
		*l = appendSpan(*l, s)
	}
	if len(d.recs) == 0 {
		return nil, fmt.Errorf("%s: no ranges with an AS number", name)
	}
	d.v4, d.v6 = slices.Clip(v4), slices.Clip(v6)
	return &ASNDB{d, overlaps}, nil
}

// errLongLine is lineLimit's error.
var errLongLine = errors.New("line too long")

// lineLimit passes r on while no line is longer than max bytes (the
// newline not counted), then fails with errLongLine: the csv reader reads
// a whole line, however long, before its fields can be checked. line is
// the number of the line being read.
type lineLimit struct {
	r         io.Reader
	max, cur  int
	line      int
	exhausted bool
}

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.exhausted {
		return 0, errLongLine
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.line++
			l.cur = 0
			continue
		}
		if l.cur++; l.cur > l.max {
			l.exhausted = true
			return i, errLongLine
		}
	}
	return n, err
}

// appendSpan appends s to l, merging it into the last span when adjacent
// and equal.
func appendSpan(l []span, s span) []span {
	if n := len(l); n > 0 && l[n-1].rec == s.rec && l[n-1].to.next() == s.from {
		l[n-1].to = s.to
		return l
	}
	return append(l, s)
}

// Overlaps is the number of CSV rows that overlapped an earlier row (the
// later row wins); 0 for an mmdb.
func (db *ASNDB) Overlaps() int { return db.overlaps }

func writeCompact(w io.Writer, d *dbData, typ string, built time.Time) error {
	if typ == "" {
		typ = d.src.Type
	}
	if built.IsZero() {
		built = d.src.BuildTime
	}
	b := []byte(compactMagic)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	u := func(x uint64) { b = binary.AppendUvarint(b, x) }
	str(typ)
	b = binary.AppendVarint(b, built.Unix())
	u(uint64(d.networks))
	u(uint64(len(d.recs)))
	for _, r := range d.recs {
		u(uint64(r.country))
		u(uint64(r.registered))
		u(uint64(r.asn))
	}
	asns := slices.Sorted(func(yield func(uint32) bool) {
		for a := range d.orgs {
			if !yield(a) {
				return
			}
		}
	})
	u(uint64(len(asns)))
	for _, a := range asns {
		u(uint64(a))
		str(d.orgs[a])
	}
	for _, l := range [][]span{d.v4, d.v6} {
		u(uint64(len(l)))
		expect := u128{}
		for _, s := range l {
			gap, size := sub128(s.from, expect), sub128(s.to, s.from)
			u(gap.hi)
			u(gap.lo)
			u(size.hi)
			u(size.lo)
			u(uint64(s.rec))
			expect = s.to.next()
		}
	}
	_, err := w.Write(b)
	return err
}

func sub128(a, b u128) u128 {
	lo := a.lo - b.lo
	borrow := uint64(0)
	if a.lo < b.lo {
		borrow = 1
	}
	return u128{a.hi - b.hi - borrow, lo}
}

// add128 returns a+b and whether it overflowed.
func add128(a, b u128) (u128, bool) {
	lo := a.lo + b.lo
	carry := uint64(0)
	if lo < a.lo {
		carry = 1
	}
	hi := a.hi + b.hi
	over := hi < a.hi
	hi2 := hi + carry
	return u128{hi2, lo}, over || hi2 < hi
}

// compactReader reads the compact form with bounds; the first error sticks.
type compactReader struct {
	b   []byte
	off int
	err error
}

func (r *compactReader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("offset %d: %s", r.off, fmt.Sprintf(format, a...))
	}
}

func (r *compactReader) uvarint(limit uint64, what string) uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("truncated or bad %s", what)
		return 0
	}
	if x > limit {
		r.fail("%s %d over the limit of %d", what, x, limit)
		return 0
	}
	r.off += n
	return x
}

func (r *compactReader) str(what string) string {
	n := r.uvarint(maxCompactString, what+" length")
	if r.err != nil {
		return ""
	}
	if uint64(len(r.b)-r.off) < n {
		r.fail("truncated %s", what)
		return ""
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s
}

// count reads an element count that must fit in the rest of the data at
// least min bytes per element.
func (r *compactReader) count(min int, what string) int {
	return int(r.uvarint(uint64((len(r.b)-r.off)/min), what))
}

// decodeCompact reads the compact form of a database.
func decodeCompact(name string, b []byte) (*dbData, error) {
	if len(b) < len(compactMagic) || string(b[:len(compactMagic)]) != compactMagic {
		return nil, errors.New("not a borderwatch compact geo table (bad magic)")
	}
	r := &compactReader{b: b, off: len(compactMagic)}
	d := &dbData{src: Source{Name: name}, orgs: map[uint32]string{}}
	d.src.Type = r.str("type")
	if r.err == nil {
		t, n := binary.Varint(r.b[r.off:])
		if n <= 0 {
			r.fail("bad build time")
		} else {
			r.off += n
			d.src.BuildTime = time.Unix(t, 0).UTC()
		}
	}
	d.networks = int(r.uvarint(1<<32, "network count"))
	d.recs = make([]record, r.count(3, "record count"))
	for i := range d.recs {
		c := CountryID(r.uvarint(maxCountryID, "country"))
		reg := CountryID(r.uvarint(maxCountryID, "registered country"))
		d.recs[i] = record{country: c, registered: reg, continent: ContinentOf(c), asn: uint32(r.uvarint(1<<32-1, "AS number"))}
	}
	norgs := r.count(2, "organisation count")
	for range norgs {
		a := uint32(r.uvarint(1<<32-1, "AS number"))
		d.orgs[a] = r.str("organisation")
	}
	for fam := range 2 {
		v4 := fam == 0
		n := r.count(5, "span count")
		l := make([]span, 0, n)
		expect, started := u128{}, false
		for range n {
			var gap, size u128
			gap.hi, gap.lo = r.uvarint(^uint64(0), "gap"), r.uvarint(^uint64(0), "gap")
			size.hi, size.lo = r.uvarint(^uint64(0), "size"), r.uvarint(^uint64(0), "size")
			rec := r.uvarint(uint64(len(d.recs)), "record")
			if r.err != nil {
				break
			}
			if rec == uint64(len(d.recs)) {
				r.fail("record %d out of range", rec)
				break
			}
			if started && expect == (u128{}) {
				r.fail("span after the end of the address space")
				break
			}
			from, o1 := add128(expect, gap)
			to, o2 := add128(from, size)
			if o1 || o2 || familyMax(v4).less(to) {
				r.fail("span beyond the address space")
				break
			}
			l = append(l, span{from, to, uint32(rec)})
			expect, started = to.next(), true
		}
		if v4 {
			d.v4 = l
		} else {
			d.v6 = l
		}
	}
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes of trailing data", len(r.b)-r.off)
	}
	if r.err != nil {
		return nil, r.err
	}
	return d, nil
}

// reservedPrefixes are the IANA special-purpose blocks that are not globally
// reachable (RFC 6890 registries): no registration or AS data is true of them
// for a sensor (private, documentation, benchmarking, multicast, reserved).
// The source files of the embedded tables have entries in some (192.168.0.0/16
// and 198.51.100.0/24 registered in AU, 2001:db8::/32 in JP), which
// bw-geodb cuts out with DropReserved.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/3"), // multicast and 240/4 reserved
	netip.MustParsePrefix("::/8"),        // unspecified, loopback, IPv4-compatible and -mapped
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:2::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("3fff::/20"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// DropReserved removes the special-purpose, not globally reachable blocks
// (reservedPrefixes) from the database and returns how many spans it cut.
func (db *RegDB) DropReserved() int { return dropReserved(db.d) }

// DropReserved is RegDB.DropReserved for an ASN database.
func (db *ASNDB) DropReserved() int { return dropReserved(db.d) }

func dropReserved(d *dbData) int {
	n := 0
	for _, p := range reservedPrefixes {
		from, to := prefixRange(p)
		l := &d.v6
		if p.Addr().Is4() {
			l = &d.v4
		}
		var out []span
		for _, s := range *l {
			if s.to.less(from) || to.less(s.from) {
				out = append(out, s)
				continue
			}
			n++
			if s.from.less(from) {
				out = append(out, span{s.from, from.prev(), s.rec})
			}
			if to.less(s.to) {
				out = append(out, span{to.next(), s.to, s.rec})
			}
		}
		*l = out
	}
	return n
}
