// Package flow keeps the bounded flow table of the sensor: one Entry per
// normalized (direction-independent) 5-tuple, with first/last seen, packets,
// bytes, transport payload bytes and TCP flags each way, which side
// initiated the flow and its state.
//
// A Table is owned by one worker and is not safe for concurrent use. Its
// memory is allocated once by New: Update allocates nothing.
//
// # Keys and ids
//
// The key orders the two endpoints so that both directions of a flow map to
// the same entry. ICMP and ICMPv6 flows are keyed by the addresses and the
// packet's SrcPort (the echo identifier, as decode fills it). Non-first IP
// fragments carry no ports: they are keyed with ports 0, so they form their
// own flow per address pair and protocol.
//
// ID returns a deterministic 64-bit hash of the key masked to 53 bits, so the
// same flow has the same id in every worker and process and JSON consumers
// keep every bit. The table does not store it: Entry.ID computes it from
// the key when an alert or record needs it, and the table's index uses a
// cheaper hash of the key (one round of mixing instead of five chained).
// CommunityID computes the Community ID v1 string; it
// allocates and is meant for alerts only.
//
// # Initiator and direction
//
// The initiator is the source of the first packet seen, except that a TCP
// flow whose first packet is a SYN-ACK was started by that packet's
// destination (the SYN was missed). Result.ToServer is true for packets from
// the initiator to the responder (EVE direction "to_server").
//
// # State and timeouts
//
// A flow is StateNew until both sides have sent a packet, then
// StateEstablished; a TCP flow is StateClosed after an RST or after a FIN from
// both sides. Each state has an idle timeout in capture time (defaults as
// Suricata's flow-timeouts: TCP new 60 s, established 600 s, closed 60 s;
// UDP, ICMP and other protocols new 30 s, established 300 s). An idle flow is
// removed by Expire, or replaced by a new flow when its key is seen again
// after the timeout. A SYN (without ACK) on a closed TCP flow starts a new
// flow on the same key (port reuse). When the table is full the least
// recently used flow is evicted and counted.
package flow
