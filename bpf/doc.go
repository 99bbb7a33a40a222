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
// IPv4 uses a DIR-16-8-8 table: 65536 first-level entries indexed by the
// top 16 address bits, then 256-entry chunks for the next 8 and the last 8
// bits, allocated only where a range boundary falls inside a block. A
// lookup is one to three entry reads. A leaf holds the country id (bits
// 0-15) and the low 15 zone bits (bits 16-30, bit 16 = home); bit 31 marks
// a chunk pointer. IPv6 uses the same layout over the first 64 bits of the
// address (16 bits, then six levels of 8): ranges are split into prefixes,
// prefixes longer than /64 are widened to their /64 (the first range seen
// in a /64 wins), and the prefixes are painted from the shortest to the
// longest, which gives each /64 its longest-prefix match. A lookup is one
// to seven entry reads (five for an address in a /48 range). Memory grows with the number of range boundaries below
// /16 and how deep they fall (docs/performance.md has the figures).
//
// Each table is a sequence of 4 MiB pages (the largest array value the
// kernel takes; the first level starts page 0), each page a one-entry
// array map in a slot of one array-of-maps. The pages have a fixed size
// (no BPF_F_INNER_MAP), so the verifier inlines both lookups, the slot's
// and the page's: a walk makes no helper call. User space packs each
// first-level subtree into one page where it fits (first-fit decreasing;
// a larger subtree is split at its root), so a walk rarely changes page.
// A table has at most 512 pages (2 GiB). Padding to whole pages costs
// under a page per table.
//
// docs/performance.md has the measured cost per packet and of building the
// tables.
//
// The slots hold two generations of both geo tables; a one-entry array
// holds the tables' sequence number (how many were swapped in), read once
// per packet, whose low bit names the generation in use. A reload fills
// the other generation, page by page, increments the sequence number with
// one map update, waits for an RCU grace period (membarrier(MEMBARRIER_CMD_GLOBAL);
// every program run that read the old generation has ended) and then
// empties the old generation's slots. A packet sees the old or the new
// tables, never a mix; memory after a reload is that of the new tables.
// The listed and drop prefix tries are inner maps of one-slot
// array-of-maps, swapped with one map update. The per-country drop table
// is a plain array updated entry by entry.
//
// In front of the IPv6 table, each CPU keeps a cache of 4096 leaves
// (geo6_cache, a per-CPU array: 64 KiB a CPU), direct-mapped by a hash of
// an address's first 64 bits, all the table looks at. An entry holds those
// 64 bits, the leaf and the sequence number of the table that gave it, and
// answers only while that table is in use: a swap invalidates every entry
// at once. A hit is a read and a compare instead of a walk of up to seven
// levels; a miss (an address new to the CPU: a spoofed flood's sources)
// adds ~2 ns to the walk. IPv4 walks (one to three reads) are not cached:
// a cache read costs about as much.
//
// The per-source budget buckets fill by the coarse clock
// (bpf_ktime_get_coarse_ns: a tick's resolution, tokens arrive a tick's
// worth at a time at the configured rate). Records carry the precise clock
// (Options.PreciseTime, set by DefaultOptions); without it they carry the
// coarse one, the time of the last timer tick (1/CONFIG_HZ, 4 ms at 250 Hz),
// up to a tick before the packet's, ~20 ns less of a ~100 ns hand-off in a
// VM (capture.handoff.coarse_clock).
//
// # Settings and hand-off
//
// Options are volatile const globals, set in the CollectionSpec before
// loading. Counters are per-CPU arrays read by ReadCounters and Counters on
// the caller's timer. Records are a bw_record header (bpf2go -type) plus
// the first SnapLen bytes; a full ring buffer is a counted drop.
//
// Wake-ups are batched: a record is submitted with BPF_RB_NO_WAKEUP unless
// it takes the unread ring data (bpf_ringbuf_query BPF_RB_AVAIL_DATA) to
// Options.WakeBytes or past it, which forces one. A reader that keeps up
// is then not woken (an interrupt, a thread wake-up and an epoll_wait) for
// each record. ReadRecord never sleeps longer than Options.PollInterval
// while the ring is empty, so a record that woke nobody waits at most that
// long; it reads without sleeping while records are waiting.
//
// # Per-interface counters
//
// Attach gives each interface a slot (at most IfaceSlots, 64): user space
// writes ifindex → slot into an array indexed by ifindex (indexes below
// 4096, whose lookup the verifier inlines) or, for higher indexes, a small
// hash map, and the programs count, per slot and hook (XDP ingress, TC
// egress), packets, wire bytes, hand-offs (records submitted; byte reports
// are not counted), records lost to a full ring and enforcement drops, in
// a per-CPU array indexed by slot*2 + egress. A packet of an interface
// without a slot is counted only globally. Slots are never freed, so
// counters stay monotonic across detach and re-attach; an ifindex attached
// under another name (a rename, or the same index in another network
// namespace) is refused rather than merged. InterfaceCounters sums them by
// interface name.
//
// # Byte reports
//
// Past its first FlowPackets packets a boundary-crossing TCP flow hands off
// only packets with SYN, FIN, RST or odd flags, so user space would never see
// the bytes of an established flow. The flow's LRU entry therefore keeps, per
// direction, the IP bytes and packets counted but not handed off (packets
// handed off for any reason are not added: nothing is counted twice). When a
// direction's unreported bytes reach ReportBytes (256 KiB by default), the
// packet that crossed is not handed off but a byte report is: a record with
// ReasonBytes alone, rep_bytes and rep_packets in the header, and the
// packet's first SnapLen bytes, from which user space decodes the flow. A FIN
// or RST (looked up in the flows map, never creating an entry) flushes both
// directions: first its own, then the other with BW_F_REVERSE (the bytes
// flowed from the captured packet's destination to its source), then the
// FIN or RST itself. The counts are added atomically and taken with an
// exchange, so concurrent CPUs never report a byte twice; a report carries
// at most MaxReportBytes, the rest stays for the next. A report that finds
// the ring full puts its counts back, to be reported with the flow's next
// report, and is counted (Globals.ReportsFull; submitted reports in
// Globals.Reports). Bytes are lost only when an entry is evicted or a flow
// ends without FIN or RST: less than ReportBytes per flow direction.
// Dropped packets (enforcement) are not reported. UDP, ICMP and fragments
// have no byte reports: the per-source budget still bounds what user space
// sees of them. User space turns a report into one aggregate decode.Packet
// (capture.Frame.ReportPackets).
//
// # Flood sampling
//
// A spoofed flood gives every packet a fresh source, so neither the flow
// map nor the per-source budget limits what it hands off: unchecked, it
// fills the ring buffer and hides everything else from user space. The
// programs therefore count inbound SYN (without ACK), UDP and ICMP packets
// to a home host per (destination, class) in one-second windows, in a
// per-CPU array of slots (1024 rows by a hash of the destination, three
// classes, one set per hook, two candidate rows per destination; a row
// busy with another destination leaves the packet untracked,
// Globals.FloodCollisions; a row held by a destination of fewer than 16
// packets and no flood can be taken over, but not in its holder's first
// 1/16 s, so that two flooded hosts left one row do not reset it from each
// other at every packet), with a 256-bit bitmap of
// the window's sources. Past Options.FloodPPS packets in a window the
// destination is under flood: its packets of the class are handed off at
// most Options.FloodSamples times a second as samples (ReasonFloodSample),
// each carrying in rep_packets and rep_bytes its own and the packets kept
// back since the previous sample (Record.SamplePackets); the others stay in
// the kernel (Globals.FloodSuppressed). User space decodes a sample as an
// aggregate packet standing for all of them, so the flood rules count every
// packet while the ring carries a few hundred records a second; a sample
// lost to a full ring puts its count back (Globals.FloodSampleFull). Other
// destinations, other classes and established flows keep their hand-off.
// A packet forwarded between two monitored interfaces meets XDP ingress and
// then TC egress on the same CPU: at egress, a packet whose destination the
// CPU's ingress slot has under flood is neither counted again nor handed
// off (Globals.FloodForwarded). Objects.Floods sums the slots by
// destination and class.
//
// FloodSamples is each destination's ceiling; Options.FloodSamplesPPS
// bounds the samples of all destinations together, per CPU and one-second
// window (the flood_cap window, which counts them and the destinations
// sampled). A destination's first sample of its own window always goes
// up, so that every flooded host's count and one of its sources reach
// user space each second; its others take a fair share, one per
// H/FloodSamplesPPS seconds (H: the destinations sampled in the CPU's
// window or its previous one), within FloodSamplesPPS in the window. A
// sample refused is counted (Globals.FloodSampleBudget), its packet kept
// back and its count carried by the host's next sample; it is due again a
// FloodSamples gap later. A flood over H hosts so hands off at most
// FloodSamplesPPS + H samples a second per CPU (H at most the 1024 rows
// of a class and hook), spread over the hosts and the second, not
// FloodSamples * H.
//
// Sampling starts per destination, so a flood spread over many home hosts
// (carpet bombing), each below FloodPPS, would still hand off every packet:
// FloodPPS per host and CPU, a few hundred hosts filling the ring. A second
// bound, Options.FloodTotalPPS, caps the flood-class packets (as above, not
// samples, not listed, not dropped) that take the normal hand-off path per
// CPU and one-second window. Past it, such a packet goes up only when its
// source already holds a budget bucket with a token (SourceBudget and
// SourceBurst, SYNs included); a source without one gets a bucket and its
// packet stays in the kernel, as do the packets of a source out of tokens
// (Globals.FloodCapped), which past the cap stays blocked until it has
// sent no such packet for a second (a flood's reused sources get their
// burst once, not SourceBudget a second each); the egress copy of a packet capped at ingress,
// forwarded between monitored interfaces on the same CPU, finds its source
// known and is kept back as a forwarded copy (Globals.FloodForwarded; the
// CPU remembers its last capped (source, destination) pairs in 64 slots by
// hash). Each of a spoofed flood's one-packet sources is
// so kept back, while a scanner, from its second packet on (nmap's
// host-discovery probe comes first unless -Pn), and a brute force, whose
// connections' segments also go up as first packets of their flow, stay
// visible. A source's bucket lives in the LRU sources map: a flood of
// more fresh sources than it holds between two of a slow scanner's probes
// evicts the scanner, whose next probe is then taken for a new source's.
// The cap also follows the ring's fill (bpf_ringbuf_query): from a quarter
// full, every such packet is handled as past the cap, whatever the
// window's count.
//
// Every record submitted is counted under the one path of the hand-off
// policy that sent it up (Globals.Handoffs: listed, dropped, flood sample,
// past the cap on a budget token, flood class below the cap, fragment, TCP
// flags, first packets of a flow, a new source's or a known source's
// budget); the paths sum to Globals.Handoff.
//
// # Attaching
//
// XDP and TCX attach through BPF links owned by the process and not pinned,
// so a crash detaches them. A borderwatch XDP program attached through
// netlink without a link is stale and removed by Attach.
//
// TC egress follows Options.EgressMode: TCX (Linux 6.6+), clsact, or auto
// (the default: TCX, and clsact where link.AttachTCX reports
// ErrNotSupported). The clsact path uses raw rtnetlink: RTM_NEWQDISC of
// kind "clsact" (an existing clsact qdisc is used as it is), then
// RTM_NEWTFILTER of kind "bpf" on its egress, all protocols, priority 2829,
// handle 1, with TCA_BPF_FD, TCA_BPF_NAME "bw_tc_egress" and TCA_BPF_FLAGS
// direct-action. Detaching deletes that filter, and the qdisc only if
// Attach created it. Unlike a link, a filter outlives the process: after a
// crash it stays, and the next Attach fails naming it rather than delete a
// filter it cannot tell from a running sensor's (`tc filter del dev IFACE
// egress prio 2829` removes it). The rtnetlink socket is opened at attach
// time, so detaching works from any thread.
//
// The loader is Linux-only; building the tables (table.go) is portable and
// tested without root.
package bpf
