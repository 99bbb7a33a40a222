package detect

import (
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// Config sizes the engine's state and says which keys it owns.
type Config struct {
	// ShardIndex and ShardCount: the engine only tracks keys whose owner
	// address (see Shard) falls in shard ShardIndex of ShardCount.
	// ShardCount 0 or 1 owns everything.
	ShardIndex, ShardCount int

	// Limits apply to every rule unless RuleLimits has the rule's id.
	Limits     Limits
	RuleLimits map[uint32]Limits

	// DefaultWindow is used by rules whose Threshold.Window is 0 (60 s if 0).
	DefaultWindow time.Duration
	// DefaultSuppress is used by rules whose Suppress is 0 (60 s if 0).
	DefaultSuppress time.Duration
	// CommunityIDSeed is the seed of alert Community IDs (0 by default).
	CommunityIDSeed uint16
}

// Limits bound the memory of one rule. Zero fields take the defaults.
type Limits struct {
	// MaxKeys is the number of track keys held (default 16384); when full,
	// the least recently seen key is evicted and counted.
	MaxKeys int
	// MaxDistinct is the number of exact distinct values held across all
	// keys of the rule (default 65536); values beyond it are not recorded and
	// are counted.
	MaxDistinct int
	// MaxDistinctPerKey is the number of exact distinct values one key holds
	// (default 1024, raised to the rule's threshold count when larger).
	// Distinct sources beyond it are estimated with HyperLogLog.
	MaxDistinctPerKey int
}

func (l Limits) withDefaults() Limits {
	if l.MaxKeys <= 0 {
		l.MaxKeys = 1 << 14
	}
	if l.MaxDistinct <= 0 {
		l.MaxDistinct = 1 << 16
	}
	if l.MaxDistinctPerKey <= 0 {
		l.MaxDistinctPerKey = 1024
	}
	return l
}

// Emit receives each alert with the geo information of the packet's source
// and destination, for the enrich step that fills the alert's Endpoint
// fields. The alert is newly allocated and owned by the callee.
type Emit func(a *alert.Alert, src, dst *geo.Info)

// Stats are the engine's counters.
type Stats struct {
	Packets    uint64 // packets given to Process
	Alerts     uint64 // alerts emitted
	Suppressed uint64 // occurrences suppressed
	Rules      []RuleStats
}

// RuleStats are the counters of one rule.
type RuleStats struct {
	ID         uint32
	Kind       string
	Matched    uint64 // packets matched and counted by this engine
	Alerts     uint64
	Suppressed uint64
	// SuppressedUnreported counts suppressed occurrences of keys dropped
	// (idle or evicted) before a next alert could report them.
	SuppressedUnreported uint64
	Keys                 int    // keys held now
	MaxKeys              int    // cap on keys
	KeysEvicted          uint64 // keys evicted because the table was full
	KeysExpired          uint64 // keys removed after going idle
	Distinct             int    // exact distinct values held now
	MaxDistinct          int    // cap on exact distinct values
	DistinctFull         uint64 // values not recorded because MaxDistinct was reached
	DistinctCapped       uint64 // values not recorded because a key reached MaxDistinctPerKey
	// FirstOverwritten counts first packets of keys not yet held that
	// another key's first packet replaced in the rule's doorkeeper
	// before a second packet came (door): those keys start one packet
	// later.
	FirstOverwritten uint64
}

// ruleState is one rule and its state.
type ruleState struct {
	r        *rules.Rule
	lim      Limits
	kind     rules.Kind
	track    rules.Track
	distinct rules.Distinct // what the exact set holds; DistinctNone for no set
	// counts is what the threshold counts distinct values of: the rule's
	// Distinct, else the kind's (rules.KindSpec.Counts); none for packets.
	counts rules.Distinct
	cond   kindCond // the kind's own condition
	// filters says whether the rule has port filters or a zone to
	// evaluate (matchRest); most rules have neither (their from and to
	// are directions), and a packet then skips the call.
	filters bool
	// dstPorts: the rule has a dst_ports filter (see Engine.dstPortsAny).
	dstPorts bool
	window   int64
	suppress int64
	idle     int64
	keyCap   uint32 // exact distinct values per key
	t        *table
	set      *pairSet
	// hll has hllRegs per bucket (distinct sources) and top one entry per
	// bucket (flood and amplification), grown with the table (grown).
	hll    []uint8
	top    []topCountries
	hasHLL bool
	hasTop bool
	// exact is, per bucket, the index of its exact country counts in pool
	// (-1: none, top counts instead); grown with the table when hasTop.
	exact []int32
	pool  countryPool
	// burst has one short window per bucket (rules with Threshold.Burst),
	// grown with the table.
	burst    []burstWin
	burstWin int64
	// fireAt, fireBytes and fireBurst are the values at which check can
	// fire a bucket (see quiet); math.MaxUint64 for a threshold the rule
	// does not have, fireAt 0 for a rule without one (every packet fires).
	fireAt, fireBytes, fireBurst uint64
	// from and to are the rule's zone expressions' indexes in the
	// engine's zones (-1: none).
	from, to int32
	// door holds the first packet of keys not in t (nil: the rule does
	// not use one; see door), shared with the engine's other rules of the
	// same track, idle time and MaxKeys; doorBit is the rule's bit in it.
	door    *door
	doorBit uint8
	// doorBelow: a packet (not a byte report) of fewer IP bytes may wait
	// in the door; 0 without a door.
	doorBelow uint64
	// warm lists, one rule each, the other doors that a packet visiting
	// this rule may visit after it (warmDoors).
	warm []*ruleState
	st   RuleStats
}

// Engine applies compiled rules to packets. It is owned by one worker and
// is not safe for concurrent use.
type Engine struct {
	rules []*ruleState
	// byClass lists, for each protocol class (protoClass), jurisdiction
	// direction and sub-class (subClass: the TCP flags of a TCP packet,
	// the type of an ICMP or ICMPv6 one, else 0), the rules whose Protos,
	// Directions, TCPFlags, ICMPTypes and from/to of "home" or "!home"
	// (zoneDirs) admit it, in rule order: a packet visits only those, and
	// those filters are not checked again.
	byClass     [numProtoClasses][numDirections][][]*ruleState
	cfg         Config
	emit        Emit
	packets     uint64
	alerts      uint64
	suppressed  uint64
	lastAdvance int64
	// zones are the distinct zone expressions (with their basis) of the
	// rules' from and to; the result of the first 64 for the packet being
	// processed is kept, per side (0 source, 1 destination), in zoneVal
	// once its bit in zoneKnown is set, so that an expression many rules
	// share ("home", "!home") is evaluated once per packet.
	zones     []zoneExpr
	zoneKnown [2]uint64
	zoneVal   [2]uint64
	// keys holds, per track (rules.Track), the key and hash of the packet
	// being processed, computed by its first rule of that track that
	// counts it (seq: the packet's number, packets).
	keys [8]packetKey
	// addrs is the packet's addresses as key words and the source's
	// distinct-value hash, computed once per packet (seq) for its rules.
	addrs packetAddrs
	// held receives the first packet a door gives back (door.take).
	held doorEntry
	// dstPortsAny is the union of the rules' dst_ports (nil: no rule has
	// them): a TCP, UDP or SCTP packet to a port outside it fails every
	// rule that has them, which it then skips without matchRest (the
	// brute-force rules' ports, which on the real-tool mix rejected 1.6
	// visits a packet).
	dstPortsAny *rules.PortSet
	// warmSink takes the loads of warmFor.
	warmSink uint64
}

// packetAddrs are the words (geo.AddrWords) of the unmapped source and
// destination addresses of packet number seq, whether each is IPv4, and,
// once srcHashed, addrHash of the source.
type packetAddrs struct {
	seq            uint64
	s0, s1, d0, d1 uint64
	s4, d4         bool
	srcHashed      bool
	srcHash        uint64
}

// addrsOf returns the address words of packet p, the packet in process.
// Small enough to be inlined: its callers (the packet's key of each track,
// its source hash) mostly find the words already there.
func (e *Engine) addrsOf(p *decode.Packet) *packetAddrs {
	if e.addrs.seq != e.packets {
		e.fillAddrs(p)
	}
	return &e.addrs
}

// fillAddrs computes the address words of packet p for addrsOf.
func (e *Engine) fillAddrs(p *decode.Packet) {
	a := &e.addrs
	src, dst := p.Src.Unmap(), p.Dst.Unmap()
	a.s0, a.s1 = geo.AddrWords(src)
	a.d0, a.d1 = geo.AddrWords(dst)
	a.s4, a.d4 = src.Is4(), dst.Is4()
	a.srcHashed = false
	a.seq = e.packets
}

// srcHash is addrHash(p.Src) for p, the packet in process, computed once
// for the packet's rules that count distinct sources.
func (e *Engine) srcHash(p *decode.Packet) uint64 {
	a := e.addrsOf(p)
	if !a.srcHashed {
		a.srcHash, a.srcHashed = wordsHash(a.s0, a.s1, a.s4), true
	}
	return a.srcHash
}

// zoneExpr is a zone expression and the basis it is evaluated on.
type zoneExpr struct {
	x *geo.Expr
	b geo.Basis
}

// packetKey is a packet's track key, its hash and whether its source's
// shard owns it, valid for packet number seq.
type packetKey struct {
	k       tkey
	h       uint64
	seq     uint64
	srcOwns bool
	// door is the door into which the packet of number doorSeq put its
	// first packet for a rule, at slot doorSlot of its doorLen slots (see
	// door.take).
	door     *door
	doorSeq  uint64
	doorSlot int
	doorLen  int
	// doorAlone: the set held no other packet of the key (door.take).
	doorAlone bool
}

// New builds an engine for rules. Per-rule state starts empty and grows with
// the keys seen, up to the rule's Limits (RuleState says how far).
// emit is called synchronously from Process for every alert.
func New(rs []*rules.Rule, cfg Config, emit Emit) *Engine {
	if cfg.ShardCount <= 1 {
		cfg.ShardCount, cfg.ShardIndex = 1, 0
	}
	if cfg.DefaultWindow <= 0 {
		cfg.DefaultWindow = 60 * time.Second
	}
	if cfg.DefaultSuppress <= 0 {
		cfg.DefaultSuppress = 60 * time.Second
	}
	e := &Engine{cfg: cfg, emit: emit}
	dirs := make([]uint8, len(rs)) // the directions each rule admits
	for i, r := range rs {
		st := newRuleState(r, cfg)
		dirs[i] = r.Directions
		if dirs[i] == 0 {
			dirs[i] = 1<<numDirections - 1
		}
		// A from or to of "home" or "!home" (location basis) is a
		// direction: the packet's, which the dispatch below applies.
		var fromDirs, toDirs uint8
		if fromDirs = zoneDirs(r.From, r.Basis, true); fromDirs != 0 {
			dirs[i] &= fromDirs
		}
		if toDirs = zoneDirs(r.To, r.Basis, false); toDirs != 0 {
			dirs[i] &= toDirs
		}
		st.from, st.to = -1, -1
		if fromDirs == 0 {
			st.from = e.zoneIndex(r.From, r.Basis)
		}
		if toDirs == 0 {
			st.to = e.zoneIndex(r.To, r.Basis)
		}
		st.filters = r.DstPorts != nil || r.SrcPorts != nil || st.from >= 0 || st.to >= 0
		if st.dstPorts = r.DstPorts != nil; st.dstPorts {
			if e.dstPortsAny == nil {
				e.dstPortsAny = new(rules.PortSet)
			}
			for i, w := range r.DstPorts {
				e.dstPortsAny[i] |= w
			}
		}
		if matchesNothing(r) {
			dirs[i] = 0 // in no dispatch list: its state stays empty
		}
		e.rules = append(e.rules, st)
	}
	e.shareDoors()
	for c := range numProtoClasses {
		bit := protoClassBits[c]
		for d := range numDirections {
			var all []*ruleState
			for i, rs := range e.rules {
				if (rs.r.Protos == 0 || rs.r.Protos&bit != 0) && dirs[i]&(1<<d) != 0 {
					all = append(all, rs)
				}
			}
			e.byClass[c][d] = subClasses(c, all)
		}
	}
	e.warmDoors()
	return e
}

// warmDoors fills each door rule's warm list: one rule of every other door
// that follows it in a dispatch list (a packet reaching the first may
// reach the others).
func (e *Engine) warmDoors() {
	for c := range e.byClass {
		for d := range e.byClass[c] {
			for _, l := range e.byClass[c][d] {
				for i, rs := range l {
					if rs.door == nil {
						continue
					}
				next:
					for _, o := range l[i+1:] {
						if o.door == nil || o.door == rs.door {
							continue
						}
						for _, w := range rs.warm {
							if w.door == o.door {
								continue next
							}
						}
						rs.warm = append(rs.warm, o)
					}
				}
			}
		}
	}
}

// warmFor loads, for a packet about to look in rule rs's door, the door
// set of its key in each door of rs.warm, so that their cache misses
// overlap with rs's own instead of following it (a spoofed SYN looks in
// the pair rules' door, then in the source rules': two misses to memory
// one after the other). The keys are the packet's track keys, which the
// later rules reuse.
func (e *Engine) warmFor(rs *ruleState, p *decode.Packet, f flow.Result) {
	for _, w := range rs.warm {
		d := w.door
		if d.e == nil {
			continue
		}
		pk := &e.keys[w.track&7]
		if pk.seq != e.packets {
			pk.srcOwns = w.keyOf(&pk.k, p, f, e.addrsOf(p))
			pk.h, pk.seq = pk.k.hash(), e.packets
		}
		_, set := d.set(pk.h | doorUsed)
		e.warmSink += set[0].h
	}
}

// shareDoors gives the rules that keep a door and track the same key with
// the same idle time and MaxKeys one door, up to doorRules rules a door.
func (e *Engine) shareDoors() {
	type group struct {
		track rules.Track
		idle  int64
		keys  int
	}
	open := map[group]*door{}
	for _, rs := range e.rules {
		if rs.door == nil {
			continue
		}
		g := group{rs.track, rs.idle, rs.lim.MaxKeys}
		d := open[g]
		if d == nil || d.rules == doorRules {
			d = newDoor(rs.lim.MaxKeys)
			d.rules = 0
			open[g] = d
		}
		rs.door, rs.doorBit = d, uint8(d.rules)
		d.rules++
		d.dst = d.dst || rs.distinct == rules.DistinctDstIP
	}
}

// matchesNothing reports a rule no packet can match: a from or to zone
// that covers no address (the default pack's empty "forbidden" zone, until
// the operator defines it), or a reputation rule whose list is empty (the
// default pack's blocklist). Such a rule joins no dispatch list, so a
// packet does not evaluate its zone or look its addresses up in the list.
// Zones and lists are fixed for the rule set's life: a new definition
// comes with a new rule set, and so a new engine.
func matchesNothing(r *rules.Rule) bool {
	for _, x := range []*geo.Expr{r.From, r.To} {
		if x == nil {
			continue
		}
		if c, err := x.Cover(); err == nil && len(c.Countries) == 0 && len(c.Prefixes) == 0 {
			return true
		}
	}
	return r.Kind == rules.KindReputation && (r.List == nil || r.List.Len() == 0)
}

// zoneDirs returns the directions (bits 1<<geo.Direction) whose packets
// zone expression x matches on the source's side (src) or the
// destination's when x is "home" or "!home" on the location basis, which
// is what geo.DirectionOf tests; else 0.
func zoneDirs(x *geo.Expr, b geo.Basis, src bool) uint8 {
	if x == nil || b != geo.BasisLocation {
		return 0
	}
	home, ok := x.HomeTerm()
	if !ok {
		return 0
	}
	var d uint8 // the directions where the side is home
	if src {
		d = 1<<geo.DirOutbound | 1<<geo.DirInternal
	} else {
		d = 1<<geo.DirInbound | 1<<geo.DirInternal
	}
	if !home {
		d = (1<<numDirections - 1) &^ d
	}
	return d
}

// zoneIndex returns the index of expression x on basis b in e.zones,
// adding it when no equal one is there; -1 for nil.
func (e *Engine) zoneIndex(x *geo.Expr, b geo.Basis) int32 {
	if x == nil {
		return -1
	}
	for i, z := range e.zones {
		if z.b == b && z.x.Same(x) {
			return int32(i)
		}
	}
	e.zones = append(e.zones, zoneExpr{x, b})
	return int32(len(e.zones) - 1)
}

// zone evaluates zone expression i on side (0 source, 1 destination) for
// address a and its lookup info, at most once per packet for the first 64.
func (e *Engine) zone(side int, i int32, a netip.Addr, info *geo.Info) bool {
	if i >= 64 {
		z := &e.zones[i]
		return z.x.Match(a, info, z.b)
	}
	bit := uint64(1) << i
	if e.zoneKnown[side]&bit != 0 {
		return e.zoneVal[side]&bit != 0
	}
	z := &e.zones[i]
	m := z.x.Match(a, info, z.b)
	e.zoneKnown[side] |= bit
	if m {
		e.zoneVal[side] |= bit
	}
	return m
}

// subClasses splits the rules all of protocol class c by sub-class: for
// TCP, per value of the flags byte, the rules whose TCPFlags it matches;
// for ICMP and ICMPv6, per type, the rules whose ICMPTypes have it. Equal
// lists share their array.
func subClasses(c int, all []*ruleState) [][]*ruleState {
	if c != 0 && c != 2 && c != 3 {
		return [][]*ruleState{all}
	}
	subs := make([][]*ruleState, 256)
	for v := range subs {
		var l []*ruleState
		for _, rs := range all {
			r := rs.r
			if c == 0 && len(r.TCPFlags) > 0 && !flagsMatch(r.TCPFlags, uint8(v)) ||
				c != 0 && len(r.ICMPTypes) > 0 && !typeMatch(r.ICMPTypes, uint8(v)) {
				continue
			}
			l = append(l, rs)
		}
		for _, o := range subs[:v] {
			if slices.Equal(o, l) {
				l = o
				break
			}
		}
		subs[v] = l
	}
	return subs
}

// candidates lists the rules a packet of jurisdiction direction dir
// visits: those its protocol, direction, TCP flags and ICMP type admit.
func (e *Engine) candidates(p *decode.Packet, dir geo.Direction) []*ruleState {
	c := protoClass(p.Proto)
	return e.byClass[c][dir&3][subClass(c, p)]
}

// subClass is the index of a packet of protocol class c in its
// byClass list: the TCP flags or the ICMP type (see subClasses).
func subClass(c int, p *decode.Packet) uint8 {
	switch c {
	case 0:
		return p.TCPFlags
	case 2, 3:
		return p.ICMPType
	}
	return 0
}

// Protocol classes of the rule dispatch: TCP, UDP, ICMP, ICMPv6, other.
const numProtoClasses = 5

// numDirections is the number of geo.Direction values.
const numDirections = int(geo.DirInternal) + 1

var protoClassBits = [numProtoClasses]uint8{rules.ProtoTCP, rules.ProtoUDP, rules.ProtoICMP, rules.ProtoICMPv6, 0}

func protoClass(proto uint8) int {
	switch proto {
	case decode.ProtoTCP:
		return 0
	case decode.ProtoUDP:
		return 1
	case decode.ProtoICMP:
		return 2
	case decode.ProtoICMPv6:
		return 3
	}
	return 4
}

func newRuleState(r *rules.Rule, cfg Config) *ruleState {
	lim := cfg.Limits
	if l, ok := cfg.RuleLimits[r.ID]; ok {
		lim = l
	}
	lim = lim.withDefaults()
	var spec rules.KindSpec // zero for a value that is not a kind
	if s := r.Kind.Spec(); s != nil {
		spec = *s
	}
	rs := &ruleState{r: r, lim: lim, kind: r.Kind, track: r.Threshold.Track, cond: condOf(r.Kind)}
	if rs.track == 0 {
		rs.track = r.Kind.DefaultTrack()
	}
	rs.counts = r.Threshold.Distinct
	if rs.counts == rules.DistinctNone {
		rs.counts = spec.Counts
	}
	rs.distinct = rs.counts
	if rs.distinct == rules.DistinctNone && (spec.Sources || r.Threshold.MinSources > 0) {
		rs.distinct = rules.DistinctSrcIP
	}
	rs.window = int64(r.Threshold.Window)
	if rs.window <= 0 {
		rs.window = int64(cfg.DefaultWindow)
	}
	rs.suppress = int64(r.Suppress)
	if rs.suppress <= 0 {
		rs.suppress = int64(cfg.DefaultSuppress)
	}
	rs.idle = rs.window + rs.suppress
	rs.t = newTable(lim.MaxKeys, min(int64(time.Second), rs.window/8))
	if rs.distinct != rules.DistinctNone {
		rs.keyCap = uint32(lim.MaxDistinctPerKey)
		if c := r.Threshold.Count; r.Threshold.Distinct != rules.DistinctNone && c > uint64(rs.keyCap) {
			rs.keyCap = uint32(min(c, uint64(lim.MaxDistinct)))
		}
		if m := uint64(r.Threshold.MinSources); m > uint64(rs.keyCap) {
			rs.keyCap = uint32(min(m, uint64(lim.MaxDistinct)))
		}
		rs.set = newPairSet(lim.MaxDistinct)
	}
	rs.hasHLL = rs.distinct == rules.DistinctSrcIP
	rs.hasTop = spec.TopSources
	if r.Threshold.Burst > 0 && r.Threshold.BurstWindow > 0 {
		rs.burstWin = int64(r.Threshold.BurstWindow)
	}
	rs.setFire()
	if doorOK(rs) {
		rs.door = newDoor(lim.MaxKeys)
		// A packet of more than 65535 IP bytes (the held packet's bytes
		// are 16 bits) or at the bytes threshold gets its bucket at once.
		rs.doorBelow = 1 << 16
		if b := r.Threshold.Bytes; b > 0 && b < rs.doorBelow {
			rs.doorBelow = b
		}
	}
	rs.t.onDrop = rs.dropped
	rs.t.onGrow = rs.grown
	rs.st = RuleStats{ID: r.ID, Kind: r.Kind.String(), MaxKeys: lim.MaxKeys, MaxDistinct: lim.MaxDistinct}
	return rs
}

// grown sizes the per-bucket arrays for the table's n buckets.
func (rs *ruleState) grown(n int) {
	if rs.hasHLL {
		hll := make([]uint8, n*hllRegs)
		copy(hll, rs.hll)
		rs.hll = hll
	}
	if rs.hasTop {
		top := make([]topCountries, n)
		copy(top, rs.top)
		rs.top = top
		exact := make([]int32, n)
		copy(exact, rs.exact)
		for i := len(rs.exact); i < n; i++ {
			exact[i] = -1
		}
		rs.exact = exact
	}
	if rs.burstWin > 0 {
		bw := make([]burstWin, n)
		copy(bw, rs.burst)
		rs.burst = bw
	}
}

// dropped is called for bucket idx about to be removed or evicted.
func (rs *ruleState) dropped(idx int32) {
	b := &rs.t.b[idx]
	rs.st.SuppressedUnreported += uint64(b.suppressed)
	rs.dropDistinct(b, idx)
	if rs.hasTop {
		rs.pool.put(rs.exact[idx])
		rs.exact[idx] = -1
	}
}

// dropDistinct releases the distinct values of bucket idx: its exact
// values' room in the rule's set and, once it saturated, its HyperLogLog.
func (rs *ruleState) dropDistinct(b *bucket, idx int32) {
	if rs.set != nil {
		rs.set.forget(b.distinct)
	}
	if b.saturated && rs.hasHLL {
		clear(rs.regs(idx))
	}
}

// regs is the HyperLogLog of bucket idx.
func (rs *ruleState) regs(idx int32) []uint8 {
	return rs.hll[int(idx)*hllRegs : int(idx+1)*hllRegs]
}

var zeroInfo geo.Info

// Process runs one packet through every rule. f is the packet's flow from
// the flow table (a zero Result when there is none); src and dst are the
// geo lookups of the packet's addresses (nil is read as unknown). Alerts are
// emitted synchronously. Process allocates nothing unless it emits.
func (e *Engine) Process(p *decode.Packet, f flow.Result, src, dst *geo.Info) {
	ownSrc, ownDst := true, true
	if n := e.cfg.ShardCount; n > 1 {
		ownSrc = Shard(p.Src, n) == e.cfg.ShardIndex
		ownDst = Shard(p.Dst, n) == e.cfg.ShardIndex
	}
	e.ProcessOwned(p, f, src, dst, ownSrc, ownDst)
}

// ProcessOwned is Process for a caller that already knows whether this
// engine's shard owns the packet's source (ownSrc) and destination (ownDst)
// address, as the pipeline's router does. A rule whose key another shard
// owns is skipped before its filters are evaluated.
func (e *Engine) ProcessOwned(p *decode.Packet, f flow.Result, src, dst *geo.Info, ownSrc, ownDst bool) {
	if src == nil {
		src = &zeroInfo
	}
	if dst == nil {
		dst = &zeroInfo
	}
	e.packets++
	if p.Timestamp-e.lastAdvance >= int64(time.Second) {
		e.Advance(p.Timestamp)
	}
	dir := geo.DirectionOf(src, dst)
	both := ownSrc && ownDst
	e.zoneKnown, e.zoneVal = [2]uint64{}, [2]uint64{}
	portMiss := false // the packet fails every rule with dst_ports
	if u := e.dstPortsAny; u != nil && (p.Proto == decode.ProtoTCP || p.Proto == decode.ProtoUDP || p.Proto == protoSCTP) &&
		!(p.Fragment && !p.FirstFragment) {
		portMiss = !u.Has(p.DstPort)
	}
	for _, rs := range e.candidates(p, dir) {
		if !both {
			switch rs.track {
			case rules.TrackDst:
				if !ownDst {
					continue
				}
			case rules.TrackFlow:
				if !ownSrc && !ownDst {
					continue
				}
			default: // source and pair keys: the source's shard
				if !ownSrc {
					continue
				}
			}
		}
		if rs.filters && (portMiss && rs.dstPorts || !e.matchRest(rs, p, src, dst)) || !rs.cond(rs, p, f) {
			continue
		}
		e.count(rs, p, f, dir, src, dst, ownSrc, ownDst)
	}
}

const protoSCTP = 132

// matchRest applies the filters byClass does not: ports and zones (the
// latter through the packet's memo of zone results, zone).
func (e *Engine) matchRest(rs *ruleState, p *decode.Packet, src, dst *geo.Info) bool {
	r := rs.r
	if r.DstPorts != nil || r.SrcPorts != nil {
		isICMP := p.Proto == decode.ProtoICMP || p.Proto == decode.ProtoICMPv6
		if !rs.portsMatch(p, p.Proto == decode.ProtoTCP, isICMP) {
			return false
		}
	}
	if rs.from >= 0 && !e.zone(0, rs.from, p.Src, src) {
		return false
	}
	return rs.to < 0 || e.zone(1, rs.to, p.Dst, dst)
}

func flagsMatch(ms []rules.FlagMatch, flags uint8) bool {
	for _, m := range ms {
		if flags&m.Mask == m.Value {
			return true
		}
	}
	return false
}

func typeMatch(ts []uint8, t uint8) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// portsMatch applies a rule's port filters to a packet. A packet without
// ports fails them, except ICMP when the rule names its protocol (byClass
// admitted the rule, so Protos is 0 or has the bit) and, for
// amplification, a non-first UDP fragment (count checks its source).
func (rs *ruleState) portsMatch(p *decode.Packet, isTCP, isICMP bool) bool {
	r := rs.r
	laterFrag := p.Fragment && !p.FirstFragment
	if (isTCP || p.Proto == decode.ProtoUDP || p.Proto == protoSCTP) && !laterFrag {
		return (r.DstPorts == nil || r.DstPorts.Has(p.DstPort)) && (r.SrcPorts == nil || r.SrcPorts.Has(p.SrcPort))
	}
	ampFrag := rs.kind == rules.KindAmplification && laterFrag && p.Proto == decode.ProtoUDP
	return ampFrag || (isICMP && r.Protos != 0)
}

// keyOf writes the track key of a packet of flow f into k and reports
// whether the shard of its source address owns it (else the destination's
// shard does). a holds the packet's address words. The key is written in
// place, field by field: returned by value, its nine fields came back in
// registers, were stored narrow and read back wide by the copy into the
// packet's key, a store-forwarding stall on every new track key.
func (rs *ruleState) keyOf(k *tkey, p *decode.Packet, f flow.Result, a *packetAddrs) bool {
	switch rs.track {
	case rules.TrackDst:
		k.a0, k.a1, k.b0, k.b1 = a.d0, a.d1, 0, 0
		k.pa, k.pb, k.proto, k.v4 = 0, 0, 0, a.d4
		return false
	case rules.TrackPair:
		k.a0, k.a1, k.b0, k.b1 = a.s0, a.s1, a.d0, a.d1
		k.pa, k.pb, k.proto, k.v4 = 0, 0, 0, a.s4 && a.d4
		return true
	case rules.TrackFlow:
		// The flow table already normalized the packet's key.
		var fk *flow.Key
		var srcIsA bool
		if f.Entry != nil {
			fk, srcIsA = &f.Entry.Key, f.ToServer == f.Entry.InitiatorIsA
		} else {
			var key flow.Key
			key, srcIsA = flow.KeyOf(p)
			fk = &key
		}
		k.a0, k.a1 = binary.BigEndian.Uint64(fk.A[:8]), binary.BigEndian.Uint64(fk.A[8:])
		k.b0, k.b1 = binary.BigEndian.Uint64(fk.B[:8]), binary.BigEndian.Uint64(fk.B[8:])
		k.pa, k.pb, k.proto, k.v4 = fk.APort, fk.BPort, fk.Proto, fk.V4
		// Both directions of a flow must reach the same shard: the flow's
		// A endpoint owns it.
		return srcIsA
	}
	k.a0, k.a1, k.b0, k.b1 = a.s0, a.s1, 0, 0
	k.pa, k.pb, k.proto, k.v4 = 0, 0, 0, a.s4
	return true
}

// count updates the state of a matched packet and fires when a threshold
// is crossed.
func (e *Engine) count(rs *ruleState, p *decode.Packet, f flow.Result, dir geo.Direction, src, dst *geo.Info, ownSrc, ownDst bool) {
	pk := &e.keys[rs.track&7]
	if pk.seq != e.packets {
		// The packet's first rule of this track: its key and hash serve
		// the packet's other rules of the track.
		pk.srcOwns = rs.keyOf(&pk.k, p, f, e.addrsOf(p))
		pk.h, pk.seq = pk.k.hash(), e.packets
	}
	if (pk.srcOwns && !ownSrc) || (!pk.srcOwns && !ownDst) {
		return
	}
	k, h := &pk.k, pk.h
	ts := p.Timestamp
	laterFrag := p.Fragment && !p.FirstFragment
	if rs.kind == rules.KindAmplification && laterFrag {
		// A non-first fragment has no ports: it counts when its source is
		// already a counted reflector of this victim in the current window.
		idx := rs.t.lookupHash(k, h)
		if idx < 0 {
			return
		}
		b := &rs.t.b[idx]
		if ts-b.winStart >= rs.window || !rs.hasDistinct(b, idx, e.srcHash(p)) {
			return
		}
		rs.st.Matched++
		b.packets++
		b.bytes += uint64(p.IPLen)
		b.last = max(b.last, ts)
		rs.addCountry(idx, src.Country)
		e.check(rs, idx, p, f, dir, src, dst)
		return
	}
	rs.st.Matched++
	var v uint64 // the packet's distinct value
	switch rs.distinct {
	case rules.DistinctDstPort:
		v = uint64(p.DstPort)
	case rules.DistinctDstIP:
		v = addrHash(p.Dst)
	case rules.DistinctSrcIP:
		v = e.srcHash(p)
	case rules.DistinctIPProto:
		v = uint64(p.Proto)
	}
	door := p.Aggregate == 0 && uint64(p.IPLen) < rs.doorBelow
	idx, created := rs.t.getHash(k, h, ts, !door)
	if idx < 0 {
		// A key the table does not hold: its first packet waits in the
		// door; at its second, the bucket is made with the first in it.
		d := rs.door
		mine := pk.doorSeq == e.packets && pk.door == d && pk.doorLen == len(d.e)
		if mine && pk.doorAlone {
			// The packet holds a slot of this door for another rule, and
			// the set held no other packet of the key: this rule holds
			// none either (a spoofed SYN counted by two pair rules).
			d.join(pk.doorSlot, rs.doorBit)
			return
		}
		if rs.warm != nil {
			e.warmFor(rs, p, f)
		}
		first := doorEntry{h: h, ts: ts, bytes: uint16(p.IPLen), country: src.Country, dport: p.DstPort, proto: p.Proto}
		if d.dst {
			first.dstH = v // the destination's hash when this rule counts them
			if rs.distinct != rules.DistinctDstIP {
				first.dstH = addrHash(p.Dst)
			}
		}
		own := -1 // the slot this packet took for another rule of the door
		if mine {
			own = pk.doorSlot
		}
		held := &e.held
		ok, slot, alone := d.take(first, rs.doorBit, own, ts-rs.idle, held)
		if !ok {
			pk.door, pk.doorSeq, pk.doorSlot, pk.doorLen, pk.doorAlone = d, e.packets, slot, len(d.e), alone
			return
		}
		idx, _ = rs.t.getHash(k, h, ts, true)
		rs.add(idx, true, held.ts, 1, uint64(held.bytes), rs.heldValue(e, held, p), held.country)
		created = false
	}
	rs.add(idx, created, ts, p.Count(), uint64(p.IPLen), v, src.Country)
	if !rs.quiet(idx) {
		e.check(rs, idx, p, f, dir, src, dst)
	}
}

// setFire sets the values quiet compares a bucket with, from the rule's
// threshold as check reads it.
func (rs *ruleState) setFire() {
	th := &rs.r.Threshold
	orNever := func(v uint64) uint64 {
		if v == 0 {
			return math.MaxUint64
		}
		return v
	}
	switch {
	case rs.counts != rules.DistinctNone:
		rs.fireAt = orNever(th.Count) // 0: check never fires
	case th.Count > 0 || th.Bytes > 0:
		rs.fireAt, rs.fireBytes = orNever(th.Count), orNever(th.Bytes)
		if rs.burstWin > 0 {
			rs.fireBurst = th.Burst
		}
	default:
		rs.fireAt = 0 // no threshold: every matching packet fires
	}
}

// quiet reports that check would return at once for bucket idx, its
// threshold not crossed: the common case of a counted packet (same window,
// below the threshold), which so costs a few compares instead of a call.
// Only ever true where check's threshold tests all fail, so it changes no
// outcome: for distinct values, an exact count below the threshold (a
// saturated bucket's estimate is left to check); for packets and bytes,
// every one of the counters below its threshold.
func (rs *ruleState) quiet(idx int32) bool {
	b := &rs.t.b[idx]
	if rs.counts != rules.DistinctNone {
		return !b.saturated && uint64(b.distinct) < rs.fireAt
	}
	return b.packets < rs.fireAt && b.bytes < rs.fireBytes && (rs.burstWin == 0 || rs.burst[idx].packets < rs.fireBurst)
}

// heldValue is the distinct value of first packet held of the key of
// packet p: the key holds p's source (source and pair keys), so p's
// source is the held packet's.
func (rs *ruleState) heldValue(e *Engine, held *doorEntry, p *decode.Packet) uint64 {
	switch rs.distinct {
	case rules.DistinctDstPort:
		return uint64(held.dport)
	case rules.DistinctDstIP:
		return held.dstH
	case rules.DistinctSrcIP:
		return e.srcHash(p)
	case rules.DistinctIPProto:
		return uint64(held.proto)
	}
	return 0
}

// add counts a packet (or a byte report of n packets) at ts in bucket idx,
// new when created.
func (rs *ruleState) add(idx int32, created bool, ts int64, n, bytes, v uint64, country geo.CountryID) {
	b := &rs.t.b[idx]
	if created || ts-b.winStart >= rs.window {
		rs.resetWindow(idx, ts)
	}
	b.last = max(b.last, ts)
	b.packets += n
	b.bytes += bytes
	if rs.burstWin > 0 {
		rs.burst[idx].add(ts, rs.burstWin, n)
	}
	if rs.distinct != rules.DistinctNone {
		rs.addDistinct(b, idx, v)
	}
	if rs.hasTop {
		// addCountry, inlined: a call less for every packet a flood or
		// amplification rule counts.
		if i := rs.exact[idx]; i >= 0 {
			rs.pool.arrays[i].add(country)
		} else {
			rs.top[idx].add(country)
		}
	}
}

// addDistinct records distinct value v of bucket idx: exactly while the
// key holds fewer than keyCap values and the rule's set has room, else
// (distinct sources) in the key's HyperLogLog, which so only ever holds
// values outside the exact set and is not touched before the key saturates.
func (rs *ruleState) addDistinct(b *bucket, idx int32, v uint64) {
	switch {
	case b.distinct > 0 && v == b.one:
		return
	case b.distinct == 0:
		if rs.set.reserve() {
			b.one, b.distinct = v, 1
			return
		}
	case b.distinct < rs.keyCap:
		added, ok := rs.set.insert(rs.t.b, idx, b.gen, v)
		if added {
			b.distinct++
		}
		if ok {
			return
		}
	default:
		if rs.set.contains(idx, b.gen, v) {
			return
		}
		rs.st.DistinctCapped++
	}
	b.saturated = true
	if rs.hasHLL {
		hllAdd(rs.regs(idx), v)
	}
}

// hasDistinct reports whether v is an exactly recorded value of bucket idx.
func (rs *ruleState) hasDistinct(b *bucket, idx int32, v uint64) bool {
	return b.distinct > 0 && (v == b.one || rs.set.contains(idx, b.gen, v))
}

// resetWindow starts a new window (or episode) for bucket idx at ts.
func (rs *ruleState) resetWindow(idx int32, ts int64) {
	b := &rs.t.b[idx]
	rs.dropDistinct(b, idx)
	b.gen++
	b.distinct = 0
	b.saturated = false
	b.packets, b.bytes = 0, 0
	b.winStart = ts
	if rs.hasTop {
		rs.top[idx] = topCountries{}
		// Exact counts for the new window when the pool has room.
		if i := rs.exact[idx]; i >= 0 {
			rs.pool.arrays[i] = countryCounts{}
		} else {
			rs.exact[idx] = rs.pool.get()
		}
	}
	if rs.burstWin > 0 {
		rs.burst[idx] = burstWin{}
	}
}

// distinctValue is the number of distinct values of bucket idx: exact, plus
// the HyperLogLog estimate of the values not recorded exactly once exact
// recording stopped.
func (rs *ruleState) distinctValue(idx int32) uint64 {
	b := &rs.t.b[idx]
	n := uint64(b.distinct)
	if b.saturated && rs.hasHLL {
		n += hllEstimate(rs.regs(idx))
	}
	return n
}

// check fires bucket idx when its threshold is crossed.
func (e *Engine) check(rs *ruleState, idx int32, p *decode.Packet, f flow.Result, dir geo.Direction, src, dst *geo.Info) {
	b := &rs.t.b[idx]
	th := &rs.r.Threshold
	var observed uint64
	burst := false // fired by the short window
	switch {
	case rs.counts != rules.DistinctNone:
		if th.Count == 0 {
			return
		}
		if d := rs.distinctValue(idx); d >= th.Count {
			observed = d
		} else {
			return
		}
	case th.Count > 0 || th.Bytes > 0:
		if th.Count > 0 && b.packets >= th.Count {
			observed = b.packets
		} else if th.Bytes > 0 && b.bytes >= th.Bytes {
			observed = b.bytes
		} else if rs.burstWin > 0 && rs.burst[idx].packets >= th.Burst {
			observed, burst = rs.burst[idx].packets, true
		} else {
			return
		}
	default:
		observed = b.packets // no threshold: every matching packet
	}
	if th.MinSources > 0 && rs.distinct == rules.DistinctSrcIP && rs.distinctValue(idx) < uint64(th.MinSources) {
		return
	}
	ts := p.Timestamp
	if ts < b.quietUntil {
		b.suppressed++
		rs.st.Suppressed++
		e.suppressed++
		rs.resetWindow(idx, ts)
		return
	}
	a := e.newAlert(rs, idx, p, f, dir, observed, burst)
	b.suppressed = 0
	b.quietUntil = ts + rs.suppress
	rs.resetWindow(idx, ts)
	rs.st.Alerts++
	e.alerts++
	if e.emit != nil {
		e.emit(a, src, dst)
	}
}

func (e *Engine) newAlert(rs *ruleState, idx int32, p *decode.Packet, f flow.Result, dir geo.Direction, observed uint64, burst bool) *alert.Alert {
	b := &rs.t.b[idx]
	r := rs.r
	a := &alert.Alert{
		Timestamp:   p.Timestamp,
		SrcIP:       p.Src,
		DstIP:       p.Dst,
		Proto:       p.Proto,
		Direction:   "to_server",
		GeoDir:      dir.String(),
		Action:      "allowed",
		GID:         1,
		SignatureID: r.ID,
		Rev:         r.Rev,
		Signature:   r.Name,
		Category:    r.Category,
		Severity:    r.Severity,
		Kind:        r.Kind.String(),
		Mitre:       append([]string(nil), r.Mitre...),
	}
	if f.Entry != nil {
		a.FlowID = f.Entry.ID()
		if !f.ToServer {
			a.Direction = "to_client"
		}
	} else {
		k, _ := flow.KeyOf(p)
		a.FlowID = k.ID()
	}
	if p.Proto == decode.ProtoICMP || p.Proto == decode.ProtoICMPv6 {
		a.ICMPType, a.ICMPCode = p.ICMPType, p.ICMPCode
		a.CommunityID = flow.CommunityID(p.Src, p.Dst, uint16(p.ICMPType), uint16(p.ICMPCode), p.Proto, e.cfg.CommunityIDSeed)
	} else {
		a.SrcPort, a.DstPort = p.SrcPort, p.DstPort
		a.CommunityID = flow.CommunityID(p.Src, p.Dst, p.SrcPort, p.DstPort, p.Proto, e.cfg.CommunityIDSeed)
	}
	a.Stats = alert.Stats{
		Packets:    b.packets,
		Bytes:      b.bytes,
		FirstSeen:  b.winStart,
		LastSeen:   b.last,
		Suppressed: uint64(b.suppressed),
	}
	// A key counts packets, not directions: the episode's counters are
	// written under the EVE direction of the packet that fired. Scans,
	// sweeps, brute force, amplification and unsolicited floods count
	// to_server packets only, so for them the split is exact.
	if a.Direction == "to_client" {
		a.Stats.ToClientPackets, a.Stats.ToClientBytes = b.packets, b.bytes
	}
	switch rs.distinct {
	case rules.DistinctDstPort:
		a.Stats.DistinctPorts = uint32(rs.distinctValue(idx))
	case rules.DistinctDstIP:
		a.Stats.DistinctHosts = uint32(rs.distinctValue(idx))
	case rules.DistinctSrcIP:
		a.Stats.DistinctSources = uint32(min(rs.distinctValue(idx), 1<<32-1))
	}
	if rs.hasTop {
		if i := rs.exact[idx]; i >= 0 {
			a.Stats.TopSources = rs.pool.arrays[i].top(5)
		} else {
			a.Stats.TopSources = rs.top[idx].top(5)
		}
	}
	th := r.Threshold
	a.Threshold = alert.Threshold{
		Track:    rs.track.String(),
		Distinct: distinctLabel(rs.counts),
		Count:    th.Count,
		Bytes:    th.Bytes,
		Window:   time.Duration(rs.window).Seconds(),
		Observed: observed,
	}
	if burst {
		// The short window fired: the threshold that was crossed.
		a.Threshold.Count, a.Threshold.Bytes = th.Burst, 0
		a.Threshold.Window = th.BurstWindow.Seconds()
	}
	return a
}

// Advance expires, at capture time now, the keys idle for longer than
// their rule's window and suppression period. Process calls it once per
// second of capture time; call it when no packets arrive. Windows are also
// checked on every packet, so Advance only frees memory.
func (e *Engine) Advance(now int64) {
	e.lastAdvance = now
	for _, rs := range e.rules {
		rs.t.expire(now, rs.idle)
	}
}

// Flush ends a replay: alerts are emitted when thresholds are crossed, so
// nothing is pending; Flush drops all tracked state (suppressed occurrences
// not yet reported stay counted in Stats).
func (e *Engine) Flush() {
	for _, rs := range e.rules {
		rs.t.reset()
		if rs.door != nil {
			rs.door.reset()
		}
	}
	e.lastAdvance = 0
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := Stats{Packets: e.packets, Alerts: e.alerts, Suppressed: e.suppressed, Rules: make([]RuleStats, len(e.rules))}
	for i, rs := range e.rules {
		st := rs.st
		st.Keys = rs.t.n
		st.KeysEvicted = rs.t.evicted
		st.KeysExpired = rs.t.expired
		if rs.door != nil {
			st.FirstOverwritten = rs.door.over[rs.doorBit]
		}
		if rs.set != nil {
			st.Distinct = rs.set.live
			st.DistinctFull = rs.set.full
		}
		s.Rules[i] = st
	}
	return s
}

// isNeighborDiscovery reports ICMPv6 router and neighbour discovery (types
// 133-137): link-local housekeeping between neighbours, not traffic with a
// listed address, and answered by the kernel without any application.
func isNeighborDiscovery(p *decode.Packet) bool {
	return p.Proto == decode.ProtoICMPv6 && p.ICMPType >= 133 && p.ICMPType <= 137
}

// distinctLabel is the alert's threshold.distinct: the rule's YAML name, or ""
// (omitted) when the threshold counts packets.
func distinctLabel(d rules.Distinct) string {
	if d == rules.DistinctNone {
		return ""
	}
	return d.String()
}

// burstWin is a key's short tumbling window (Threshold.Burst): packets since
// start.
type burstWin struct {
	start   int64
	packets uint64
}

// add counts n packets at ts, starting a new short window when the current
// one is win or more old.
func (w *burstWin) add(ts, win int64, n uint64) {
	if w.packets == 0 || ts-w.start >= win {
		w.start, w.packets = ts, 0
	}
	w.packets += n
}

// addCountry counts a packet from country for bucket idx: exactly when the
// key holds an exact array, else in its space-saving counters.
func (rs *ruleState) addCountry(idx int32, country geo.CountryID) {
	if i := rs.exact[idx]; i >= 0 {
		rs.pool.arrays[i].add(country)
		return
	}
	rs.top[idx].add(country)
}
