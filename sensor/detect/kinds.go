package detect

import (
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// kindCond is a kind's own condition on a packet that passed the rule's
// filters (byClass and matchRest). The kind's static data (defaults, what it counts,
// alert stats) is rules.KindSpec; this table holds the one thing the engine
// adds per kind. TestKindConds checks that every kind has an entry.
type kindCond func(rs *ruleState, p *decode.Packet, f flow.Result) bool

var kindConds = [rules.NumKinds]kindCond{
	rules.KindScan:          probeCond,
	rules.KindSweep:         probeCond,
	rules.KindFlood:         floodCond,
	rules.KindBruteforce:    bruteforceCond,
	rules.KindAmplification: amplificationCond,
	rules.KindReputation:    reputationCond,
	rules.KindPolicy:        anyPacket,
	rules.KindVolume:        anyPacket,
}

// condOf returns the condition of kind k; a value that is not a kind
// matches nothing.
func condOf(k rules.Kind) kindCond {
	if int(k) < len(kindConds) && kindConds[k] != nil {
		return kindConds[k]
	}
	return noPacket
}

func anyPacket(*ruleState, *decode.Packet, flow.Result) bool { return true }

func noPacket(*ruleState, *decode.Packet, flow.Result) bool { return false }

// isReply reports an answer: a packet of a known flow going to its
// initiator.
func isReply(f flow.Result) bool { return f.Entry != nil && !f.ToServer }

// probeCond (scan, sweep) counts probes: never answers, SYN-ACK or RST
// backscatter, nor kernel byte reports (established traffic). An
// unsolicited rule counts only probes that start a flow, such as the lone
// ACKs of an ACK or Window scan: an ACK of a known connection is none.
func probeCond(rs *ruleState, p *decode.Packet, f flow.Result) bool {
	if p.Aggregate != 0 || isReply(f) {
		return false
	}
	if p.Proto == decode.ProtoTCP && (p.TCPFlags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN|decode.FlagACK || p.TCPFlags&decode.FlagRST != 0) {
		return false
	}
	return !rs.r.Unsolicited || f.Entry == nil || f.IsNew
}

// floodCond: an unsolicited flood counts only packets that started their
// flow (never a kernel byte report).
func floodCond(rs *ruleState, p *decode.Packet, f flow.Result) bool {
	return !rs.r.Unsolicited || (p.Aggregate == 0 && f.Entry != nil && f.IsNew)
}

// bruteforceCond counts login attempts. TCP: a connection whose initiator
// sends data, counted at its first data segment (a connection that carries
// no data, a port check or an unanswered SYN of a sweep, guesses no
// password); without a flow table every connection request. Other
// protocols: the first packet of a new flow from its initiator.
func bruteforceCond(_ *ruleState, p *decode.Packet, f flow.Result) bool {
	if p.Aggregate != 0 {
		return false
	}
	if p.Proto != decode.ProtoTCP {
		return f.Entry != nil && f.IsNew && f.ToServer
	}
	if f.Entry == nil {
		return p.TCPFlags&(decode.FlagSYN|decode.FlagACK|decode.FlagRST) == decode.FlagSYN
	}
	e := f.Entry
	return f.ToServer && e.InitiatorSYN && p.PayloadLen != 0 && e.Payload[0] == uint64(p.PayloadLen)
}

// amplificationCond counts unsolicited, unanswered datagrams: answers to a
// query the destination sent are solicited, and a flow the destination
// answers is a client talking to a service it runs (a home VPN or game
// server's clients), not reflection, whose victim never answers (at most
// with ICMP errors, another flow). A flow's first packet counts before its
// answer can be seen.
func amplificationCond(_ *ruleState, _ *decode.Packet, f flow.Result) bool {
	return f.Entry == nil || (f.ToServer && f.Entry.Packets[1] == 0)
}

// reputationCond needs the rule's ListSide endpoint on its list; neighbour
// discovery is link-local housekeeping, never traffic with a listed host.
func reputationCond(rs *ruleState, p *decode.Packet, _ flow.Result) bool {
	r := rs.r
	if r.List == nil || isNeighborDiscovery(p) {
		return false
	}
	switch r.ListSide {
	case rules.SideSrc:
		return r.List.Contains(p.Src)
	case rules.SideDst:
		return r.List.Contains(p.Dst)
	}
	return r.List.Contains(p.Src) || r.List.Contains(p.Dst)
}
