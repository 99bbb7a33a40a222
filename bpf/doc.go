// Package bpf is borderwatch's kernel stage: an XDP program on the ingress and
// a TC (TCX) program on the egress of each monitored interface.
//
// The programs parse every packet (Ethernet, VLAN/QinQ, IPv4, IPv6 with a
// bounded extension-header walk, TCP, UDP, ICMP, ICMPv6), look up the
// jurisdiction of both endpoints in kernel tables built from the geo table,
// count packets and bytes per (country, direction, interface direction,
// protocol) in per-CPU maps, and hand packets worth decoding to user space
// through a BPF ring buffer: boundary-crossing TCP packets with SYN, FIN, RST
// or odd flags, the first packets of each flow, UDP/ICMP under a per-source
// budget, and anything involving a listed address. Optional enforcement drops
// packets matching drop rules (a listed drop prefix or a dropped country at
// either end), counts them per rule slot, and still offers them to the ring
// buffer, whatever their direction, under the same flow and source budgets,
// so that user space raises the rule's alert.
//
// # Jurisdiction tables
//
// IPv4 uses a DIR-16-8-8 table in one array map: 65536 first-level entries
// indexed by the top 16 address bits, then 256-entry chunks for the next 8
// and the last 8 bits, allocated only where a range boundary falls inside a
// block. A lookup is one to three array reads. A leaf holds the country id
// (bits 0-15) and the low 15 zone bits (bits 16-30, bit 16 = home); bit 31
// marks a chunk pointer. IPv6 uses an LPM trie keyed on the first 64 bits of
// the address; ranges are split into prefixes and prefixes longer than /64
// are widened to their /64 (the first range seen in a /64 wins).
//
// Measured with BPF_PROG_TEST_RUN on a shared 2-core VM (load average ~9,
// so figures are noisy upper bounds) with 600k synthetic ranges (320k IPv4,
// 280k IPv6) loaded: a counted-only IPv4 packet 36 ns; IPv6 ~250 ns (two
// lookups in a 350k-prefix trie); a handed-off SYN with 256 bytes captured
// 290-400 ns with a 4 MiB ring, ~170 ns with a 256 KiB ring that stays in
// cache. Building and writing the tables takes ~1.6 s (IPv4 table 33 MiB:
// 33k chunks; writes go through a memory mapping of the array). The IPv4
// table is why a counted-only packet is cheap: an LPM trie of 300k prefixes
// costs ~90 ns per lookup, two per packet.
//
// Each table (IPv4, IPv6, listed prefixes, drop prefixes) is the inner map
// of a one-slot array-of-maps. A reload builds and fills a complete new
// inner map and then swaps it in with one map update, so a packet sees the
// old or the new table, never a half-written one. The per-country drop table
// is a plain array updated entry by entry.
//
// # Settings and hand-off
//
// Options are volatile const globals, set in the CollectionSpec before
// loading. Counters are per-CPU arrays read by ReadCounters and Counters on
// the caller's timer. Records are a bw_record header (bpf2go -type) plus
// the first SnapLen bytes; a full ring buffer is a counted drop.
//
// # Attaching
//
// XDP and TCX attach through BPF links owned by the process and not pinned,
// so a crash detaches them. A borderwatch XDP program attached through
// netlink without a link is stale and removed by Attach. TC egress needs
// TCX (Linux 6.6+); there is no netlink clsact fallback.
//
// The loader is Linux-only; [BuildV4] and [V4Table.Lookup], which build and
// mirror the IPv4 kernel table, are portable.
package bpf
