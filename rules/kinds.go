package rules

import "time"

// Adding a detector kind touches: its constant (rule.go, above kindEnd), its
// KindSpec here, its condition in sensor/detect/kinds.go (kindConds), its
// default rules (rules/default), its row in docs/rules.md's kind table and
// its detection cases (testdata/cases). TestKindSpecs fails without the
// spec, the docs row or a default rule; sensor/detect's TestKindConds
// without the condition.

// KindSpec is the static description of a detector kind, shared by rule
// compilation (allowed values, defaults, checks) and the detection engine
// (sensor/detect: default track, what is counted distinctly, alert stats).
// Every kind in Kinds has a complete entry; TestKindSpecs checks it, and
// sensor/detect's tests check that the engine has the kind's condition.
type KindSpec struct {
	Name string // YAML name
	// Tracks allowed; the first is the default.
	Tracks []Track
	// Distincts allowed for threshold.distinct; the first is the default.
	Distincts []Distinct
	// Counts is what the threshold counts distinct values of when the rule
	// sets no threshold.distinct (scan dst_port, sweep dst_ip; none: the
	// threshold counts packets or bytes).
	Counts Distinct
	// Sources: the engine counts each key's distinct sources (for
	// min_sources and the alert's distinct_sources).
	Sources bool
	// Noun says what a threshold counts, for error messages and docs.
	Noun string

	Count      uint64        // default count, when neither count nor bytes is written
	Window     time.Duration // default window
	MaxCount   uint64        // largest count; 0 for no limit
	CountOK    bool          // threshold.count allowed
	BytesOK    bool          // threshold.bytes allowed
	NeedBytes  bool          // threshold.bytes required
	MinSources uint32        // default min_sources; 0: min_sources not allowed
	Protos     uint8         // default protocols (0: any)
	Category   string        // default Suricata classification

	NeedDstPorts  bool // dst_ports required (the attacked service)
	NeedSrcPorts  bool // src_ports required (the reflected service)
	NeedList      bool // list required (reputation)
	NeedZone      bool // a zone in from or to required (policy)
	UnsolicitedOK bool // unsolicited allowed
	BurstOK       bool // threshold.burst allowed (packets in a short window)

	// TopSources: alerts carry the episode's top source countries.
	TopSources bool
	// Probe: the kind counts probes only, never answers (to_client
	// packets of a known flow), SYN-ACK or RST backscatter, nor kernel
	// byte reports.
	Probe bool
}

// NumKinds bounds the Kind values: every kind is below it.
const NumKinds = int(kindEnd)

var kindSpecs = [NumKinds]KindSpec{
	KindScan: {
		Name: "scan", Tracks: []Track{TrackPair, TrackSrc},
		Distincts: []Distinct{DistinctDstPort, DistinctIPProto}, Counts: DistinctDstPort,
		Noun:  "distinct destination ports",
		Count: 15, Window: 5 * time.Minute, CountOK: true, MaxCount: 65536,
		UnsolicitedOK: true, Probe: true,
		Category: "Attempted Information Leak",
	},
	KindSweep: {
		Name: "sweep", Tracks: []Track{TrackSrc},
		Distincts: []Distinct{DistinctDstIP}, Counts: DistinctDstIP,
		Noun:  "distinct destination addresses",
		Count: 25, Window: 5 * time.Minute, CountOK: true, MaxCount: 1 << 24,
		UnsolicitedOK: true, Probe: true,
		Category: "Attempted Information Leak",
	},
	KindFlood: {
		Name: "flood", Tracks: []Track{TrackDst},
		Distincts: []Distinct{DistinctNone}, Sources: true,
		Noun:  "packets",
		Count: 200000, Window: 10 * time.Second, CountOK: true, BytesOK: true, MinSources: 1,
		UnsolicitedOK: true, TopSources: true, BurstOK: true,
		Category: "Attempted Denial of Service",
	},
	KindBruteforce: {
		Name: "bruteforce", Tracks: []Track{TrackSrc, TrackPair},
		Distincts: []Distinct{DistinctNone, DistinctDstIP},
		Noun:      "connections",
		Count:     20, Window: 15 * time.Minute, CountOK: true, Protos: ProtoTCP, NeedDstPorts: true,
		BurstOK:  true,
		Category: "Attempted User Privilege Gain",
	},
	KindAmplification: {
		Name: "amplification", Tracks: []Track{TrackDst},
		Distincts: []Distinct{DistinctNone}, Sources: true,
		Noun:  "packets",
		Count: 200000, Window: 10 * time.Second, CountOK: true, BytesOK: true, MinSources: 5,
		Protos: ProtoUDP, NeedSrcPorts: true, TopSources: true, BurstOK: true,
		Category: "Attempted Denial of Service",
	},
	KindReputation: {
		Name: "reputation", Tracks: []Track{TrackPair, TrackSrc, TrackDst, TrackFlow},
		Distincts: []Distinct{DistinctNone},
		Noun:      "matching packets",
		Count:     1, Window: time.Minute, CountOK: true, NeedList: true,
		Category: "Misc Attack",
	},
	KindPolicy: {
		Name: "policy", Tracks: []Track{TrackPair, TrackSrc, TrackDst, TrackFlow},
		Distincts: []Distinct{DistinctNone, DistinctDstIP, DistinctDstPort, DistinctSrcIP},
		Noun:      "matching packets",
		Count:     1, Window: time.Minute, CountOK: true, BytesOK: true, NeedZone: true,
		Category: "Potential Corporate Privacy Violation",
	},
	KindVolume: {
		Name: "volume", Tracks: []Track{TrackSrc, TrackPair, TrackDst, TrackFlow},
		Distincts: []Distinct{DistinctNone},
		Noun:      "bytes",
		Window:    time.Hour, BytesOK: true, NeedBytes: true,
		Category: "Potential Corporate Privacy Violation",
	},
}

// Spec returns the kind's static description, or nil for a value that is
// not a kind.
func (k Kind) Spec() *KindSpec {
	if k == 0 || int(k) >= NumKinds {
		return nil
	}
	return &kindSpecs[k]
}

// DefaultTrack is the track of a rule of kind k that does not set one (the
// first of its Tracks); 0 for a value that is not a kind.
func (k Kind) DefaultTrack() Track {
	if s := k.Spec(); s != nil && len(s.Tracks) > 0 {
		return s.Tracks[0]
	}
	return 0
}
