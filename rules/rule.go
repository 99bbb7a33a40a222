package rules

import (
	"time"

	"github.com/borderwatch/borderwatch/geo"
)

// Kind is a detector kind.
type Kind uint8

// Detector kinds. The YAML names are the lower-case words.
const (
	KindScan          Kind = iota + 1 // one source, one host, many ports
	KindSweep                         // one source, many hosts
	KindFlood                         // one destination, high packet/byte rate
	KindBruteforce                    // repeated new connections to an auth service
	KindAmplification                 // reflection replies converging on one host
	KindReputation                    // endpoint on a listed address list
	KindPolicy                        // traffic between home and a forbidden zone
	KindVolume                        // bytes from a home host to a zone

	kindEnd // one past the last kind: a new kind goes above, with its KindSpec
)

// Track says what a threshold counts per.
type Track uint8

const (
	TrackSrc  Track = iota + 1 // per source address
	TrackDst                   // per destination address
	TrackPair                  // per (source, destination) address pair
	TrackFlow                  // per 5-tuple flow
)

// Distinct says which value a threshold counts distinct occurrences of.
type Distinct uint8

const (
	DistinctNone    Distinct = iota // count packets (or connections for bruteforce)
	DistinctDstPort                 // distinct destination ports
	DistinctDstIP                   // distinct destination addresses
	DistinctSrcIP                   // distinct source addresses
	DistinctIPProto                 // distinct IP protocol numbers (scan: nmap -sO)
)

// Action is what happens when a rule fires.
type Action uint8

const (
	ActionAlert Action = iota // report only
	ActionDrop                // report, and drop in the kernel when enforcement is on
)

// Proto bits for ProtoSet.
const (
	ProtoTCP uint8 = 1 << iota
	ProtoUDP
	ProtoICMP   // ICMPv4
	ProtoICMPv6 //
)

// FlagMatch matches a TCP flags byte when flags&Mask == Value.
type FlagMatch struct{ Mask, Value uint8 }

// PortSet is a bitmap of the 65536 ports; a nil *PortSet matches any port.
type PortSet [1024]uint64

// Has reports whether p is in the set.
func (s *PortSet) Has(p uint16) bool { return s[p>>6]&(1<<(p&63)) != 0 }

// Add adds p to the set.
func (s *PortSet) Add(p uint16) { s[p>>6] |= 1 << (p & 63) }

// Threshold is when a rule fires: within Window (capture time), for one track
// key, Count or Bytes is reached; when both are set, reaching either fires.
// Loading fills in the kind's defaults, so Window and Track are always set.
type Threshold struct {
	Count      uint64        // packets, connections or distinct values; 0 means unused
	Bytes      uint64        // bytes within Window; 0 means unused
	Window     time.Duration // sliding/tumbling window in capture time
	Track      Track
	Distinct   Distinct
	MinSources uint32 // flood/amplification: at least this many distinct sources
	// Burst (flood, bruteforce, amplification) also fires when Burst
	// packets (bruteforce: connections) arrive within BurstWindow (shorter
	// than Window): a short, intense flood, or a guessing tool's parallel
	// connections, that a long window averages away. 0 means unused.
	Burst       uint64
	BurstWindow time.Duration
}

// Pos is where something was written.
type Pos struct {
	File   string
	Line   int
	Column int
}

// Rule is the compiled, checked form of a rule: every field valid and typed.
type Rule struct {
	ID   uint32 // alert.signature_id
	Rev  uint32
	Name string // alert.signature
	// Description is the rule's free text, for people.
	Description string
	Kind        Kind
	FromTerms   []string  // as written, for display
	ToTerms     []string  // as written, for display
	From, To    *geo.Expr // nil matches any
	// Directions is a bit set of 1<<geo.Direction values allowed; 0 allows all.
	Directions uint8
	Protos     uint8       // ProtoTCP|…; 0 means any
	TCPFlags   []FlagMatch // any of them must match; empty means any
	ICMPTypes  []uint8     // empty means any
	DstPorts   *PortSet    // nil means any
	SrcPorts   *PortSet    // nil means any (amplification: reflector service ports)
	Threshold  Threshold
	Suppress   time.Duration // one alert per track key per period
	Severity   int           // 1 high … 4 low
	Category   string        // Suricata classification name
	Basis      geo.Basis
	Mitre      []string
	Action     Action
	List       *List // reputation: the address list
	ListSide   Side  // reputation: which endpoint must be listed
	// Unsolicited (flood, scan, sweep) counts only packets that start a
	// flow. For a flood: a SYN-ACK or RST no SYN from the destination asked
	// for (backscatter of spoofed SYNs sent to reflectors), unlike answers
	// to the destination's own connections. For a scan or sweep: a probe
	// that belongs to no known connection, such as the lone ACKs of an ACK
	// or Window scan (nmap -sA, -sW) or an ACK ping (nmap -PA).
	Unsolicited bool
	Pos         Pos // where the rule was defined
}

// Side names an endpoint.
type Side uint8

const (
	SideEither Side = iota
	SideSrc
	SideDst
)
