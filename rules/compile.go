package rules

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/strictyaml"
)

// Limits on thresholds.
const (
	MinWindow   = time.Second
	MaxWindow   = 24 * time.Hour
	MaxSuppress = 7 * 24 * time.Hour
	// DefaultSuppress is one alert per track key per hour, as Zeek's notice
	// framework suppresses repeated notices (Notice::default_suppression_interval).
	DefaultSuppress = time.Hour
)

var (
	directionNames = []string{"inbound", "outbound", "internal", "transit"}
	protocolNames  = []string{"tcp", "udp", "icmp", "icmpv6"}
	trackWords     = trackNames[TrackSrc:] // Track 0 is "not set"
	distinctWords  = distinctNames[:]
	basisNames     = []string{"location", "registered", "either"}
	actionNames    = []string{"alert", "drop"}
	sideNames      = []string{"src", "dst", "either"}
	kindWords      = func() []string {
		w := make([]string, len(Kinds))
		for i, k := range Kinds {
			w[i] = k.String()
		}
		return w
	}()
	mitreRE = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
)

// enumErr formats an unknown-word error with a suggestion or the choices.
func enumErr(key, what, got string, choices []string) string {
	if s := didYouMean(got, choices); s != "" {
		return fmt.Sprintf("%s: unknown %s %q%s", key, what, excerpt(got), s)
	}
	return fmt.Sprintf("%s: unknown %s %q (want %s)", key, what, excerpt(got), oneOf(choices))
}

// failFunc records an error at pos.
type failFunc func(pos Pos, format string, args ...any)

// compileRule checks a rule spec and builds the rule. It returns nil when the
// rule has errors (recorded in errs), and whether the rule is enabled.
func compileRule(rs *RuleSpec, zones *geo.Zones, lists map[string]*List, errs *errList) (*Rule, bool) {
	where := rs.where()
	nerr := len(errs.errs)
	fail := func(pos Pos, format string, args ...any) {
		errs.add(pos, where, format, args...)
	}
	r := &Rule{Pos: rs.Pos, Rev: 1, Action: ActionAlert, Basis: geo.BasisLocation}
	ki := compileIdentity(rs, r, fail)
	compileEndpoints(rs, r, zones, fail)
	compileMatchers(rs, r, ki, fail)
	compileAlertFields(rs, r, ki, fail)
	enabled := true
	if rs.Enabled.IsSet() {
		enabled = rs.Enabled.V
	}
	if ki != nil {
		compileKind(rs, r, ki, lists, fail)
	}
	if len(errs.errs) > nerr {
		return nil, enabled
	}
	return r, enabled
}

// compileIdentity checks the rule's id, rev, name, description and kind; it
// returns the kind's spec, nil when the kind is missing or unknown.
func compileIdentity(rs *RuleSpec, r *Rule, fail failFunc) *KindSpec {
	for _, key := range []string{"id", "name", "kind"} {
		if !rs.has(key) {
			fail(rs.Pos, "missing required key %q", key)
		}
	}
	if rs.ID.IsSet() {
		r.ID = uint32(rs.ID.V)
	}
	if rs.Rev.IsSet() {
		if rs.Rev.V == 0 {
			fail(rs.Rev.Pos, "rev: want 1 or more, got 0")
		}
		r.Rev = uint32(rs.Rev.V)
	}
	if rs.Name.IsSet() {
		r.Name = strings.TrimSpace(rs.Name.V)
		switch {
		case r.Name == "":
			fail(rs.Name.Pos, "name: empty")
		case strings.ContainsAny(r.Name, "\n\r\t"):
			fail(rs.Name.Pos, "name: must be one line")
		case len(r.Name) > MaxNameLen:
			fail(rs.Name.Pos, "name: %d bytes, longer than the limit of %d", len(r.Name), MaxNameLen)
		default:
			if msg := badText(r.Name, false); msg != "" {
				fail(rs.Name.Pos, "name: %s", msg)
			}
		}
	}
	r.Description = strings.TrimSpace(rs.Description.V)
	if len(r.Description) > MaxDescriptionLen {
		fail(rs.Description.Pos, "description: %d bytes, longer than the limit of %d", len(r.Description), MaxDescriptionLen)
	} else if msg := badText(r.Description, true); msg != "" {
		fail(rs.Description.Pos, "description: %s", msg)
	}

	var ki *KindSpec
	if rs.Kind.IsSet() {
		k, ok := ParseKind(rs.Kind.V)
		if !ok {
			fail(rs.Kind.Pos, "%s", enumErr("kind", "kind", rs.Kind.V, kindWords))
		} else {
			r.Kind, ki = k, k.Spec()
		}
	}
	return ki
}

// compileEndpoints checks from, to and direction.
func compileEndpoints(rs *RuleSpec, r *Rule, zones *geo.Zones, fail failFunc) {
	r.FromTerms, r.ToTerms = termsOrAny(rs.From), termsOrAny(rs.To)
	if zones != nil {
		r.From = compileTerms(rs.From, "from", zones, fail)
		r.To = compileTerms(rs.To, "to", zones, fail)
	}
	for _, w := range []struct {
		key string
		t   Words
	}{{"from", rs.From}, {"to", rs.To}} {
		if w.t.IsSet() && len(w.t.Items) == 0 {
			fail(w.t.Pos, "%s: empty list (leave the key out, or write any)", w.key)
		}
	}
	for _, it := range rs.Direction.Items {
		i := slices.Index(directionNames, it.V)
		if i < 0 {
			fail(it.Pos, "%s", enumErr("direction", "direction", it.V, directionNames))
			continue
		}
		d := [...]geo.Direction{geo.DirInbound, geo.DirOutbound, geo.DirInternal, geo.DirTransit}[i]
		r.Directions |= 1 << d
	}
}

// compileMatchers checks the packet matchers. Protocols: as written, else
// the kind's default, else implied by tcp_flags (tcp) or ports (tcp and
// udp), else any.
func compileMatchers(rs *RuleSpec, r *Rule, ki *KindSpec, fail failFunc) {
	protoOK := true
	for _, it := range rs.Protocol.Items {
		i := slices.Index(protocolNames, it.V)
		if i < 0 {
			fail(it.Pos, "%s", enumErr("protocol", "protocol", it.V, protocolNames))
			protoOK = false
			continue
		}
		r.Protos |= [...]uint8{ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6}[i]
	}
	if !rs.Protocol.IsSet() {
		switch {
		case ki != nil && ki.Protos != 0:
			r.Protos = ki.Protos
		case rs.TCPFlags.IsSet():
			r.Protos = ProtoTCP
		case rs.DstPorts.IsSet() || rs.SrcPorts.IsSet():
			r.Protos = ProtoTCP | ProtoUDP
		}
	}
	for _, it := range rs.TCPFlags.Items {
		fm, err := parseFlags(it.V)
		if err != "" {
			fail(it.Pos, "tcp_flags: %s", err)
			continue
		}
		r.TCPFlags = append(r.TCPFlags, fm)
	}
	if rs.TCPFlags.IsSet() && protoOK && r.Protos&ProtoTCP == 0 {
		fail(rs.TCPFlags.Pos, "tcp_flags: needs protocol tcp")
	}
	for _, it := range rs.ICMPTypes.Items {
		v, err := strconv.ParseUint(it.V, 10, 8)
		if err != nil {
			fail(it.Pos, "icmp_types: want a type 0..255, got %q", excerpt(it.V))
			continue
		}
		r.ICMPTypes = append(r.ICMPTypes, uint8(v))
	}
	if rs.ICMPTypes.IsSet() && protoOK && r.Protos&(ProtoICMP|ProtoICMPv6) == 0 {
		fail(rs.ICMPTypes.Pos, "icmp_types: needs protocol icmp or icmpv6")
	}
	r.DstPorts = compilePorts(rs.DstPorts, "dst_ports", fail)
	r.SrcPorts = compilePorts(rs.SrcPorts, "src_ports", fail)
	for _, p := range []struct {
		key string
		w   Words
	}{{"dst_ports", rs.DstPorts}, {"src_ports", rs.SrcPorts}} {
		if p.w.IsSet() && protoOK && r.Protos&(ProtoTCP|ProtoUDP) == 0 {
			fail(p.w.Pos, "%s: needs protocol tcp or udp", p.key)
		}
	}
}

// compileAlertFields checks what the alert carries and how the rule acts:
// suppress, category, severity, geo_basis, mitre, action and unsolicited.
func compileAlertFields(rs *RuleSpec, r *Rule, ki *KindSpec, fail failFunc) {
	r.Suppress = DefaultSuppress
	if rs.Suppress.IsSet() {
		r.Suppress = rs.Suppress.V
		if r.Suppress > MaxSuppress {
			fail(rs.Suppress.Pos, "suppress: %s is longer than the maximum %s", FormatDuration(r.Suppress), FormatDuration(MaxSuppress))
		}
	}
	var class classification
	haveClass := false
	if rs.Category.IsSet() {
		c, ok := lookupCategory(rs.Category.V)
		switch {
		case ok:
			class, haveClass = c, true
		default:
			if s, ok := suggestCategory(rs.Category.V); ok {
				fail(rs.Category.Pos, "category: unknown Suricata classification %q (did you mean %q?)", excerpt(rs.Category.V), s.desc)
			} else {
				fail(rs.Category.Pos, "category: unknown Suricata classification %q (see classification.config: e.g. \"Attempted Information Leak\", \"Misc Attack\")", excerpt(rs.Category.V))
			}
		}
	} else if ki != nil {
		class, haveClass = lookupCategory(ki.Category)
	}
	if haveClass {
		r.Category = class.desc
		r.Severity = class.priority
	}
	if rs.Severity.IsSet() {
		if rs.Severity.V < 1 || rs.Severity.V > 4 {
			fail(rs.Severity.Pos, "severity: want 1 (high) to 4 (low), got %d", rs.Severity.V)
		}
		r.Severity = int(rs.Severity.V)
	}
	if r.Severity == 0 {
		r.Severity = 3
	}
	if rs.GeoBasis.IsSet() {
		switch i := slices.Index(basisNames, rs.GeoBasis.V); i {
		case -1:
			fail(rs.GeoBasis.Pos, "%s", enumErr("geo_basis", "basis", rs.GeoBasis.V, basisNames))
		default:
			r.Basis = [...]geo.Basis{geo.BasisLocation, geo.BasisRegistered, geo.BasisEither}[i]
		}
	}
	seenMitre := map[string]bool{}
	for _, it := range rs.Mitre.Items {
		switch {
		case !mitreRE.MatchString(it.V):
			fix := ""
			if up := strings.ToUpper(strings.TrimSpace(it.V)); mitreRE.MatchString(up) {
				fix = fmt.Sprintf(" (did you mean %q?)", up)
			}
			fail(it.Pos, "mitre: bad technique id %q: want T1234 or T1234.001%s", excerpt(it.V), fix)
		case seenMitre[it.V]:
			fail(it.Pos, "mitre: %s listed twice", it.V)
		default:
			seenMitre[it.V] = true
			r.Mitre = append(r.Mitre, it.V)
		}
	}
	if rs.Action.IsSet() {
		switch rs.Action.V {
		case "alert":
			r.Action = ActionAlert
		case "drop":
			r.Action = ActionDrop
		default:
			fail(rs.Action.Pos, "%s", enumErr("action", "action", rs.Action.V, actionNames))
		}
	}
	if rs.Unsolicited.IsSet() {
		if ki != nil && !ki.UnsolicitedOK {
			fail(rs.Unsolicited.Pos, "unsolicited: only %s rules take it (amplification counts only unsolicited replies already)", kindsWith(func(s *KindSpec) bool { return s.UnsolicitedOK }))
		}
		r.Unsolicited = rs.Unsolicited.V
	}
}

// kindsWith lists the kinds whose spec has a property: "scan, sweep and flood".
func kindsWith(has func(*KindSpec) bool) string {
	var w []string
	for _, k := range Kinds {
		if has(k.Spec()) {
			w = append(w, k.String())
		}
	}
	switch len(w) {
	case 0:
		return "no"
	case 1:
		return w[0]
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}

// compileKind applies the kind's defaults and checks what the kind needs.
func compileKind(rs *RuleSpec, r *Rule, ki *KindSpec, lists map[string]*List, fail failFunc) {
	kind := r.Kind.String()
	r.Threshold = compileThreshold(rs, ki, kind, fail)

	// Ports.
	if ki.NeedDstPorts && r.DstPorts == nil && !rs.DstPorts.IsSet() {
		fail(rs.Pos, "%s needs dst_ports (the service attacked, e.g. dst_ports: [22])", kind)
	}
	if ki.NeedSrcPorts && r.SrcPorts == nil && !rs.SrcPorts.IsSet() {
		fail(rs.Pos, "%s needs src_ports (the reflected service, e.g. src_ports: [53, 123])", kind)
	}

	compileList(rs, r, ki, lists, fail)

	// Policy.
	if ki.NeedZone && isAny(rs.From) && isAny(rs.To) {
		fail(rs.Pos, "policy needs a zone in from or to (the forbidden jurisdiction), not any")
	}
}

// compileThreshold checks the rule's threshold against what its kind
// counts and fills in the kind's defaults.
func compileThreshold(rs *RuleSpec, ki *KindSpec, kind string, fail failFunc) Threshold {
	t := &rs.Threshold
	th := Threshold{Window: ki.Window, Track: ki.Tracks[0], Distinct: ki.Distincts[0]}

	// Counting.
	if t.Count.IsSet() {
		switch {
		case !ki.CountOK:
			fail(t.Count.Pos, "threshold.count: %s counts bytes: use threshold.bytes", kind)
		case t.Count.V == 0:
			fail(t.Count.Pos, "threshold.count: want 1 or more, got 0")
		case ki.MaxCount > 0 && t.Count.V > ki.MaxCount:
			fail(t.Count.Pos, "threshold.count: %d is more than %s can count (at most %d)", t.Count.V, kind, ki.MaxCount)
		}
		th.Count = t.Count.V
	}
	if t.Bytes.IsSet() {
		switch {
		case !ki.BytesOK:
			fail(t.Bytes.Pos, "threshold.bytes: not used by %s (it counts %s)", kind, ki.Noun)
		case t.Bytes.V == 0:
			fail(t.Bytes.Pos, "threshold.bytes: want 1 or more, got 0")
		}
		th.Bytes = t.Bytes.V
	}
	if !t.Count.IsSet() && !t.Bytes.IsSet() && !rs.has("threshold.count") && !rs.has("threshold.bytes") {
		if ki.NeedBytes {
			pos := t.Pos
			if pos.Line == 0 {
				pos = rs.Pos
			}
			fail(pos, "%s needs threshold.bytes (bytes in the window, e.g. bytes: 1GB)", kind)
		}
		th.Count = ki.Count
	}
	if t.Window.IsSet() {
		switch {
		case t.Window.V < MinWindow:
			fail(t.Window.Pos, "threshold.window: %s is shorter than the minimum %s", t.Window.V, FormatDuration(MinWindow))
		case t.Window.V > MaxWindow:
			fail(t.Window.Pos, "threshold.window: %s is longer than the maximum %s", FormatDuration(t.Window.V), FormatDuration(MaxWindow))
		}
		th.Window = t.Window.V
	}
	if t.Track.IsSet() {
		i := slices.Index(trackWords, t.Track.V)
		switch {
		case i < 0:
			fail(t.Track.Pos, "%s", enumErr("threshold.track", "track", t.Track.V, trackWords))
		default:
			tr := TrackSrc + Track(i)
			if !hasTrack(ki.Tracks, tr) {
				fail(t.Track.Pos, "threshold.track: %s tracks by %s, not %s", kind, trackList(ki.Tracks), tr)
			}
			th.Track = tr
		}
	}
	if t.Distinct.IsSet() {
		i := slices.Index(distinctWords, t.Distinct.V)
		switch {
		case i < 0:
			fail(t.Distinct.Pos, "%s", enumErr("threshold.distinct", "distinct value", t.Distinct.V, distinctWords))
		default:
			dv := Distinct(i)
			if !hasDistinct(ki.Distincts, dv) {
				if len(ki.Distincts) == 1 && ki.Distincts[0] == DistinctNone {
					fail(t.Distinct.Pos, "threshold.distinct: %s counts %s, not distinct values", kind, ki.Noun)
				} else {
					fail(t.Distinct.Pos, "threshold.distinct: %s needs distinct %s, got %s", kind, distinctList(ki.Distincts), dv)
				}
			}
			th.Distinct = dv
		}
	}
	th.MinSources = ki.MinSources
	if t.MinSources.IsSet() {
		switch {
		case ki.MinSources == 0:
			fail(t.MinSources.Pos, "threshold.min_sources: only for %s", kindsWith(func(s *KindSpec) bool { return s.MinSources > 0 }))
		case t.MinSources.V == 0:
			fail(t.MinSources.Pos, "threshold.min_sources: want 1 or more, got 0")
		}
		th.MinSources = uint32(min(t.MinSources.V, math.MaxUint32))
	}
	compileBurst(t, &th, ki, fail)
	return th
}

// compileList checks list and side: a reputation rule's address list, and
// the side of the packet it is matched on; no other kind takes them.
func compileList(rs *RuleSpec, r *Rule, ki *KindSpec, lists map[string]*List, fail failFunc) {
	if ki.NeedList {
		switch {
		case !rs.List.IsSet() && !rs.has("list"):
			fail(rs.Pos, "reputation needs list (the name of an address list)")
		case rs.List.IsSet():
			l, ok := lists[rs.List.V] // nil when the list itself had errors
			if !ok {
				fail(rs.List.Pos, "list: unknown list %q%s", excerpt(rs.List.V), didYouMean(rs.List.V, sortedKeys(lists)))
			}
			r.List = l
		}
		if rs.Side.IsSet() {
			switch rs.Side.V {
			case "src":
				r.ListSide = SideSrc
			case "dst":
				r.ListSide = SideDst
			case "either":
				r.ListSide = SideEither
			default:
				fail(rs.Side.Pos, "%s", enumErr("side", "side", rs.Side.V, sideNames))
			}
		}
	} else {
		if rs.List.IsSet() {
			fail(rs.List.Pos, "list: only for kind reputation")
		}
		if rs.Side.IsSet() {
			fail(rs.Side.Pos, "side: only for kind reputation")
		}
	}

}

// DefaultBurstWindow is the window of threshold.burst when burst_window is
// not written.
const DefaultBurstWindow = time.Second

// compileBurst checks threshold.burst and burst_window: packets within a
// short window, for the kinds that take it, shorter than the window.
func compileBurst(t *ThresholdSpec, th *Threshold, ki *KindSpec, fail failFunc) {
	if !t.Burst.IsSet() {
		if t.BurstWin.IsSet() {
			fail(t.BurstWin.Pos, "threshold.burst_window: needs threshold.burst (packets within it)")
		}
		return
	}
	switch {
	case !ki.BurstOK:
		fail(t.Burst.Pos, "threshold.burst: only for %s", kindsWith(func(s *KindSpec) bool { return s.BurstOK }))
		return
	case t.Burst.V == 0:
		fail(t.Burst.Pos, "threshold.burst: want 1 or more, got 0")
	}
	th.Burst, th.BurstWindow = t.Burst.V, DefaultBurstWindow
	if t.BurstWin.IsSet() {
		th.BurstWindow = t.BurstWin.V
		if th.BurstWindow < MinWindow {
			fail(t.BurstWin.Pos, "threshold.burst_window: %s is shorter than the minimum %s", th.BurstWindow, FormatDuration(MinWindow))
		}
	}
	if th.BurstWindow >= th.Window {
		pos := t.BurstWin.Pos
		if !t.BurstWin.IsSet() {
			pos = t.Burst.Pos
		}
		fail(pos, "threshold.burst_window: %s is not shorter than the window %s", FormatDuration(th.BurstWindow), FormatDuration(th.Window))
	}
}

func hasTrack(ts []Track, t Track) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func hasDistinct(ds []Distinct, d Distinct) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

func trackList(ts []Track) string {
	w := make([]string, len(ts))
	for i, t := range ts {
		w[i] = t.String()
	}
	return oneOf(w)
}

func distinctList(ds []Distinct) string {
	w := make([]string, len(ds))
	for i, d := range ds {
		w[i] = d.String()
	}
	return oneOf(w)
}

// isAny reports whether zone terms match everything: not written, or "any".
func isAny(w Words) bool {
	if !w.IsSet() || len(w.Items) == 0 {
		return true
	}
	for _, it := range w.Items {
		if it.V != "any" {
			return false
		}
	}
	return true
}

func termsOrAny(w Words) []string {
	if !w.IsSet() || len(w.Items) == 0 {
		return []string{"any"}
	}
	return w.Strings()
}

// compileTerms compiles zone terms with geo; nil means any. On error each
// term is compiled alone to point at the bad one.
func compileTerms(w Words, key string, zones *geo.Zones, fail func(Pos, string, ...any)) *geo.Expr {
	if isAny(w) {
		return nil
	}
	e, err := zones.Compile(w.Strings())
	if err == nil {
		return e
	}
	found := false
	for _, it := range w.Items {
		if _, err1 := zones.Compile([]string{it.V}); err1 != nil {
			fail(it.Pos, "%s: %v", key, err1)
			found = true
		}
	}
	if !found {
		fail(w.Pos, "%s: %v", key, err)
	}
	return nil
}

// compilePorts parses ports and ranges ("22", 22, "8000-8100", "80,443").
func compilePorts(w Words, key string, fail func(Pos, string, ...any)) *PortSet {
	if !w.IsSet() {
		return nil
	}
	if len(w.Items) == 0 {
		fail(w.Pos, "%s: empty list (leave the key out to match any port)", key)
		return nil
	}
	set := new(PortSet)
	for _, it := range w.Items {
		for part := range strings.SplitSeq(it.V, ",") {
			part = strings.TrimSpace(part)
			lo, hi, ok := strings.Cut(part, "-")
			a, errA := parsePort(lo)
			b := a
			var errB error
			if ok {
				b, errB = parsePort(hi)
			}
			if errA != nil || errB != nil {
				fail(it.Pos, "%s: bad port %q: want 0..65535 or a range such as 8000-8100", key, excerpt(part))
				continue
			}
			if a > b {
				fail(it.Pos, "%s: bad range %q: %d is above %d", key, excerpt(part), a, b)
				continue
			}
			for p := uint32(a); p <= uint32(b); p++ {
				set.Add(uint16(p))
			}
		}
	}
	return set
}

func parsePort(s string) (uint16, error) {
	s = strings.TrimSpace(s)
	if !strictyaml.IsDigits(s) {
		return 0, fmt.Errorf("not a number")
	}
	v, err := strconv.ParseUint(s, 10, 16)
	return uint16(v), err
}

// TCP flag letters as in Suricata's flags keyword.
var flagBits = map[byte]uint8{
	'F': 0x01, 'S': 0x02, 'R': 0x04, 'P': 0x08, 'A': 0x10, 'U': 0x20, 'E': 0x40, 'C': 0x80,
}

// defaultFlagMask is FSRPAU: without an explicit mask the ECN bits are ignored.
const defaultFlagMask = 0x3f

// parseFlags parses "S", "S/SA" (SYN set, ACK clear) or "0/SAFR" (none of
// SYN, ACK, FIN, RST). It returns an error reason, or "".
func parseFlags(s string) (FlagMatch, string) {
	val, mask, hasMask := strings.Cut(s, "/")
	v, bad := flagSet(val)
	if bad != "" {
		return FlagMatch{}, fmt.Sprintf("bad flags %q: %s", excerpt(s), bad)
	}
	m := uint8(defaultFlagMask)
	if hasMask {
		if m, bad = flagSet(mask); bad != "" {
			return FlagMatch{}, fmt.Sprintf("bad mask in %q: %s", excerpt(s), bad)
		}
		if m == 0 {
			return FlagMatch{}, fmt.Sprintf("bad mask in %q: empty", excerpt(s))
		}
	}
	if v&^m != 0 {
		return FlagMatch{}, fmt.Sprintf("%q: the flags must be within the mask", excerpt(s))
	}
	return FlagMatch{Mask: m, Value: v}, ""
}

func flagSet(s string) (uint8, string) {
	if s == "0" {
		return 0, ""
	}
	if s == "" {
		return 0, "empty (write 0 for no flags)"
	}
	var v uint8
	for i := 0; i < len(s); i++ {
		b, ok := flagBits[s[i]]
		if !ok {
			if _, lower := flagBits[s[i]-'a'+'A']; lower && s[i] >= 'a' && s[i] <= 'z' {
				return 0, fmt.Sprintf("flags are upper-case letters (%s)", strings.ToUpper(s))
			}
			return 0, fmt.Sprintf("unknown flag %q (want F S R P A U E C)", s[i:i+1])
		}
		if v&b != 0 {
			return 0, fmt.Sprintf("flag %c twice", s[i])
		}
		v |= b
	}
	return v, ""
}
