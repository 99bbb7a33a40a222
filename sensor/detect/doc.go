// Package detect is the detection engine: it applies compiled rules
// (rules.Rule) to decoded packets and emits alerts.
//
// # Use
//
//	eng := detect.New(set.Rules, detect.Config{ShardIndex: i, ShardCount: n}, emit)
//	for each packet p:
//		res := flows.Update(p)              // sensor/flow
//		src, dst := tab.Lookup(p.Src), tab.Lookup(p.Dst)
//		eng.Process(p, res, &src, &dst)     // may call emit
//	eng.Advance(now)                      // when idle; Process calls it every second
//	eng.Flush()                           // end of a replay
//
// emit has the signature func(a *alert.Alert, src, dst *geo.Info). The engine
// fills what it knows: timestamp, flow id, Community ID, addresses, ports (or
// ICMP type and code), protocol, EVE direction (to_server/to_client from the
// flow table; to_server without one), geo direction, the rule's fields
// (action "allowed", gid 1, signature id, rev, signature, category, severity,
// kind, mitre), Stats (the episode's counts, under the EVE direction of the
// packet that fired) and Threshold. The Endpoint fields, the origin (Iface,
// PcapFile, Host) and the GeoIP database fields are left to the pipeline's
// enrich step, which gets src and dst.
//
// # Matching
//
// A packet matches a rule when every filter the rule sets passes: Protos;
// Directions (bit 1<<geo.DirectionOf(src, dst)); TCPFlags (any FlagMatch;
// applies to TCP packets only); ICMPTypes (ICMP and ICMPv6 packets only);
// DstPorts and SrcPorts (packets with ports, i.e. TCP, UDP and SCTP except
// non-first fragments; ICMP packets pass them only when the rule's Protos
// names ICMP explicitly); From and To with the rule's Basis. Then each kind
// adds its own condition (kindConds in kinds.go; the kind's static data,
// such as its default track and what it counts, is rules.KindSpec).
//
// The static filters are applied by dispatch, not per rule: New lists, for
// each protocol class, jurisdiction direction and TCP flags byte (ICMP
// type for ICMP and ICMPv6), the rules that admit it, a From or To of
// exactly "home" or "!home" on the location basis counting as a direction
// (geo.Expr.HomeTerm), so a packet visits only those rules. A rule that can
// match nothing (a From or To zone that covers no address, a reputation
// rule of an empty list: the default pack's "forbidden" zone and blocklist
// until they are defined) is in no list. A packet to a port outside the
// union of the rules' DstPorts skips the rules that have them at once. On
// the real-tool mix of issue 16 a packet of the default pack visits about
// 4.6 rules (it visited 23 before dispatch). Each other distinct zone
// expression of the rules is evaluated at most once per packet and side.
// The kinds' conditions:
//
//   - scan and sweep never count answers (to_client packets of a flow), nor
//     SYN-ACK or RST packets: backscatter is not probing. An unsolicited
//     scan or sweep counts only probes that start a flow, such as the lone
//     ACKs of an ACK or Window scan; an ACK of a known connection is none.
//   - bruteforce counts login attempts: TCP connections in which the
//     initiator sent data, counted at the initiator's first data segment of
//     a flow that began with its SYN (a connection that carries no data, such
//     as a port check or an unanswered SYN of a sweep, guesses no password;
//     any SYN without ACK when no flow is given); for other protocols, the
//     first packet of a new flow.
//   - amplification does not count answers to a flow the destination
//     started (solicited replies), nor packets of a flow the destination
//     has answered (clients of a service it runs; a reflection victim
//     never answers). Non-first UDP fragments, which have no
//     ports, count as packets and bytes for a victim when their source is
//     already one of the victim's counted reflectors in the current window
//     (they never add sources).
//   - reputation needs the rule's ListSide endpoint on rule.List.
//   - flood, when unsolicited, counts only packets that started their flow.
//   - an aggregate packet (decode.Packet.Aggregate: a kernel byte report in
//     XDP mode) never counts for scan, sweep, bruteforce or an unsolicited
//     flood; elsewhere it counts its Aggregate packets and its IPLen bytes.
//
// # Counting
//
// Every rule counts per track key (Threshold.Track; when 0, the kind's
// default, rules.Kind.DefaultTrack: pair for scan, reputation and policy;
// src for sweep, bruteforce and volume; dst for flood and amplification).
// Windows are
// tumbling, in capture time: a key's window starts at its first counted
// packet and restarts with the first packet Window or more after it. A zero
// Window is Config.DefaultWindow.
//
// A rule fires for a key when, within the window:
//
//   - Threshold.Distinct is set (or the kind counts distinct values by
//     default, rules.KindSpec.Counts: scan dst_port, sweep dst_ip): the
//     distinct values (ports, hosts, sources or IP protocol numbers) reach
//     Count;
//   - otherwise packets reach Count, or bytes reach Bytes (either);
//   - no Count and no Bytes: on every matching packet (reputation, policy);
//
// and, when MinSources is set, the key has seen that many distinct sources
// (MinSources is ignored by a rule whose Distinct counts ports or hosts).
// A reputation rule without a List never matches.
// Threshold.Observed is the value that crossed.
//
// # Episodes and suppression
//
// After firing, a key's counters restart and the key does not alert again
// before Suppress has passed (Config.DefaultSuppress when 0). A crossing in
// that period is a suppressed occurrence: it is counted, the counters restart,
// and the count is reported in Stats.Suppressed of the key's next alert. For
// rules without a threshold every suppressed matching packet is an
// occurrence. Stats.Packets, Bytes and FirstSeen cover the window that fired.
//
// # Endpoints of aggregate alerts
//
// An alert's addresses and ports are those of the packet that crossed the
// threshold: for a flood or an amplification the destination is the victim
// and the source is the last packet's source; for a scan the last probe.
//
// # Distinct counting and memory
//
// A rule's state starts empty and grows with the keys and values it sees,
// doubling up to its Limits (per rule, with per-rule overrides by id); a
// rule whose tables reached their limits allocates nothing more. RuleState
// and TotalState give the worst case (every table full), which CheckState
// bounds (DefaultMaxState by default). MaxKeys keys per rule in an open-addressing
// table with LRU eviction when full (a busy key is not relinked on every
// packet, only once a second of capture time, or an eighth of the window
// if shorter, or once a quarter of the table's capacity of other keys went
// to the front: a key touched at least once every 3/4 of the capacity's
// insertions is never evicted; and eviction passes over up to 8 keys whose
// alert is suppressed, so that a flood of one-packet keys, a spoofed
// flood, does not turn a scanner's one alert into one per table turn). A
// rule tracking sources or pairs that no single packet can fire keeps a
// doorkeeper (door.go): a key's first packet waits in a 4-way
// set-associative array (32 bytes a slot, up to MaxKeys slots) and the key
// gets a bucket at its second packet, the first counted into it; a spoofed
// flood's one-packet sources then take no bucket and evict none. The rules
// of an engine tracking the same key with the same idle time and MaxKeys
// share one door (up to 8): a first packet held for several of them takes
// one slot, and a packet looks its key up in one set, not one per rule. Distinct values held exactly, the
// first of a key's window in the key's bucket and the others in one table
// per rule shared by all its keys, MaxDistinct values in all and at most
// MaxDistinctPerKey per key (raised to the rule's Count or MinSources). For
// distinct sources (flood, amplification, MinSources) a key that reaches
// its cap records the sources it has not recorded exactly in a 256-register
// HyperLogLog (about 6.5% standard error): the count is then the exact
// values plus that estimate, and a key that never reaches its cap never
// touches its registers. Top source countries (flood and amplification, top
// 5 in the alert) are counted exactly, per country (fewer than 256 known
// codes: a 1 KiB array), for up to 64 keys of a rule at once (countries.go);
// a key that starts its window while all 64 are in use counts with the
// space-saving algorithm over 8 counters: exact for up to 8 countries,
// otherwise each count over-estimated by at most the window's packets / 8. Keys idle for longer than their
// window plus their suppression period are dropped by Advance, at most the
// LRU grain late (suppressed occurrences not yet reported are then counted
// as SuppressedUnreported). Evicted keys, expired keys and values that
// could not be recorded are counted in Stats.
//
// # Sharding
//
// With Config.ShardCount n > 1, an engine counts only the keys it owns: a key
// tracked by src or pair is owned by Shard(src, n), by dst by Shard(dst, n),
// and a flow key by the shard of the flow's lower endpoint (flow.Key A), so
// both directions of a flow reach the same shard. The pipeline sends each
// packet to the engines of Shard(src, n) and Shard(dst, n), once when they
// are the same; the union of the shards' alerts is then the alerts of one
// unsharded engine.
//
// Process, Advance, Flush and Stats must be called from one goroutine.
// Process allocates nothing unless it emits an alert.
package detect
