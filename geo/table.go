package geo

import (
	"encoding/binary"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Table is the immutable, fast lookup structure built from databases and zones.
//
// Each address family is covered completely by sorted ranges; a range holds an
// index into a small array of distinct Info values. A first-level index on the
// top 16 bits narrows the search to the ranges of that /16 (IPv4) or of that
// top-16-bit block (IPv6); a block covered by one range gives its Info from the
// index alone, without touching the (multi-megabyte) range arrays. IPv6 is
// sparse at that level, but a few blocks (2a02::/16, 2a0x::/16, ...) hold tens
// of thousands of ranges each: such a dense block gets a second-level index on
// the next bits, as many as give its sub-blocks about one range each.
type Table struct {
	zones   *Zones
	src     Source
	asnSrc  Source
	stats   Stats
	infos   []Info
	orgs    map[uint32]string
	v4      []range4   // sorted by start; v4[0].start == 0
	v4idx   []idxEntry // 65537 entries, one per /16 and one past the end
	v6      []range6
	v6idx   []idxEntry // 65537 entries, one per top-16-bit block and one past the end
	v6sub   []idxEntry // second-level IPv6 index of the dense blocks
	builtAt time.Time
}

// Stats describes a table for `borderwatch geo info`.
type Stats struct {
	Country              Source
	CountrySchema        string // "geoip2" or "flat"
	CountryNetworks      int
	Registration         Source // zero when no registration table was given
	RegistrationNetworks int
	ASN                  Source // zero when no ASN database was given
	ASNNetworks          int
	HasRegistered        bool // some address has a registered country
	HasASN               bool // some address has an AS number
	Ranges4              int  // IPv4 ranges in the table
	Ranges6              int  // IPv6 ranges in the table
	Infos                int  // distinct Info values
	Bytes                int  // approximate memory of the table
	BuiltAt              time.Time
}

// Layers are the databases a Table is built from. Country is required; the
// registration table fills the registered country where the country database
// has none; the ASN database gives the AS number where it has one (else the
// country database's, if any).
type Layers struct {
	Country      *DB
	Registration *RegDB
	ASN          *ASNDB
}

// Build builds a Table from a country database, an optional ASN database (nil)
// and zones (nil means NewZones(Config{}): no home countries, special ranges home).
func Build(db *DB, asn *ASNDB, z *Zones) (*Table, error) {
	return BuildLayers(Layers{Country: db, ASN: asn}, z)
}

// BuildLayers builds a Table from the layers l and zones z (nil as for Build).
func BuildLayers(l Layers, z *Zones) (*Table, error) {
	db := l.Country
	if db == nil || db.d == nil {
		return nil, errors.New("no country database")
	}
	if z == nil {
		var err error
		if z, err = NewZones(Config{}); err != nil {
			return nil, err
		}
	}
	t := &Table{zones: z, src: db.d.src, orgs: map[uint32]string{}, builtAt: time.Now()}
	maps.Copy(t.orgs, db.d.orgs)
	var ad, rd *dbData
	if l.ASN != nil && l.ASN.d != nil {
		ad = l.ASN.d
		t.asnSrc = ad.src
		maps.Copy(t.orgs, ad.orgs)
	}
	if l.Registration != nil && l.Registration.d != nil {
		rd = l.Registration.d
	}
	b := builder{t: t, z: z, db: db.d, reg: rd, asn: ad, memo: map[memoKey]ZoneSet{}, infoIdx: map[Info]uint32{}}
	b.intern(Info{}) // info 0 is "nothing known"

	var asn4, asn6, reg4, reg6 []span
	if ad != nil {
		asn4, asn6 = ad.v4, ad.v6
	}
	if rd != nil {
		reg4, reg6 = rd.v4, rd.v6
	}
	cidr4, cidr6 := b.cidrOverlay()
	// Sized for the usual case (ranges follow the database's spans, plus a
	// few for gaps and overlays); append grows them in the unusual one.
	t.v4 = make([]range4, 0, len(db.d.v4)+len(asn4)+len(reg4)+2*len(cidr4)+64)
	t.v6 = make([]range6, 0, len(db.d.v6)+len(asn6)+len(reg6)+2*len(cidr6)+64)
	b.sweep(true, [4][]span{db.d.v4, reg4, asn4, cidr4}, func(s u128, v uint32) {
		t.v4 = append(t.v4, range4{uint32(s.lo), v})
	})
	b.sweep(false, [4][]span{db.d.v6, reg6, asn6, cidr6}, func(s u128, v uint32) {
		t.v6 = append(t.v6, range6{s, v})
	})
	t.v4 = slices.Clip(t.v4)
	t.v6 = slices.Clip(t.v6)
	t.buildIndex()
	t.infos = slices.Clip(b.infos)
	t.stats = Stats{
		Country:         db.d.src,
		CountrySchema:   db.d.schema,
		CountryNetworks: db.d.networks,
		Ranges4:         len(t.v4),
		Ranges6:         len(t.v6),
		Infos:           len(t.infos),
		BuiltAt:         t.builtAt,
	}
	for _, in := range t.infos {
		t.stats.HasRegistered = t.stats.HasRegistered || in.Registered != 0
		t.stats.HasASN = t.stats.HasASN || in.ASN != 0
	}
	if ad != nil {
		t.stats.ASN, t.stats.ASNNetworks = ad.src, ad.networks
	}
	if rd != nil {
		t.stats.Registration, t.stats.RegistrationNetworks = rd.src, rd.networks
	}
	// Organisations of AS numbers no address has are not kept.
	used := map[uint32]bool{}
	for _, in := range t.infos {
		used[in.ASN] = true
	}
	maps.DeleteFunc(t.orgs, func(a uint32, _ string) bool { return !used[a] })
	t.stats.Bytes = len(t.v4)*int(unsafe.Sizeof(range4{})) + len(t.v6)*int(unsafe.Sizeof(range6{})) + (len(t.v4idx)+len(t.v6idx)+len(t.v6sub))*int(unsafe.Sizeof(idxEntry{})) +
		len(t.infos)*int(unsafe.Sizeof(Info{}))
	for _, o := range t.orgs {
		t.stats.Bytes += len(o) + 32
	}
	return t, nil
}

// Warnings says what the zones ask of data the table does not have: AS
// terms without any AS data.
func (t *Table) Warnings() []string {
	var w []string
	if t.zones.usesASN && !t.stats.HasASN {
		w = append(w, "zones use AS terms but no loaded database has AS numbers: those terms never match")
	}
	return w
}

// idxEntry is one block (or sub-block) of an index: first is the index of
// the range holding the block's first address; the ranges of the block are
// first up to the next entry's first. aux says how to finish a lookup:
// auxInfo|info when one range covers the block (info is its Info index),
// otherwise, in the IPv6 first level, offset<<5|bits when the block has a
// second-level index of 2^bits sub-blocks at v6sub[offset:], or 0 for a
// binary search of its ranges.
type idxEntry struct {
	first, aux uint32
}

const auxInfo = 1 << 31

// Second-level IPv6 index: a top-16-bit block with more than sub6Min ranges
// gets 2^bits sub-blocks, bits the smallest giving at most one range per
// sub-block on average, at most sub6MaxBits (the next 16 bits of the address).
const (
	sub6Min     = 8
	sub6MaxBits = 16
)

func (t *Table) buildIndex() {
	t.v4idx = make([]idxEntry, 1<<16+1)
	i := 0
	for h := range 1 << 16 {
		for i+1 < len(t.v4) && t.v4[i+1].start <= uint32(h)<<16 {
			i++
		}
		t.v4idx[h].first = uint32(i)
	}
	t.v4idx[1<<16].first = uint32(len(t.v4) - 1)
	for h := range 1 << 16 {
		// One range covers the /16 when the next /16 starts in the same
		// range or exactly where the range after it starts.
		f, l := t.v4idx[h].first, t.v4idx[h+1].first
		if f == l || f+1 == l && t.v4[l].start == uint32(h+1)<<16 {
			t.v4idx[h].aux = auxInfo | t.v4[f].info
		}
	}

	// holder6 returns the index of the last range starting at or before a,
	// searching forward from i.
	holder6 := func(i uint32, a u128) uint32 {
		for i+1 < uint32(len(t.v6)) && !a.less(t.v6[i+1].start) {
			i++
		}
		return i
	}
	// uniform6 reports whether ranges f..l cover [from, to) with one range.
	uniform6 := func(f, l uint32, to u128, end bool) bool {
		return f == l || f+1 == l && !end && t.v6[l].start == to
	}
	t.v6idx = make([]idxEntry, 1<<16+1)
	i6 := uint32(0)
	for h := range 1 << 16 {
		i6 = holder6(i6, u128{uint64(h) << 48, 0})
		t.v6idx[h].first = i6
	}
	t.v6idx[1<<16].first = uint32(len(t.v6) - 1)
	for h := range 1 << 16 {
		f, l := t.v6idx[h].first, t.v6idx[h+1].first
		next, end := u128{uint64(h+1) << 48, 0}, h == 1<<16-1
		if uniform6(f, l, next, end) {
			t.v6idx[h].aux = auxInfo | t.v6[f].info
			continue
		}
		n := l - f + 1
		if n <= sub6Min {
			continue
		}
		bits := uint32(1)
		for bits < sub6MaxBits && 1<<bits < n {
			bits++
		}
		off := uint32(len(t.v6sub))
		t.v6idx[h].aux = off<<5 | bits
		i := f
		for j := range uint64(1) << bits {
			i = holder6(i, u128{uint64(h)<<48 | j<<(48-bits), 0})
			t.v6sub = append(t.v6sub, idxEntry{first: i})
		}
		t.v6sub = append(t.v6sub, idxEntry{first: l})
		for j := range uint64(1) << bits {
			e := &t.v6sub[uint64(off)+j]
			to := u128{uint64(h)<<48 + (j+1)<<(48-bits), 0}
			if uniform6(e.first, t.v6sub[uint64(off)+j+1].first, to, end && j == 1<<bits-1) {
				e.aux = auxInfo | t.v6[e.first].info
			}
		}
	}
	t.v6sub = slices.Clip(t.v6sub)
}

// range4 is an IPv4 range start and the index of its Info; the range ends
// where the next one starts. Start and value share a cache line.
type range4 struct {
	start uint32
	info  uint32
}

// range6 is the IPv6 counterpart of range4.
type range6 struct {
	start u128
	info  uint32
}

type memoKey struct {
	c   CountryID
	asn uint32
	hit int32
}

type builder struct {
	t            *Table
	z            *Zones
	db, reg, asn *dbData
	memo         map[memoKey]ZoneSet
	infos        []Info
	infoIdx      map[Info]uint32
	hits         [][]int // hit sets of the CIDR overlay
}

func (b *builder) intern(in Info) uint32 {
	if i, ok := b.infoIdx[in]; ok {
		return i
	}
	i := uint32(len(b.infos))
	b.infos = append(b.infos, in)
	b.infoIdx[in] = i
	return i
}

// cidrOverlay turns the zones' CIDRs into sorted, non-overlapping spans whose
// rec is an index into b.hits, the set of CIDRs containing the span.
func (b *builder) cidrOverlay() (v4, v6 []span) {
	keys := map[string]uint32{}
	for _, fam4 := range []bool{true, false} {
		var bounds []u128
		type pr struct {
			from, to u128
			id       int
		}
		var ps []pr
		for id, p := range b.z.prefixes {
			if p.Addr().Is4() != fam4 {
				continue
			}
			f, t := prefixRange(p)
			ps = append(ps, pr{f, t, id})
			bounds = append(bounds, f)
			if t != familyMax(fam4) {
				bounds = append(bounds, t.next())
			}
		}
		slices.SortFunc(bounds, cmp128)
		bounds = slices.Compact(bounds)
		var out []span
		for i, s := range bounds {
			e := familyMax(fam4)
			if i+1 < len(bounds) {
				e = bounds[i+1].prev()
			}
			var hit []int
			for _, p := range ps {
				if !s.less(p.from) && !p.to.less(s) {
					hit = append(hit, p.id)
				}
			}
			if len(hit) == 0 {
				continue
			}
			slices.Sort(hit)
			var sb strings.Builder
			for _, h := range hit {
				sb.WriteString(strconv.Itoa(h))
				sb.WriteByte(',')
			}
			k, ok := keys[sb.String()]
			if !ok {
				k = uint32(len(b.hits))
				b.hits = append(b.hits, hit)
				keys[sb.String()] = k
			}
			out = append(out, span{s, e, k})
		}
		if fam4 {
			v4 = out
		} else {
			v6 = out
		}
	}
	return v4, v6
}

func cmp128(a, b u128) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

func familyMax(v4 bool) u128 {
	if v4 {
		return u128{0, 1<<32 - 1}
	}
	return u128{^uint64(0), ^uint64(0)}
}

// sweep walks the address space of one family from 0 to the end, cutting it at
// every boundary of the four span lists (country, registration, ASN, CIDR), and emits (start, info index) for
// every range whose info differs from the previous one.
func (b *builder) sweep(v4 bool, lists [4][]span, emit func(u128, uint32)) {
	max := familyMax(v4)
	var pos [4]int
	at := u128{}
	last := ^uint32(0)
	for {
		var cur [4]int32
		next, more := max, false
		for k, l := range lists {
			p := pos[k]
			for p < len(l) && l[p].to.less(at) {
				p++
			}
			pos[k] = p
			cur[k] = -1
			if p == len(l) {
				continue
			}
			var cand u128
			if !at.less(l[p].from) {
				cur[k] = int32(l[p].rec)
				if l[p].to == max {
					continue
				}
				cand = l[p].to.next()
			} else {
				cand = l[p].from
			}
			if !more || cand.less(next) {
				next, more = cand, true
			}
		}
		v := b.info(cur[0], cur[1], cur[2], cur[3])
		if v != last {
			emit(at, v)
			last = v
		}
		if !more {
			return
		}
		at = next
	}
}

// info returns the index of the Info for a country record, a registration
// record, an ASN record and a CIDR hit set (each -1 when absent).
func (b *builder) info(crec, rrec, arec, hit int32) uint32 {
	var in Info
	if crec >= 0 {
		r := b.db.recs[crec]
		in.Country, in.Registered, in.Represented, in.Continent = r.country, r.registered, r.represented, r.continent
		in.Flags |= FlagFound
		if r.anycast {
			in.Flags |= FlagAnycast
		}
		in.ASN = r.asn
	}
	if rrec >= 0 && in.Registered == 0 {
		in.Registered = b.reg.recs[rrec].registered
	}
	if arec >= 0 {
		in.ASN = b.asn.recs[arec].asn
	}
	var hits []int
	if hit >= 0 {
		hits = b.hits[hit]
		if hits[0] < b.z.special {
			in.Flags |= FlagSpecial
		}
	}
	in.Zones = b.eval(in.Country, in.ASN, hit, hits)
	in.RegZones = b.eval(in.Registered, in.ASN, hit, hits)
	return b.intern(in)
}

// eval returns the zones of country c, AS asn and CIDR hit set hit (-1 for
// none), memoised: the table has a million ranges but few distinct
// combinations, unless the zones use AS terms.
func (b *builder) eval(c CountryID, asn uint32, hit int32, hits []int) ZoneSet {
	if !b.z.usesASN {
		asn = 0
	}
	key := memoKey{c, asn, hit}
	if zs, ok := b.memo[key]; ok {
		return zs
	}
	zs := b.z.eval(c, asn, func(pid int) bool { return slices.Contains(hits, pid) })
	b.memo[key] = zs
	return zs
}

// Zones returns the zones the table was built with.
func (t *Table) Zones() *Zones { return t.zones }

// Lookup returns what is known about a; it never allocates. IPv4-mapped IPv6
// addresses are looked up as IPv4; the zero Addr gives Info{}.
func (t *Table) Lookup(a netip.Addr) Info {
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		b := a.As4()
		return t.infos[t.find4(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))]
	}
	if !a.IsValid() {
		return Info{}
	}
	hi, lo := AddrWords(a)
	return t.infos[t.find6(hi, lo)]
}

// AddrWords returns the high and low 64 bits of a's 16-byte form (As16):
// IPv4 addresses as IPv4-mapped IPv6. It reads IPv6 addresses from
// AppendBinary's output rather than from As16's, whose array the compiler
// copies with a 16-byte load of two 8-byte stores, which the CPU cannot
// forward: 4.5 instead of 9.6 ns per address on this project's machines.
func AddrWords(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		b := a.As4()
		return 0, 0xffff<<32 | uint64(binary.BigEndian.Uint32(b[:]))
	}
	var buf [16]byte
	b, _ := a.AppendBinary(buf[:0])
	if len(b) < 16 {
		return 0, 0
	}
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:16])
}

func (t *Table) find4(x uint32) uint32 {
	h := x >> 16
	e := t.v4idx[h]
	if e.aux != 0 {
		return e.aux &^ auxInfo
	}
	base, n := e.first, t.v4idx[h+1].first-e.first+1
	r := t.v4[base : base+n]
	// Branch-free search for the last range starting at or before x;
	// r[0].start <= x always holds.
	i := uint32(0)
	for n > 1 {
		half := n / 2
		if r[i+half].start <= x {
			i += half
		}
		n -= half
	}
	return r[i].info
}

func (t *Table) find6(xhi, xlo uint64) uint32 {
	h := xhi >> 48
	e := t.v6idx[h]
	end := t.v6idx[h+1].first
	if e.aux&auxInfo == 0 && e.aux != 0 {
		j := e.aux>>5 + uint32(xhi<<16>>(64-e.aux&31))
		e, end = t.v6sub[j], t.v6sub[j+1].first
	}
	if e.aux&auxInfo != 0 {
		return e.aux &^ auxInfo
	}
	base, n := e.first, end-e.first+1
	r := t.v6[base : base+n]
	i := uint32(0)
	for n > 1 {
		half := n / 2
		s := &r[i+half].start
		if s.hi < xhi || s.hi == xhi && s.lo <= xlo {
			i += half
		}
		n -= half
	}
	return r[i].info
}

// Source names the country database.
func (t *Table) Source() Source { return t.src }

// ASNSource names the ASN database; zero when there is none.
func (t *Table) ASNSource() Source { return t.asnSrc }

// Stats describes the table.
func (t *Table) Stats() Stats { return t.stats }

// ASOrg returns the organisation of an AS number, or "".
func (t *Table) ASOrg(asn uint32) string { return t.orgs[asn] }

// Ranges calls fn for every range of the table in address order, IPv4 ranges
// (as 4-byte addresses) then IPv6, [from, to] inclusive, until fn returns false.
// Addresses with no entry and no zone are not visited. The kernel stage builds
// its maps from this.
func (t *Table) Ranges(fn func(from, to netip.Addr, info *Info) bool) {
	for i, r := range t.v4 {
		s := r.start
		in := t.infos[r.info]
		if in == (Info{}) {
			continue
		}
		to := uint32(1<<32 - 1)
		if i+1 < len(t.v4) {
			to = t.v4[i+1].start - 1
		}
		if !fn(numAddr(u128{0, uint64(s)}, true), numAddr(u128{0, uint64(to)}, true), &in) {
			return
		}
	}
	for i, r := range t.v6 {
		s := r.start
		in := t.infos[r.info]
		if in == (Info{}) {
			continue
		}
		to := familyMax(false)
		if i+1 < len(t.v6) {
			to = t.v6[i+1].start.prev()
		}
		if !fn(numAddr(s, false), numAddr(to, false), &in) {
			return
		}
	}
}
