package geo

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/oschwald/maxminddb-golang/v2"
)

// Source describes where a table's data came from.
type Source struct {
	Name      string    // file path or "embedded:dbip-country-lite"
	Type      string    // database_type from the metadata
	BuildTime time.Time // build_epoch from the metadata
}

// DB is an opened country (or city) database, any supported schema. Opening
// reads and decodes every network, so a DB holds no reference to the file.
type DB struct{ d *dbData }

// ASNDB is an opened ASN database.
type ASNDB struct {
	d        *dbData
	overlaps int
}

// Source names the database.
func (db *DB) Source() Source { return db.d.src }

// Schema is "geoip2" (country/registered_country maps) or "flat" (top-level
// country_code, as in ip-location-db).
func (db *DB) Schema() string { return db.d.schema }

// Networks is the number of networks the database holds.
func (db *DB) Networks() int { return db.d.networks }

// Source names the database.
func (db *ASNDB) Source() Source { return db.d.src }

// Networks is the number of networks the database holds.
func (db *ASNDB) Networks() int { return db.d.networks }

// u128 is an address as a 128-bit number; IPv4 uses lo only.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) next() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func (a u128) prev() u128 {
	if a.lo == 0 {
		return u128{a.hi - 1, ^uint64(0)}
	}
	return u128{a.hi, a.lo - 1}
}

// record is the decoded content of a database record.
type record struct {
	country, registered, represented CountryID
	continent                        Continent
	anycast                          bool
	asn                              uint32
}

// span is a range [from, to] of one address family holding record rec.
type span struct {
	from, to u128
	rec      uint32
}

// dbData is the decoded content of a database: sorted, non-overlapping spans.
type dbData struct {
	src      Source
	schema   string
	v4, v6   []span
	recs     []record
	orgs     map[uint32]string // ASN → organisation
	networks int
}

// rawRecord decodes the fields geo uses from all supported schemas.
type rawRecord struct {
	Country struct {
		ISO string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Registered struct {
		ISO string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	Represented struct {
		ISO string `maxminddb:"iso_code"`
	} `maxminddb:"represented_country"`
	Continent struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"continent"`
	Traits struct {
		Anycast bool `maxminddb:"is_anycast"`
	} `maxminddb:"traits"`
	CountryCode   string `maxminddb:"country_code"`
	ContinentCode string `maxminddb:"continent_code"`
	ASN           uint32 `maxminddb:"autonomous_system_number"`
	ASOrg         string `maxminddb:"autonomous_system_organization"`
}

// Open reads a MaxMind-format country/city database from a file. The whole file
// is read into memory first, so a file replaced or rewritten later does not
// affect the DB.
func Open(path string) (*DB, error) {
	b, err := readDBFile(path)
	if err != nil {
		return nil, fmt.Errorf("opening geoip database: %w", err)
	}
	return OpenBytes(path, b)
}

// OpenBytes reads a database from memory; name is used in errors and alerts.
// b is not retained.
func OpenBytes(name string, b []byte) (*DB, error) {
	d, err := decode(name, b)
	if err != nil {
		return nil, fmt.Errorf("opening geoip database %s: %w", name, err)
	}
	if d.schema == "" {
		hint := ""
		if hasASN(d) {
			hint = "; it is an ASN database, give it with --asn-db"
		}
		return nil, fmt.Errorf("opening geoip database %s: database_type %q has no country data (unsupported database%s)", name, d.src.Type, hint)
	}
	return &DB{d}, nil
}

// OpenASN reads an ASN database (GeoLite2-ASN or DB-IP ASN schema, or any
// database whose records carry autonomous_system_number).
func OpenASN(path string) (*ASNDB, error) {
	b, err := readDBFile(path)
	if err != nil {
		return nil, fmt.Errorf("opening asn database: %w", err)
	}
	return OpenASNBytes(path, b)
}

// OpenASNBytes reads an ASN database from memory; name is used in errors.
func OpenASNBytes(name string, b []byte) (*ASNDB, error) {
	d, err := decode(name, b)
	if err != nil {
		return nil, fmt.Errorf("opening asn database %s: %w", name, err)
	}
	if len(d.orgs) == 0 && !hasASN(d) {
		return nil, fmt.Errorf("opening asn database %s: database_type %q has no autonomous_system_number data", name, d.src.Type)
	}
	return &ASNDB{d: d}, nil
}

func hasASN(d *dbData) bool {
	for _, r := range d.recs {
		if r.asn != 0 {
			return true
		}
	}
	return false
}

// MaxDBFileSize is the largest database file Open and OpenASN read (256 MiB;
// GeoIP2-City is about 130 MB). A file is read whole into memory, so the
// limit bounds the memory a wrong path can take.
const MaxDBFileSize = 256 << 20

// readDBFile reads a regular file of at most MaxDBFileSize bytes. A FIFO,
// device or directory is refused before reading: /dev/zero or a pipe would
// otherwise be read without end.
func readDBFile(path string) ([]byte, error) { return boundedfile.Read(path, MaxDBFileSize) }

var metadataMarker = []byte("\xAB\xCD\xEFMaxMind.com")

// errPanic wraps a panic of the reader.
var errPanic = errors.New("corrupt database")

// decode opens b with maxminddb and reads every network. Any panic of the reader
// becomes an error.
func decode(name string, b []byte) (d *dbData, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("%w: reader panicked: %v", errPanic, r)
		}
	}()
	if len(b) == 0 {
		return nil, errors.New("empty file")
	}
	if !bytes.Contains(b, metadataMarker) {
		return nil, errors.New("no MaxMind DB metadata section (not an mmdb file, or truncated)")
	}
	r, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("corrupt: %w", err)
	}
	md := r.Metadata
	if md.IPVersion != 4 && md.IPVersion != 6 {
		return nil, fmt.Errorf("unsupported ip_version %d", md.IPVersion)
	}
	d = &dbData{
		src:  Source{Name: name, Type: md.DatabaseType, BuildTime: md.BuildTime().UTC()},
		orgs: map[uint32]string{},
	}
	byOffset := map[uintptr]uint32{}
	byRecord := map[record]uint32{}
	var sawGeoIP2, sawFlat bool
	// A tree of n nodes has at most n+1 data leaves, so the spans fit in
	// one buffer sized up front: IPv4 from its start, IPv6 from its end.
	// Growing two slices by append instead spent most of the decoding time
	// copying them and faulting in fresh pages.
	sb := newSpanBuf(int(md.NodeCount) + 1)
	for res := range r.Networks() {
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("corrupt: %w", err)
		}
		d.networks++
		off := res.Offset()
		idx, ok := byOffset[off]
		if !ok {
			// Decoding the whole record once checks all of its data, not only
			// the fields geo uses. (Reader.Verify would, but it also rejects
			// DB-IP files for their empty metadata description.)
			var all any
			if err := res.Decode(&all); err != nil {
				return nil, fmt.Errorf("corrupt record of %s: %w", res.Prefix(), err)
			}
			var raw rawRecord
			if err := res.Decode(&raw); err != nil {
				return nil, fmt.Errorf("unsupported or corrupt record of %s: %w", res.Prefix(), err)
			}
			rec, kind, err := convert(&raw)
			if err != nil {
				return nil, fmt.Errorf("record of %s: %w", res.Prefix(), err)
			}
			switch kind {
			case "geoip2":
				sawGeoIP2 = true
			case "flat":
				sawFlat = true
			}
			if raw.ASN != 0 && raw.ASOrg != "" {
				d.orgs[raw.ASN] = raw.ASOrg
			}
			if idx, ok = byRecord[rec]; !ok {
				idx = uint32(len(d.recs))
				d.recs = append(d.recs, rec)
				byRecord[rec] = idx
			}
			byOffset[off] = idx
		}
		sb.add(res.Prefix(), idx)
	}
	d.v4, d.v6 = sb.lists()
	switch {
	case sawGeoIP2:
		d.schema = "geoip2"
	case sawFlat:
		d.schema = "flat"
	}
	return d, nil
}

// convert checks and converts a decoded record; kind is "geoip2", "flat" or "".
func convert(raw *rawRecord) (record, string, error) {
	var rec record
	var kind string
	code := func(field, s string) (CountryID, error) {
		if s == "" {
			return 0, nil
		}
		id, ok := ParseCountry(s)
		if !ok {
			return 0, fmt.Errorf("bad %s %q", field, s)
		}
		return id, nil
	}
	var err error
	if rec.country, err = code("country.iso_code", raw.Country.ISO); err != nil {
		return rec, "", err
	}
	if rec.registered, err = code("registered_country.iso_code", raw.Registered.ISO); err != nil {
		return rec, "", err
	}
	if rec.represented, err = code("represented_country.iso_code", raw.Represented.ISO); err != nil {
		return rec, "", err
	}
	if rec.country != 0 || rec.registered != 0 {
		kind = "geoip2"
	} else if raw.CountryCode != "" {
		if rec.country, err = code("country_code", raw.CountryCode); err != nil {
			return rec, "", err
		}
		// The flat schema has one country: the location's. It says
		// nothing of the registration, so none is reported.
		kind = "flat"
	}
	cont := raw.Continent.Code
	if cont == "" {
		cont = raw.ContinentCode
	}
	if cont != "" {
		rec.continent, _ = ParseContinent(cont)
	}
	if rec.continent == 0 {
		rec.continent = ContinentOf(rec.country)
	}
	rec.anycast = raw.Traits.Anycast
	rec.asn = raw.ASN
	return rec, kind, nil
}

// spanBuf collects the spans of a database in address order, IPv4 from the
// start of one buffer and IPv6 from its end (in reverse), merging each with
// the previous span of its family when adjacent and equal.
type spanBuf struct {
	buf    []span
	n4, n6 int
}

func newSpanBuf(n int) *spanBuf { return &spanBuf{buf: make([]span, max(n, 16))} }

func (b *spanBuf) add(p netip.Prefix, rec uint32) {
	from, to := prefixRange(p)
	v4 := p.Addr().Is4()
	var last *span
	switch {
	case v4 && b.n4 > 0:
		last = &b.buf[b.n4-1]
	case !v4 && b.n6 > 0:
		last = &b.buf[len(b.buf)-b.n6]
	}
	if last != nil && last.rec == rec && last.to.next() == from {
		last.to = to
		return
	}
	if b.n4+b.n6 == len(b.buf) { // more networks than the header promised
		nb := make([]span, 2*len(b.buf))
		copy(nb, b.buf[:b.n4])
		copy(nb[len(nb)-b.n6:], b.buf[len(b.buf)-b.n6:])
		b.buf = nb
	}
	if v4 {
		b.buf[b.n4] = span{from, to, rec}
		b.n4++
	} else {
		b.n6++
		b.buf[len(b.buf)-b.n6] = span{from, to, rec}
	}
}

// lists returns the IPv4 and IPv6 spans in address order. They stay in the
// buffer: its unused middle was never written, so it takes no memory.
func (b *spanBuf) lists() (v4, v6 []span) {
	v4 = b.buf[:b.n4:b.n4]
	v6 = b.buf[len(b.buf)-b.n6:]
	slices.Reverse(v6)
	return v4, v6
}

// prefixRange returns the first and last address of p as numbers; IPv4 prefixes
// use the IPv4 number space.
func prefixRange(p netip.Prefix) (u128, u128) {
	p = p.Masked()
	from := addrNum(p.Addr())
	if p.Addr().Is4() {
		size := uint64(1) << (32 - p.Bits())
		return from, u128{0, from.lo + size - 1}
	}
	host := 128 - p.Bits()
	to := from
	switch {
	case host >= 64:
		to.lo = ^uint64(0)
		if host == 128 {
			to.hi = ^uint64(0)
		} else {
			to.hi |= (uint64(1) << (host - 64)) - 1
		}
	case host > 0:
		to.lo |= (uint64(1) << host) - 1
	}
	return from, to
}

// addrNum returns a (IPv4 or IPv6, not mapped) as a number.
func addrNum(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var n u128
	for i := 0; i < 8; i++ {
		n.hi = n.hi<<8 | uint64(b[i])
		n.lo = n.lo<<8 | uint64(b[8+i])
	}
	return n
}

// numAddr converts back; v4 selects the IPv4 space.
func numAddr(n u128, v4 bool) netip.Addr {
	if v4 {
		x := uint32(n.lo)
		return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(n.hi >> (56 - 8*i))
		b[8+i] = byte(n.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}
