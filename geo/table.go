package geo

import (
	"encoding/binary"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Table is the immutable, fast lookup structure built from databases and zones.
//
// Each address family is covered completely by sorted ranges. A range's
// result is a val: its AS number and an index into a small array of distinct
// Info values without AS number (a few thousand: the AS number is what makes
// the merged table's 175k results distinct), so that a lookup ends in the
// range's own cache line plus one line of an array that stays in cache,
// instead of a third miss into a multi-megabyte result array.
//
// A first-level index on the top 16 bits narrows the search to the ranges of
// that /16 (IPv4) or of that top-16-bit block (IPv6); both indexes have
// 8-byte entries (512 KiB each). IPv4 packs each range into one word, the
// low 16 bits of its start and its val (pack4), so that the search ends in
// the line holding the result: a random address (a spoofed flood) costs the
// index line and one or two range lines. IPv6 is sparse at the
// first level, but a few blocks (2a02::/16, 2a0x::/16, ...) hold tens of
// thousands of ranges each: such a dense block gets a second-level index on
// the next bits, as many as give its sub-blocks about one range each.
type Table struct {
	zones   *Zones
	src     Source
	asnSrc  Source
	stats   Stats
	res     []Info // distinct results without AS number (ASN 0)
	orgs    map[uint32]string
	v4      []uint64 // each IPv4 range in order: low 16 bits of its start<<48 | result (see pack4)
	v4val   []val    // result of each IPv4 range when some res does not fit pack4, else nil
	v4idx   []blk4   // 65536 entries, one per /16
	v4first []uint32 // first range of each /16 (blk4.first), for Ranges
	v6      []range6
	v6idx   []idxEntry // 65536 entries, one per top-16-bit block
	v6sub   []subEntry // second-level IPv6 index of the dense blocks
	builtAt time.Time

	// loc is the table of the country database alone, with the same
	// zones, when t also has registration or ASN layers (else nil): the
	// per-packet path looks addresses up there unless the rules need the
	// other layers (PerPacket). It is built on the first PerPacket call
	// from locDB, so that the commands that only look up addresses (geo
	// lookup, rules check) do not pay for it.
	locOnce sync.Once
	locDB   *DB
	loc     *Table
}

// Needs says what data beyond the location a rule set matches on, per
// packet: registered countries (a rule with a registered or either basis)
// or AS numbers (an AS term in a rule's from or to).
type Needs struct {
	Registration bool
	ASN          bool
}

// PerPacket returns the table the per-packet path should look addresses up
// in for rules needing n: the location-only table when t has one and
// neither n nor t's zones (AS terms) need the registration or ASN layers,
// else t. For every address the two give the same Country, Represented,
// Continent, Flags and Zones (and so the same jurisdiction direction); only
// Registered, RegZones and ASN differ. The location-only table is about
// half the size (issue 19: a cache-cold IPv4 lookup of the merged table
// cost 25-28 ns of CPU, of the location-only one about 18), so the
// registration country and AS number are best looked up in t only for an
// alert.
//
// The first call builds the location-only table (about 0.1 s and 15 MiB
// for the embedded data): call it before the table is swapped in.
func (t *Table) PerPacket(n Needs) *Table {
	if n.Registration || n.ASN || t.zones.usesASN {
		return t
	}
	t.locOnce.Do(func() {
		if t.locDB == nil {
			return
		}
		// Built from the database t was built from, with its zones: it
		// cannot fail where t's build did not; if it did, t serves.
		if loc, err := BuildLayers(Layers{Country: t.locDB}, t.zones); err == nil {
			t.loc = loc
		}
		t.locDB = nil
	})
	if t.loc == nil {
		return t
	}
	return t.loc
}

// val is a range's result: its AS number and the index of the rest in res.
type val struct {
	res, asn uint32
}

// blk4 is the IPv4 first-level index entry of one /16: first is the range
// holding the block's first address, n the number of ranges that hold an
// address of the block (first and the n-1 that start inside it). When one
// range holds the whole block, n is auxInfo|res and first the AS number of
// its result, so that a lookup in such a block reads the index alone. The
// entry is 8 bytes: the 65536 entries (512 KiB) are read at a random place
// by every lookup of a random address, and at 16 bytes (the result next to
// first and n) they missed the cache 1.8 times as often (issue 19's table).
type blk4 struct {
	first, n uint32
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
	Bytes                int  // approximate memory of the table (its location-only table, built for a pipeline, not included)
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
	if rd != nil || ad != nil {
		t.locDB = db
	}
	b := builder{t: t, z: z, db: db.d, reg: rd, asn: ad, memo: map[memoKey]ZoneSet{}, resIdx: map[Info]uint32{}, distinct: map[val]struct{}{}}
	b.intern(Info{}) // res 0 is "nothing known"

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
	n4 := len(db.d.v4) + len(asn4) + len(reg4) + 2*len(cidr4) + 64
	starts4 := make([]uint32, 0, n4) // full starts, for the index only
	t.v4val = make([]val, 0, n4)
	t.v6 = make([]range6, 0, len(db.d.v6)+len(asn6)+len(reg6)+2*len(cidr6)+64)
	b.sweep(true, [4][]span{db.d.v4, reg4, asn4, cidr4}, func(s u128, v val) {
		starts4 = append(starts4, uint32(s.lo))
		t.v4val = append(t.v4val, v)
	})
	b.sweep(false, [4][]span{db.d.v6, reg6, asn6, cidr6}, func(s u128, v val) {
		t.v6 = append(t.v6, range6{s, v})
	})
	t.v4val = slices.Clip(t.v4val)
	t.v6 = slices.Clip(t.v6)
	t.buildIndex(starts4)
	t.res = slices.Clip(b.res)
	t.stats = Stats{
		Country:         db.d.src,
		CountrySchema:   db.d.schema,
		CountryNetworks: db.d.networks,
		Ranges4:         len(t.v4),
		Ranges6:         len(t.v6),
		Infos:           len(b.distinct),
		BuiltAt:         t.builtAt,
	}
	for _, in := range t.res {
		t.stats.HasRegistered = t.stats.HasRegistered || in.Registered != 0
	}
	if ad != nil {
		t.stats.ASN, t.stats.ASNNetworks = ad.src, ad.networks
	}
	if rd != nil {
		t.stats.Registration, t.stats.RegistrationNetworks = rd.src, rd.networks
	}
	// Organisations of AS numbers no address has are not kept.
	used := map[uint32]bool{}
	for v := range b.distinct {
		used[v.asn] = true
		t.stats.HasASN = t.stats.HasASN || v.asn != 0
	}
	maps.DeleteFunc(t.orgs, func(a uint32, _ string) bool { return !used[a] })
	t.stats.Bytes = len(t.v4)*8 + len(t.v4val)*int(unsafe.Sizeof(val{})) + len(t.v4idx)*int(unsafe.Sizeof(blk4{})) + len(t.v4first)*4 +
		len(t.v6)*int(unsafe.Sizeof(range6{})) + len(t.v6idx)*int(unsafe.Sizeof(idxEntry{})) + len(t.v6sub)*int(unsafe.Sizeof(subEntry{})) +
		len(t.res)*int(unsafe.Sizeof(Info{}))
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

// idxEntry is one block of the IPv6 first-level index. aux says how to
// finish a lookup: auxInfo|res when one range covers the block (first is
// then the AS number of its result, so that the lookup reads the index
// alone); otherwise first is the index of the range holding the block's
// first address and aux is offset<<5|bits when the block has a second-level
// index of 2^bits sub-blocks at v6sub[offset:], or n<<5 for a binary search
// of its n ranges from first. The entry is 8 bytes, as the IPv4 one (blk4):
// the index stays half as large in the cache.
type idxEntry struct {
	first, aux uint32
}

// subEntry is a sub-block of the second-level IPv6 index: first as in
// idxEntry; aux is auxInfo when one range covers the sub-block. It carries
// no result: the second level has about as many entries as there are
// ranges, and the range's own line gives the result.
type subEntry struct {
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

// pack4 packs the low 16 bits of an IPv4 range's start and its result v
// into one word, so that the search among a block's ranges ends in the line
// holding the result (a separate array of results cost one more cache miss
// per lookup of a random address). A result whose res does not fit 16 bits
// is packed as res4Far and read from v4val.
func pack4(lo uint16, v val) uint64 {
	r := uint64(v.res)
	if r >= res4Pack {
		r = res4Far
	}
	return uint64(lo)<<48 | r<<32 | uint64(v.asn)
}

// res4Far in a packed IPv4 range says its result is in v4val.
const res4Far = 1<<16 - 1

// res4Pack is the first res that pack4 does not pack: res4Far, a variable
// so that a test can lower it.
var res4Pack uint64 = res4Far

// val4 returns the result of IPv4 range i.
func (t *Table) val4(i uint32) val {
	e := t.v4[i]
	if r := e >> 32 & 0xffff; r != res4Far {
		return val{res: uint32(r), asn: uint32(e)}
	}
	return t.v4val[i]
}

// buildIndex builds the indexes and v4 from the ranges (v4val) and starts4,
// the full starts of the IPv4 ranges; v4val is kept only if v4 needs it.
func (t *Table) buildIndex(starts4 []uint32) {
	t.v4idx = make([]blk4, 1<<16)
	t.v4first = make([]uint32, 1<<16)
	t.v4 = make([]uint64, len(starts4))
	far := false
	for i, s := range starts4 {
		t.v4[i] = pack4(uint16(s), t.v4val[i])
		far = far || uint64(t.v4val[i].res) >= res4Pack
	}
	defer func() {
		if !far {
			t.v4val = nil
		}
	}()
	i := 0
	for h := range 1 << 16 {
		for i+1 < len(starts4) && starts4[i+1] <= uint32(h)<<16 {
			i++
		}
		// The block's ranges: i, holding its first address, and those
		// starting after that address but inside the block.
		n := 1
		for i+n < len(starts4) && starts4[i+n]>>16 == uint32(h) {
			n++
		}
		t.v4first[h] = uint32(i)
		if n == 1 {
			v := t.v4val[i]
			t.v4idx[h] = blk4{v.asn, auxInfo | v.res}
		} else {
			t.v4idx[h] = blk4{uint32(i), uint32(n)}
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
	// first6[h]: the range holding block h's first address, and one past
	// the end.
	first6 := make([]uint32, 1<<16+1)
	i6 := uint32(0)
	for h := range 1 << 16 {
		i6 = holder6(i6, u128{uint64(h) << 48, 0})
		first6[h] = i6
	}
	first6[1<<16] = uint32(len(t.v6) - 1)
	t.v6idx = make([]idxEntry, 1<<16)
	// subBits returns the bits of block h's second-level index, 0 for none.
	subBits := func(h int) uint32 {
		f, l := first6[h], first6[h+1]
		if uniform6(f, l, u128{uint64(h+1) << 48, 0}, h == 1<<16-1) || l-f+1 <= sub6Min {
			return 0
		}
		bits := uint32(1)
		for bits < sub6MaxBits && 1<<bits < l-f+1 {
			bits++
		}
		return bits
	}
	// The second level is sized first: grown by append, its discarded
	// copies (about as large as it, 5.5 MB for the embedded tables) added
	// to the start-up peak.
	nsub := 0
	for h := range 1 << 16 {
		if bits := subBits(h); bits != 0 {
			nsub += 1<<bits + 1
		}
	}
	t.v6sub = make([]subEntry, 0, nsub)
	for h := range 1 << 16 {
		f, l := first6[h], first6[h+1]
		end := h == 1<<16-1
		if uniform6(f, l, u128{uint64(h+1) << 48, 0}, end) {
			v := t.v6[f].v
			t.v6idx[h] = idxEntry{v.asn, auxInfo | v.res}
			continue
		}
		t.v6idx[h].first = f
		bits := subBits(h)
		if bits == 0 {
			t.v6idx[h].aux = (l - f + 1) << 5
			continue
		}
		off := uint32(len(t.v6sub))
		t.v6idx[h].aux = off<<5 | bits
		i := f
		for j := range uint64(1) << bits {
			i = holder6(i, u128{uint64(h)<<48 | j<<(48-bits), 0})
			t.v6sub = append(t.v6sub, subEntry{first: i})
		}
		t.v6sub = append(t.v6sub, subEntry{first: l})
		for j := range uint64(1) << bits {
			e := &t.v6sub[uint64(off)+j]
			to := u128{uint64(h)<<48 + (j+1)<<(48-bits), 0}
			if uniform6(e.first, t.v6sub[uint64(off)+j+1].first, to, end && j == 1<<bits-1) {
				e.aux = auxInfo
			}
		}
	}
}

// range6 is an IPv6 range start and its result; the range ends where the
// next one starts. Start and result share a cache line.
type range6 struct {
	start u128
	v     val
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
	res          []Info
	resIdx       map[Info]uint32
	distinct     map[val]struct{} // the distinct results, for Stats.Infos
	hits         [][]int          // hit sets of the CIDR overlay
}

// intern returns the val of in: its AS number and the index of the rest of
// it in b.res.
func (b *builder) intern(in Info) val {
	v := val{asn: in.ASN}
	in.ASN = 0
	i, ok := b.resIdx[in]
	if !ok {
		i = uint32(len(b.res))
		b.res = append(b.res, in)
		b.resIdx[in] = i
	}
	v.res = i
	b.distinct[v] = struct{}{}
	return v
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
func (b *builder) sweep(v4 bool, lists [4][]span, emit func(u128, val)) {
	max := familyMax(v4)
	var pos [4]int
	at := u128{}
	last := val{^uint32(0), 0}
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

// info returns the val of the Info for a country record, a registration
// record, an ASN record and a CIDR hit set (each -1 when absent).
func (b *builder) info(crec, rrec, arec, hit int32) val {
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
func (t *Table) Lookup(a netip.Addr) (in Info) {
	if a.Is4In6() {
		a = a.Unmap()
	}
	var v val
	if a.Is4() {
		b := a.As4()
		v = t.find4(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	} else {
		if !a.IsValid() {
			return Info{}
		}
		v = t.find6(AddrWords(a))
	}
	// Info has too many fields for the compiler to keep in registers: it
	// goes through memory. Copied into the named result and completed
	// there, each field is then loaded with a load no wider than its store;
	// building it in a local variable (or in an inlined helper) made the
	// compiler copy it once more with 16-byte loads over the 4-byte store
	// of ASN, which the CPU cannot forward: 6 ns per lookup.
	in = t.res[v.res]
	in.ASN = v.asn
	return in
}

// result returns the Info of v (not for the per-packet path: see Lookup).
func (t *Table) result(v val) Info {
	in := t.res[v.res]
	in.ASN = v.asn
	return in
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

// find4 returns the result of the range holding x.
func (t *Table) find4(x uint32) val {
	e := t.v4idx[x>>16]
	if e.n&auxInfo != 0 {
		return val{res: e.n &^ auxInfo, asn: e.first}
	}
	// Branch-free search among the block's ranges for the last one
	// starting at or before x. Range e.first holds the block's first
	// address, so it is never compared (its start may lie in an earlier
	// block); the others start inside the block, where their low 16 bits
	// order them.
	r := t.v4[e.first : e.first+e.n]
	xl := uint64(x&0xffff) << 48
	i, n := uint32(0), e.n
	for n > 1 {
		half := n / 2
		if r[i+half]&^(1<<48-1) <= xl {
			i += half
		}
		n -= half
	}
	if f := r[i] >> 32 & 0xffff; f != res4Far {
		return val{res: uint32(f), asn: uint32(r[i])}
	}
	return t.v4val[e.first+i]
}

// find6 returns the result of the range holding the address (xhi, xlo).
func (t *Table) find6(xhi, xlo uint64) val {
	h := xhi >> 48
	e := t.v6idx[h]
	if e.aux&auxInfo != 0 {
		return val{res: e.aux &^ auxInfo, asn: e.first}
	}
	base, n := e.first, e.aux>>5
	if bits := e.aux & 31; bits != 0 {
		j := e.aux>>5 + uint32(xhi<<16>>(64-bits))
		s := t.v6sub[j]
		if s.aux&auxInfo != 0 {
			return t.v6[s.first].v
		}
		base, n = s.first, t.v6sub[j+1].first-s.first+1
	}
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
	return r[i].v
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
	// IPv4 starts come back from the index: a range starts either inside a
	// block (high 16 bits of the block, low 16 bits from v4) or exactly at
	// the first address of the block whose first range it is.
	var (
		prev     uint32
		prevVal  val
		have     bool
		stopped  bool
		next     = uint32(0) // index of the next range to emit
		visitOne = func(start uint32, v val) {
			if have && !stopped {
				in := t.result(prevVal)
				if in != (Info{}) && !fn(numAddr(u128{0, uint64(prev)}, true), numAddr(u128{0, uint64(start - 1)}, true), &in) {
					stopped = true
				}
			}
			prev, prevVal, have = start, v, true
		}
	)
	for h, e := range t.v4idx {
		if stopped {
			return
		}
		first, n := t.v4first[h], e.n
		if n&auxInfo != 0 {
			n = 1
		}
		if first == next {
			visitOne(uint32(h)<<16, t.val4(first))
			next++
		}
		for k := uint32(1); k < n; k++ {
			i := first + k
			visitOne(uint32(h)<<16|uint32(t.v4[i]>>48), t.val4(i))
			next = i + 1
		}
	}
	if stopped {
		return
	}
	if have {
		in := t.result(prevVal)
		if in != (Info{}) && !fn(numAddr(u128{0, uint64(prev)}, true), numAddr(u128{0, 1<<32 - 1}, true), &in) {
			return
		}
	}
	for i, r := range t.v6 {
		s := r.start
		in := t.result(r.v)
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
