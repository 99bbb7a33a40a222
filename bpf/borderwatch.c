//go:build ignore

// borderwatch kernel stage: XDP on ingress and TC (TCX) on egress.
//
// Every packet is parsed (Ethernet, up to two VLAN tags, IPv4, IPv6 with a
// bounded extension-header walk, TCP, UDP, ICMP, ICMPv6), both endpoints are
// classified by jurisdiction through the geo tables, the packet is counted per
// (country, direction, interface direction, protocol), and packets worth
// decoding are handed to user space through a ring buffer as a fixed header
// plus the first snap_len bytes.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Limits shared with the Go loader. */
#define BW_SNAP_MAX 1024
#define BW_COUNTRY_SLOTS 1024
#define BW_RULE_SLOTS 1024
#define BW_V4_L1 65536 /* first-level entries of both geo tables */
#define BW_V6_LEVELS 6 /* 256-entry chunk levels below the IPv6 first level */
#define BW_MAX_VLAN 2
#define BW_MAX_V6_EXT 6
#define BW_REPORT_MAX (1u << 30) /* bytes in one byte report */
#define BW_IFACE_SLOTS 64	 /* interfaces with their own counters */
#define BW_IFACE_LOW 4096	 /* interface indexes below this: iface_low */
#define BW_FLOOD_ROW_BITS 10	 /* 1024 destination rows of the floods array */
#define BW_FLOOD_WINDOW 1000000000ull
#define BW_FLOOD_KEEP 16 /* packets that make a flood slot its holder's */
#define BW_FLOOD_HOLD (BW_FLOOD_WINDOW / 16) /* ns a slot stays its new holder's */
#define BW_CAP_RECENT 64 /* capped packets remembered for their egress copy */
#define BW_BUCKET_BLOCKED (1ull << 63) /* bw_bucket.tokens: blocked past the cap */

/* Geo leaf layout (entries of the IPv4 and IPv6 tables):
 * bit 31 set: pointer to a 256-entry chunk, bits 0..30 are the chunk index;
 * otherwise bits 0..15 country id, bits 16..30 the low 15 zone bits
 * (bit 16 = zone 0 = home). */
#define BW_LEAF_PTR 0x80000000u
#define BW_LEAF_HOME 0x00010000u

/* Settings, set through the CollectionSpec before loading. */
volatile const __u8 home_mode = 0; /* enum bw_home_mode */
volatile const __u8 handoff_all = 0;
volatile const __u8 enforce = 0;
volatile const __u32 snap_len = 160;
volatile const __u32 flow_packets = 8;
volatile const __u32 source_budget = 100; /* tokens per second per source */
volatile const __u32 source_burst = 100;  /* bucket size */
/* Unreported IP bytes of a flow direction that trigger a byte report; 0: no
 * byte reports. At most BW_REPORT_MAX. */
volatile const __u32 report_bytes = 256 << 10;
/* Unread ring bytes at which a record wakes the reader; below, records are
 * submitted without a wake-up and user space polls for them. 0: the
 * kernel's default, a wake-up for each record that finds the reader caught
 * up. */
volatile const __u32 wake_bytes = 0;
/* The records ring's size in bytes (its max_entries, set by the loader
 * with it): ring_fill's divisor without a bpf_ringbuf_query call. */
volatile const __u32 ring_bytes = 4 << 20;
/* Flood sampling. Inbound SYN (without ACK), UDP and ICMP packets to a home
 * host are counted per (destination, class) and CPU in one-second windows.
 * Past flood_pps packets in a window the destination is under flood for
 * that class: its packets of the class are handed off at most flood_samples
 * times per second, each sample carrying the count (and IP bytes) of the
 * packets not handed off since the previous one; the rest are counted and
 * kept in the kernel. A window that passed flood_pps starts the next one
 * under flood, for as long as each window passes it. 0: no flood
 * tracking. */
volatile const __u32 flood_pps = 1000;
volatile const __u32 flood_samples = 100;
/* Total of flood samples per CPU and second, over all the destinations
 * under flood (flood_samples stays each one's ceiling). A destination's
 * first sample of its window always goes up, so that every flooded host's
 * count and a source of it reach user space each second; its others take
 * a fair share, one per H/flood_samples_pps seconds (H: the destinations
 * sampled in this window of the CPU or the previous one), within
 * flood_samples_pps in the window. A sample refused is counted
 * (BW_G_FLOOD_SAMPLE_BUDGET) and its packet kept back, its count carried
 * by the destination's next sample. A flood spread over H hosts so hands
 * off at most flood_samples_pps + H samples a second per CPU (H at most
 * the floods array's rows per class and hook, 1024), evenly over the
 * hosts and the second, not flood_samples * H. 0: no total. */
volatile const __u32 flood_samples_pps = 200;
/* Global cap on flood-class hand-offs, per CPU and one-second window. A
 * flood-class packet (as above: inbound SYN without ACK, UDP or ICMP to a
 * home host, not listed, not dropped) that takes the normal hand-off path
 * counts towards it; past flood_total_pps of them in a window, such a
 * packet goes up only when its source already holds a budget bucket with
 * a token left (a scanner or a brute force after its first packet); a
 * source without a bucket gets one and its packet stays in the kernel, as
 * does a source out of tokens (counted BW_G_FLOOD_CAPPED), blocked then
 * until a second without such packets. A flood spread over many home
 * hosts from spoofed sources, each below flood_pps, is so held to
 * flood_total_pps hand-offs a second per CPU, and past the cap whatever
 * the count while the ring is a quarter full or more. The egress copy of a
 * packet capped at ingress (forwarded between monitored interfaces) is kept
 * back too (BW_G_FLOOD_FORWARDED), its source known by then. Samples,
 * listed and established-flow packets are never capped. 0: no cap. */
volatile const __u32 flood_total_pps = 1000;
/* Record timestamps: 0 the coarse monotonic clock (bpf_ktime_get_coarse_ns:
 * the last timer tick, 1/CONFIG_HZ resolution, 4 ms at 250 Hz; a memory
 * read), 1 the precise one (bpf_ktime_get_ns: ~20 ns of every hand-off in
 * a VM). Both count CLOCK_MONOTONIC. */
volatile const __u8 precise_ts = 0;
/* Benchmarks only: handle stops after this many of its steps (0: all), to
 * time each step as a difference; a load-time constant, so the verifier
 * removes the checks of the programs the sensor loads. */
volatile const __u32 bench_steps = 0;
/* Benchmarks only: 1 makes every geo6_cache lookup miss, to time a miss. */
volatile const __u8 bench_geo6_miss = 0;

enum bw_home_mode {
	BW_HOME_ZONE = 0,    /* the home bit of the geo table */
	BW_HOME_UNKNOWN = 1, /* also addresses the table does not know */
};

/* Jurisdiction direction; values equal geo.Direction. */
enum bw_direction {
	BW_DIR_TRANSIT = 0,
	BW_DIR_INBOUND = 1,
	BW_DIR_OUTBOUND = 2,
	BW_DIR_INTERNAL = 3,
};

enum bw_proto_class {
	BW_PROTO_TCP = 0,
	BW_PROTO_UDP = 1,
	BW_PROTO_ICMP = 2, /* ICMP and ICMPv6 */
	BW_PROTO_OTHER = 3,
};

/* Reasons a packet was handed to user space (bits of bw_record.reasons). */
enum bw_reason {
	BW_REASON_ALL = 1 << 0,	       /* handoff_all is set */
	BW_REASON_LISTED_SRC = 1 << 1, /* source in the listed map */
	BW_REASON_LISTED_DST = 1 << 2, /* destination in the listed map */
	BW_REASON_TCP_FLAGS = 1 << 3,  /* SYN, FIN, RST or an odd combination */
	BW_REASON_FLOW_FIRST = 1 << 4, /* among the first flow_packets of its flow */
	BW_REASON_BUDGET = 1 << 5,     /* UDP/ICMP/other within the source budget */
	BW_REASON_DROPPED = 1 << 6,    /* enforcement dropped the packet */
	BW_REASON_FRAGMENT = 1 << 7,   /* a non-first fragment (no L4 header) */
	/* A byte report, not a packet: rep_packets packets and rep_bytes IP
	 * bytes of the captured packet's flow (the opposite direction with
	 * BW_F_REVERSE), counted but not handed off. */
	BW_REASON_BYTES = 1 << 8,
	/* A flood sample: the packet stands for rep_packets packets and
	 * rep_bytes IP bytes of its flood class to its destination (itself
	 * and those not handed off since the class's previous sample). */
	BW_REASON_FLOOD_SAMPLE = 1 << 9,
};

/* Flood classes of inbound packets to a home host. */
enum bw_flood_class {
	BW_FLOOD_SYN = 0, /* TCP SYN without ACK */
	BW_FLOOD_UDP = 1,
	BW_FLOOD_ICMP = 2, /* ICMP and ICMPv6 */
	BW_FLOOD_CLASSES = 3,
};

/* Indexes of the global per-CPU counters. */
enum bw_global {
	BW_G_PACKETS = 0,    /* packets seen */
	BW_G_BYTES,	     /* bytes seen (wire length) */
	/* records submitted: the sum of the BW_G_HO_* paths, below */
	BW_G_RINGBUF_FULL,   /* records lost: ring buffer full */
	BW_G_BUDGET_DROP,    /* hand-offs refused by the per-source budget */
	BW_G_NON_IP,	     /* neither IPv4 nor IPv6 */
	BW_G_FRAGMENT,	     /* non-first fragments */
	BW_G_ENFORCE_DROP,   /* packets dropped by enforcement */
	BW_G_ERR_ETH,	     /* truncated Ethernet header */
	BW_G_ERR_VLAN,	     /* truncated VLAN tag */
	BW_G_ERR_VLAN_DEPTH, /* more than two VLAN tags */
	BW_G_ERR_IPV4,	     /* truncated IPv4 header */
	BW_G_ERR_IPV4_HDR,   /* bad IPv4 version or header length */
	BW_G_ERR_IPV6,	     /* truncated IPv6 header */
	BW_G_ERR_IPV6_EXT,   /* truncated or too long extension chain */
	BW_G_ERR_L4,	     /* truncated TCP/UDP/ICMP header */
	BW_G_REPORTS,	     /* byte reports submitted */
	BW_G_REPORT_FULL,    /* byte reports deferred: ring buffer full */
	BW_G_FLOOD_SAMPLED,  /* flood samples submitted */
	BW_G_FLOOD_SUPPRESSED, /* flood packets kept in the kernel, carried by a sample */
	BW_G_FLOOD_COLLISION,  /* flood packets untracked: slot held by another host */
	BW_G_FLOOD_SAMPLE_FULL, /* flood samples lost to a full ring (count kept) */
	BW_G_FLOOD_FORWARDED,	/* egress copies of flood packets counted at ingress */
	BW_G_FLOOD_CAPPED,	/* flood-class packets kept in the kernel by flood_total_pps */
	BW_G_FLOOD_SAMPLE_BUDGET, /* flood samples refused by flood_samples_pps (packet kept) */
	/* Records submitted, by the path of handoff_decide that sent each
	 * up (one per record; their sum is the records submitted). */
	BW_G_HO_LISTED,	    /* a listed endpoint, or handoff_all */
	BW_G_HO_DROPPED,    /* enforcement dropped it */
	BW_G_HO_FLOOD_SAMPLE, /* a sample of a destination under flood */
	BW_G_HO_CAP_BUDGET, /* flood class past the cap: a known source's token */
	BW_G_HO_BELOW_CAP,  /* flood class on the normal path, below the cap */
	BW_G_HO_FRAGMENT,   /* a non-first fragment within its source's budget */
	BW_G_HO_TCP_FLAGS,  /* SYN, FIN, RST or odd flags */
	BW_G_HO_FLOW_FIRST, /* among the first flow_packets of its flow */
	BW_G_HO_BUDGET_NEW, /* UDP/ICMP/other: a new source's first packet */
	BW_G_HO_BUDGET,	    /* UDP/ICMP/other: a known source's token */
	BW_G_MAX,
};

/* Ring-buffer record header; the captured bytes follow it. */
struct bw_record {
	__u64 ts_ns;	/* CLOCK_MONOTONIC: coarse, or precise with precise_ts */
	__u32 ifindex;	/* interface the program runs on */
	__u32 wire_len; /* packet length on the wire */
	__u32 reasons;	/* enum bw_reason bits */
	__u16 cap_len;	/* bytes following the header */
	__u16 src_country;
	__u16 dst_country;
	__u16 src_zones; /* low 15 zone bits; bit 0 = home */
	__u16 dst_zones;
	__u8 flags;	   /* enum bw_record_flag bits */
	__u8 dir;	   /* enum bw_direction */
	__u32 rep_bytes;   /* byte report: IP bytes reported */
	__u32 rep_packets; /* byte report: packets reported */
};

enum bw_record_flag {
	BW_F_EGRESS = 1 << 0,
	BW_F_SRC_HOME = 1 << 1,
	BW_F_DST_HOME = 1 << 2,
	BW_F_IPV6 = 1 << 3,
	BW_F_REVERSE = 1 << 4, /* byte report: the bytes flowed dst to src */
};

/* Per-(country, direction, interface direction, protocol) counter. */
struct bw_count {
	__u64 packets;
	__u64 bytes;
};

/* Per-(interface slot, hook) counters: index slot * 2 + egress. */
struct bw_iface_count {
	__u64 packets;
	__u64 bytes;	    /* wire length */
	__u64 handoff;	    /* records submitted (byte reports not included) */
	__u64 ringbuf_full; /* records lost: ring buffer full */
	__u64 enforce_drop; /* packets dropped by enforcement */
};

/* Key of the listed and drop tries; IPv4 as IPv4-mapped IPv6. */
struct bw_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct bw_flow_key {
	__u32 a[4];
	__u32 b[4];
	__u16 aport;
	__u16 bport;
	__u8 proto;
	__u8 pad[3];
};

/* A TCP flow of the flows map. bytes and packets are the unreported traffic
 * of each direction ([0]: a to b): packets counted and not handed off, until
 * a byte report takes them. */
struct bw_flow {
	__u64 bytes[2];
	__u64 packets[2];
	__u32 handed; /* packets handed off as the first of the flow */
	__u32 pad;
};

/* A (destination, flood class) slot of the floods array, per CPU. */
struct bw_flood {
	__u32 addr[4];	     /* destination; IPv4 as IPv4-mapped IPv6 */
	__u64 win_start;     /* coarse ns; 0: slot unused */
	__u64 win_packets;   /* packets of the current window */
	__u64 last_sample;   /* coarse ns of the last sample */
	__u64 last_refused;  /* coarse ns of the last sample refused by the total */
	__u64 pending;	     /* packets not handed off since the last sample */
	__u64 pending_bytes; /* their IP bytes */
	__u64 packets;	     /* packets since the slot was taken */
	__u64 bytes;	     /* their IP bytes */
	__u64 sampled;	     /* samples handed off */
	__u64 suppressed;    /* packets kept in the kernel */
	__u64 flooded;	     /* windows that passed flood_pps */
	__u64 srcs[4];	     /* sources of the current window: 256-bit bitmap */
	__u64 prev_srcs[4];  /* sources of the previous window */
	__u32 class;	     /* enum bw_flood_class */
	__u32 carried;	     /* 1: the previous window was flooded, and this
			      * one starts in sampled mode */
	__u32 win_samples;   /* samples of the current window */
	__u32 pad;
};

/* The per-CPU window of the flood_total_pps cap and of the
 * flood_samples_pps total. */
struct bw_cap {
	__u64 win_start; /* coarse ns */
	__u64 handed;	 /* flood-class hand-offs of the window */
	__u64 samples;	 /* flood samples of the window */
	__u32 hosts;	 /* destinations given their window's first sample */
	__u32 prev_hosts; /* hosts of the previous window (0: not adjacent) */
	/* (source, destination) hashes of packets capped at ingress, by
	 * their low bits: the egress copy of one of them (the host forwards
	 * it between monitored interfaces, on the same CPU) finds its source
	 * known by then, and is kept back as a forwarded copy. */
	__u32 recent[BW_CAP_RECENT];
};

struct bw_bucket {
	__u64 last_ns;
	__u64 tokens; /* scaled by 1e9: tokens * NSEC; top bit BW_BUCKET_BLOCKED */
};

/* Anything that matches the generated Go types must be referenced. */
const struct bw_record *unused_record __attribute__((unused));
const enum bw_reason *unused_reason __attribute__((unused));
const enum bw_global *unused_global __attribute__((unused));
const enum bw_record_flag *unused_flag __attribute__((unused));
const enum bw_direction *unused_dir __attribute__((unused));
const enum bw_proto_class *unused_proto __attribute__((unused));
const enum bw_home_mode *unused_home __attribute__((unused));
const struct bw_iface_count *unused_iface_count __attribute__((unused));
const struct bw_flood *unused_flood __attribute__((unused));
const enum bw_flood_class *unused_flood_class __attribute__((unused));

/* ---- maps ---- */

/* The prefix tries user space replaces on reload are inner maps of one-slot
 * ARRAY_OF_MAPS outer maps: user space builds and fills a new inner map,
 * then swaps it in with a single update of slot 0 (the geo tables, below,
 * have two generations of pages instead). A program run sees either
 * the old or the new table, never a half-filled one. An empty slot means
 * "no table": lookups find nothing. The *_template maps only give the
 * inner maps their type (clang emits the key types incompletely without
 * an instance); user space sizes each new trie itself, while a geo page
 * keeps its template's size. */

/* A geo table is a sequence of pages of BW_GEO_PAGE entries (4 MiB, the
 * largest array value the kernel allows), each page a one-entry array map
 * held in a slot of the geo array-of-maps. Inner maps of a fixed size
 * (no BPF_F_INNER_MAP) let the verifier inline both lookups, the slot's
 * and the page's: a page costs a few instructions, no helper call. Entry i
 * of a table is entry i % BW_GEO_PAGE of its page i / BW_GEO_PAGE; page 0
 * starts with the first level, and user space places each first-level
 * subtree in one page where it fits, so a walk rarely changes page.
 *
 * Slots: ((gen * 2 + family) * BW_GEO_PAGES) + page, family 0 for IPv4,
 * 1 for IPv6. A program reads geo_gen once per packet and uses the
 * generation of its low bit. User space fills the other generation's
 * slots, increments geo_gen (which also invalidates geo6_cache), waits for an RCU grace period (no program still uses the
 * old generation) and then empties the old slots. A packet sees the old or
 * the new tables, never a mix; an empty slot means "no page": the walk
 * finds nothing (country 0). */
#define BW_GEO_PAGE_SHIFT 20
#define BW_GEO_PAGE (1u << BW_GEO_PAGE_SHIFT)
#define BW_GEO_PAGES 512 /* pages per table: 2 GiB */

struct geo_page {
	__u32 e[BW_GEO_PAGE];
};

struct geo_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct geo_page);
	__uint(max_entries, 1);
} geo_template SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2 * 2 * BW_GEO_PAGES);
	__type(key, __u32);
	__array(values, struct geo_inner);
} geo SEC(".maps");

/* The table sequence number: how many tables user space swapped in; its
 * low bit is the generation in use. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} geo_gen SEC(".maps");

/* Per-CPU cache of IPv6 leaves in front of the IPv6 table, direct-mapped by
 * a hash of the address's first 64 bits (all the table looks at). An entry
 * answers for the table of sequence number seq only, so a swapped table
 * invalidates every entry; the zeroed entries answer leaf 0 for ::/64
 * under sequence 0, which is the empty table's answer. An array: its
 * lookup is inlined. A hit is one read and a compare instead of a walk of
 * up to seven levels (~7 ns an address); a miss adds the compare and the
 * store to the walk. */
#define BW_GEO6_CACHE_BITS 12

struct bw_geo6_cached {
	__u64 prefix; /* first 64 bits of the address, host order */
	__u32 seq;    /* geo_gen of the table that answered */
	__u32 leaf;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << BW_GEO6_CACHE_BITS);
	__type(key, __u32);
	__type(value, struct bw_geo6_cached);
} geo6_cache SEC(".maps");

/* listed and drop tries: value is a list id / rule slot. */
struct lpm_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bw_lpm_key);
	__type(value, __u32);
	__uint(max_entries, 1);
} lpm_template SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct lpm_inner);
} listed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct lpm_inner);
} drop_prefixes SEC(".maps");

/* Per-country drop table: rule slot + 1, 0 = not dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BW_COUNTRY_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} drop_countries SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_RULE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} rule_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_COUNTRY_SLOTS * 4 * 2 * 4);
	__type(key, __u32);
	__type(value, struct bw_count);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_G_MAX);
	__type(key, __u32);
	__type(value, __u64);
} globals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct bw_flow_key);
	__type(value, struct bw_flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct bw_lpm_key);
	__type(value, struct bw_bucket);
} sources SEC(".maps");

/* Flood tracking, per CPU: row hash(destination) holds one slot per flood
 * class, for each hook (ingress rows first, then egress). A row belongs to
 * one destination at a time; another takes it over once it has been idle
 * two windows, and until then its packets are not tracked (counted as
 * collisions) and take the normal hand-off path. An array, not a hash: its
 * lookup is inlined, no helper call. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, (1 << BW_FLOOD_ROW_BITS) * BW_FLOOD_CLASSES * 2);
	__type(key, __u32);
	__type(value, struct bw_flood);
} floods SEC(".maps");

/* The flood_total_pps window, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_cap);
} flood_cap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} records SEC(".maps");

/* Interface slots: ifindex -> slot (0..BW_IFACE_SLOTS-1), filled by user
 * space when it attaches to an interface. Packets of an interface without
 * a slot are counted only globally. Indexes below BW_IFACE_LOW (all of them
 * on most hosts) are in iface_low, an array holding slot+1 (0: none) whose
 * lookup the verifier inlines; a hash lookup, a helper call, cost ~10 ns of
 * every packet. Higher indexes are in iface_slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BW_IFACE_LOW);
	__type(key, __u32);
	__type(value, __u32);
} iface_low SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_IFACE_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} iface_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_IFACE_SLOTS * 2);
	__type(key, __u32);
	__type(value, struct bw_iface_count);
} iface_counts SEC(".maps");

/* ---- parsing ---- */

struct pkt {
	__u32 src[4]; /* IPv4 as IPv4-mapped IPv6, network order */
	__u32 dst[4];
	__u16 sport; /* host order; ICMP: type and code */
	__u16 dport;
	__u8 l4proto;
	__u8 tcp_flags;
	__u8 ipv6;
	__u8 fragment; /* non-first fragment: no L4 header */
	__u32 ip_len;  /* IP header + payload, from the IP header */
};

static __always_inline void count_global(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&globals, &idx);
	if (v)
		*v += n;
}

/* iface_count returns the counters of the interface and hook, or 0 when the
 * interface has no slot. */
static __always_inline struct bw_iface_count *iface_count(__u32 ifindex, int egress)
{
	__u32 idx;
	if (ifindex < BW_IFACE_LOW) {
		__u32 *low = bpf_map_lookup_elem(&iface_low, &ifindex);
		if (!low || *low == 0)
			return 0;
		idx = (*low - 1) * 2 + (egress ? 1 : 0);
	} else {
		__u32 *slot = bpf_map_lookup_elem(&iface_slots, &ifindex);
		if (!slot)
			return 0;
		idx = *slot * 2 + (egress ? 1 : 0);
	}
	return bpf_map_lookup_elem(&iface_counts, &idx);
}

struct vlan_hdr_ {
	__be16 tci;
	__be16 proto;
};

/* parse fills p; it returns 0 or the index of the global error counter
 * (BW_G_NON_IP for non-IP traffic). */
static __always_inline int parse(void *data, void *data_end, struct pkt *p)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return BW_G_ERR_ETH;
	__u16 proto = eth->h_proto;
	void *cur = eth + 1;

#pragma unroll
	for (int i = 0; i < BW_MAX_VLAN + 1; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD) &&
		    proto != bpf_htons(0x9100))
			break;
		if (i == BW_MAX_VLAN)
			return BW_G_ERR_VLAN_DEPTH;
		struct vlan_hdr_ *vh = cur;
		if ((void *)(vh + 1) > data_end)
			return BW_G_ERR_VLAN;
		proto = vh->proto;
		cur = vh + 1;
	}

	__u8 nexthdr;
	if (proto == bpf_htons(ETH_P_IP)) {
		__u8 *ip = cur;
		if (cur + 20 > data_end)
			return BW_G_ERR_IPV4;
		__u8 vihl = ip[0];
		__u32 ihl = (vihl & 0xf) * 4;
		if ((vihl >> 4) != 4 || ihl < 20)
			return BW_G_ERR_IPV4_HDR;
		if (cur + ihl > data_end)
			return BW_G_ERR_IPV4;
		p->src[2] = bpf_htonl(0xffff);
		p->dst[2] = bpf_htonl(0xffff);
		p->src[3] = *(__u32 *)(ip + 12);
		p->dst[3] = *(__u32 *)(ip + 16);
		p->ip_len = bpf_ntohs(*(__u16 *)(ip + 2));
		nexthdr = ip[9];
		__u16 frag = bpf_ntohs(*(__u16 *)(ip + 6));
		if (frag & 0x1fff)
			p->fragment = 1;
		cur += ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		__u8 *ip6 = cur;
		if (cur + 40 > data_end)
			return BW_G_ERR_IPV6;
		p->ipv6 = 1;
		p->ip_len = 40 + bpf_ntohs(*(__u16 *)(ip6 + 4));
		__builtin_memcpy(p->src, ip6 + 8, 16);
		__builtin_memcpy(p->dst, ip6 + 24, 16);
		nexthdr = ip6[6];
		cur += 40;
		for (int i = 0; i < BW_MAX_V6_EXT + 1; i++) {
			if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
			    nexthdr != IPPROTO_DSTOPTS && nexthdr != IPPROTO_FRAGMENT &&
			    nexthdr != IPPROTO_AH && nexthdr != 135 /* mobility */)
				break;
			if (i == BW_MAX_V6_EXT)
				return BW_G_ERR_IPV6_EXT;
			__u8 *ext = cur;
			if (cur + 8 > data_end)
				return BW_G_ERR_IPV6_EXT;
			__u32 len;
			if (nexthdr == IPPROTO_FRAGMENT) {
				len = 8;
				if (bpf_ntohs(*(__u16 *)(ext + 2)) & 0xfff8)
					p->fragment = 1;
			} else if (nexthdr == IPPROTO_AH) {
				len = ((__u32)ext[1] + 2) * 4;
			} else {
				len = ((__u32)ext[1] + 1) * 8;
			}
			nexthdr = ext[0];
			cur += len;
			if (p->fragment)
				break;
		}
	} else {
		return BW_G_NON_IP;
	}

	p->l4proto = nexthdr;
	if (p->fragment)
		return 0;
	switch (nexthdr) {
	case IPPROTO_TCP: {
		__u8 *th = cur;
		if (cur + 20 > data_end)
			return BW_G_ERR_L4;
		p->sport = bpf_ntohs(*(__u16 *)th);
		p->dport = bpf_ntohs(*(__u16 *)(th + 2));
		p->tcp_flags = th[13];
		break;
	}
	case IPPROTO_UDP: {
		__u8 *uh = cur;
		if (cur + 8 > data_end)
			return BW_G_ERR_L4;
		p->sport = bpf_ntohs(*(__u16 *)uh);
		p->dport = bpf_ntohs(*(__u16 *)(uh + 2));
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *ih = cur;
		if (cur + 4 > data_end)
			return BW_G_ERR_L4;
		p->sport = ih[0];
		p->dport = ih[1];
		break;
	}
	}
	return 0;
}

/* ---- jurisdiction ---- */

/* geo_page returns page n of the table whose slots start at base, or 0. */
static __always_inline struct geo_page *geo_page(__u32 base, __u32 n)
{
	if (n >= BW_GEO_PAGES)
		return 0;
	__u32 slot = base + n, zero = 0;
	void *m = bpf_map_lookup_elem(&geo, &slot);
	if (!m)
		return 0;
	return bpf_map_lookup_elem(m, &zero);
}

/* A table walk: the table's first slot, the page in hand and its number. */
struct geo_walk {
	__u32 base;
	__u32 pgno;
	struct geo_page *pg;
};

/* geo_chunk returns entry b of the chunk leaf v points to, looking up its
 * page unless it is the page in hand; 0 when the page is missing. */
static __always_inline __u32 geo_chunk(struct geo_walk *w, __u32 v, __u32 b)
{
	__u64 i = BW_V4_L1 + (__u64)(v & ~BW_LEAF_PTR) * 256 + b;
	__u32 n = i >> BW_GEO_PAGE_SHIFT;
	if (n != w->pgno) {
		struct geo_page *pg = geo_page(w->base, n);
		if (!pg)
			return 0;
		w->pg = pg;
		w->pgno = n;
	}
	return w->pg->e[i & (BW_GEO_PAGE - 1)];
}

/* geo4_lookup walks the IPv4 table from page 0 (p0): one to three reads. */
static __always_inline __u32 geo4_lookup(__u32 base, struct geo_page *p0, __u32 addr_be)
{
	struct geo_walk w = {.base = base, .pg = p0, .pgno = 0};
	__u32 a = bpf_ntohl(addr_be);
	__u32 v = p0->e[a >> 16];
	if (!(v & BW_LEAF_PTR))
		return v;
	v = geo_chunk(&w, v, (a >> 8) & 0xff);
	if (!(v & BW_LEAF_PTR))
		return v;
	return geo_chunk(&w, v, a & 0xff);
}

/* geo6_lookup walks the IPv6 table from page 0 (p0): one to seven reads,
 * one per level until a leaf (a /48 range: at most five). */
static __always_inline __u32 geo6_walk(__u32 base, struct geo_page *p0, __u64 a)
{
	struct geo_walk w = {.base = base, .pg = p0, .pgno = 0};
	__u32 v = p0->e[a >> 48];
#pragma unroll
	for (int i = 1; i <= BW_V6_LEVELS; i++) {
		if (v & BW_LEAF_PTR)
			v = geo_chunk(&w, v, (a >> (48 - 8 * i)) & 0xff);
	}
	return v;
}

/* geo6_lookup answers from this CPU's cache (geo6_cache) or walks the
 * IPv6 table of sequence number seq and caches the answer. */
static __always_inline __u32 geo6_lookup(__u32 seq, __u32 base, struct geo_page *p0, __u32 *addr)
{
	__u64 a = ((__u64)bpf_ntohl(addr[0]) << 32) | bpf_ntohl(addr[1]);
	__u32 idx = (a * 0x9e3779b97f4a7c15ull) >> (64 - BW_GEO6_CACHE_BITS);
	struct bw_geo6_cached *e = bpf_map_lookup_elem(&geo6_cache, &idx);
	if (e && e->prefix == a && e->seq == seq && !bench_geo6_miss)
		return e->leaf;
	__u32 v = geo6_walk(base, p0, a);
	if (e) {
		e->prefix = a;
		e->seq = seq;
		e->leaf = v;
	}
	return v;
}

static __always_inline int leaf_home(__u32 leaf)
{
	if (leaf & BW_LEAF_HOME)
		return 1;
	return home_mode == BW_HOME_UNKNOWN && leaf == 0;
}

static __always_inline __u32 lpm_lookup(void *outer, __u32 *addr)
{
	__u32 zero = 0;
	void *tbl = bpf_map_lookup_elem(outer, &zero);
	if (!tbl)
		return 0;
	struct bw_lpm_key k = {.prefixlen = 128};
	__builtin_memcpy(k.addr, addr, 16);
	__u32 *e = bpf_map_lookup_elem(tbl, &k);
	return e ? *e + 1 : 0;
}

/* ---- hand-off decisions ---- */

static __always_inline int odd_tcp_flags(__u8 f)
{
	/* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 */
	if (f & 0x07)
		return 1; /* SYN, FIN, RST and anything with them (Xmas, SYN-FIN…) */
	if (!(f & 0x10))
		return 1; /* NULL and flags without ACK */
	return 0;
}

/* flow_key fills the flow key of the packet, both directions sharing one
 * key, and returns the packet's direction in it (0: a to b, 1: b to a). */
static __always_inline int flow_key(struct pkt *p, struct bw_flow_key *kp)
{
	struct bw_flow_key k = {};
	int swap = 0;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (p->src[i] != p->dst[i]) {
			swap = p->src[i] > p->dst[i];
			break;
		}
		if (i == 3)
			swap = p->sport > p->dport;
	}
	if (swap) {
		__builtin_memcpy(k.a, p->dst, 16);
		__builtin_memcpy(k.b, p->src, 16);
		k.aport = p->dport;
		k.bport = p->sport;
	} else {
		__builtin_memcpy(k.a, p->src, 16);
		__builtin_memcpy(k.b, p->dst, 16);
		k.aport = p->sport;
		k.bport = p->dport;
	}
	k.proto = p->l4proto;
	*kp = k;
	return swap;
}

/* flow_track counts a TCP packet without odd flags in its flow and returns
 * 1 when it is among the first flow_packets of the flow (both directions
 * together), to be handed off. Otherwise, unless the packet is handed off
 * anyway (handed), its IP bytes join the unreported bytes of its direction;
 * when these reach report_bytes, *fp and *dp name the flow and direction
 * to report. The adds are atomic; a byte report takes the counts with an
 * exchange, so concurrent CPUs never report a byte twice. */
static __always_inline int flow_track(struct pkt *p, int handed, struct bw_flow **fp, int *dp)
{
	if (flow_packets == 0 && report_bytes == 0)
		return 0;
	struct bw_flow_key k;
	int d = flow_key(p, &k) & 1;
	struct bw_flow *f = bpf_map_lookup_elem(&flows, &k);
	if (!f) {
		struct bw_flow nf = {.handed = flow_packets ? 1 : 0};
		bpf_map_update_elem(&flows, &k, &nf, BPF_ANY);
		if (flow_packets)
			return 1;
		f = bpf_map_lookup_elem(&flows, &k);
		if (!f)
			return 0;
	}
	if (f->handed < flow_packets) {
		__sync_fetch_and_add(&f->handed, 1);
		return 1;
	}
	if (handed || report_bytes == 0)
		return 0;
	__u64 old = __sync_fetch_and_add(&f->bytes[d], p->ip_len);
	__sync_fetch_and_add(&f->packets[d], 1);
	if (old + p->ip_len >= report_bytes) {
		*fp = f;
		*dp = d;
	}
	return 0;
}

/* flow_find returns the packet's flow, if the flows map holds it, and its
 * direction in *dp; it creates none. */
static __always_inline struct bw_flow *flow_find(struct pkt *p, int *dp)
{
	struct bw_flow_key k;
	*dp = flow_key(p, &k) & 1;
	return bpf_map_lookup_elem(&flows, &k);
}

/* submit submits a record of size bytes. With wake_bytes set, only the
 * record that takes the unread data to wake_bytes or past it wakes the
 * reader (a wake-up is an interrupt and a thread wake-up: too dear for
 * each record); the others wait for that one or the reader's poll. Two
 * CPUs crossing at once may both miss the mark: the poll bounds the delay
 * then too. */
static __always_inline void submit(void *r, __u64 size)
{
	__u64 flags = 0;
	if (wake_bytes) {
		/* What the record takes in the ring: an 8-byte header, and
		 * the whole rounded up to 8. */
		__u64 len = (size + 15) & ~7ull;
		__u64 avail = bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA);
		flags = avail >= wake_bytes && avail < wake_bytes + len ? BPF_RB_FORCE_WAKEUP
									: BPF_RB_NO_WAKEUP;
	}
	bpf_ringbuf_submit(r, flags);
}

/* emit hands header h and the packet's first bytes (at most snap_len) to
 * user space in one record; it returns 0 when the ring buffer is full. */
static __always_inline int emit(void *ctx, const struct bw_record *h, int egress)
{
	__u64 snap = snap_len;
	if (snap > BW_SNAP_MAX)
		snap = BW_SNAP_MAX;
	struct bw_record *r = bpf_ringbuf_reserve(&records, sizeof(*r) + snap, 0);
	if (!r)
		return 0;
	*r = *h;
	/* 64-bit, so the bounds checks apply to the register passed on. */
	__u64 cap = h->wire_len;
	if (cap > snap)
		cap = snap;
	long lerr = -1;
	/* cap is at most snap (a load-time constant the verifier knows), so
	 * only the lower bound needs a check. */
	if (cap != 0) {
		if (egress)
			lerr = bpf_skb_load_bytes(ctx, 0, r + 1, cap);
		else
			lerr = bpf_xdp_load_bytes(ctx, 0, r + 1, cap);
	}
	r->cap_len = lerr ? 0 : cap;
	submit(r, sizeof(*r) + snap);
	return 1;
}

/* report submits a byte report of direction d of flow f: the unreported
 * counts, taken with an exchange, in a record with header h (the packet in
 * hand) and the packet's first bytes, from which user space decodes the
 * flow. reverse: d is the direction opposite to the packet's. Counts are
 * capped at BW_REPORT_MAX bytes per record, the rest left for the next
 * report. When the ring is full the counts go back to the flow, to be
 * reported with its next report, and the deferral is counted. */
static __always_inline void report(void *ctx, const struct bw_record *h, int egress,
				   struct bw_flow *f, int d, int reverse)
{
	d &= 1;
	__u64 bytes = __sync_lock_test_and_set(&f->bytes[d], 0);
	__u64 pkts = __sync_lock_test_and_set(&f->packets[d], 0);
	if (!bytes && !pkts)
		return;
	if (bytes > BW_REPORT_MAX) {
		__sync_fetch_and_add(&f->bytes[d], bytes - BW_REPORT_MAX);
		bytes = BW_REPORT_MAX;
	}
	if (pkts > BW_REPORT_MAX) {
		__sync_fetch_and_add(&f->packets[d], pkts - BW_REPORT_MAX);
		pkts = BW_REPORT_MAX;
	}
	struct bw_record rh = *h;
	rh.reasons = BW_REASON_BYTES;
	rh.rep_bytes = bytes;
	rh.rep_packets = pkts;
	if (reverse)
		rh.flags |= BW_F_REVERSE;
	if (!emit(ctx, &rh, egress)) {
		__sync_fetch_and_add(&f->bytes[d], bytes);
		__sync_fetch_and_add(&f->packets[d], pkts);
		count_global(BW_G_REPORT_FULL, 1);
		return;
	}
	count_global(BW_G_REPORTS, 1);
}

/* budget_take takes a token from the source's bucket. The bucket update is
 * not atomic across CPUs: concurrent packets of one source may both take the
 * last token, which errs towards handing off. Buckets fill by the coarse
 * clock (a tick's resolution, a few ns to read where the precise clock of
 * a VM costs ~20): tokens arrive a tick's worth at a time, at the same
 * rate. A source without a bucket gets one; with admit_new 0 (past the
 * flood_total_pps cap) its bucket starts full but this first packet is
 * refused, so that each of a spoofed flood's fresh sources is not handed
 * off. Past the cap, a source out of tokens is blocked (below). It
 * returns 0 (refused), 1 (a token of a known source) or 2 (a new
 * source's first packet). */
static __always_inline int budget_take(struct pkt *p, int admit_new)
{
	const __u64 nsec = 1000000000ull;
	__u64 now = bpf_ktime_get_coarse_ns();
	struct bw_lpm_key k = {};
	__builtin_memcpy(k.addr, p->src, 16);
	struct bw_bucket *b = bpf_map_lookup_elem(&sources, &k);
	__u64 cap = (__u64)source_burst * nsec;
	if (!b) {
		if (source_burst == 0)
			return 0;
		struct bw_bucket nb = {.last_ns = now, .tokens = admit_new ? cap - nsec : cap};
		bpf_map_update_elem(&sources, &k, &nb, BPF_ANY);
		return admit_new ? 2 : 0;
	}
	/* BW_BUCKET_BLOCKED: the source has been blocked past the cap */
	__u64 flag = b->tokens & BW_BUCKET_BLOCKED;
	__u64 tokens = b->tokens & ~BW_BUCKET_BLOCKED;
	if (flag && !admit_new)
		cap = nsec;
	if (now > b->last_ns) {
		tokens += (now - b->last_ns) * source_budget;
		if (tokens > cap)
			tokens = cap;
		b->last_ns = now;
	}
	if (tokens < nsec) {
		b->tokens = tokens | flag;
		/* Past the cap, a source out of tokens is blocked: it earns
		 * none until it has sent nothing past the cap for a window
		 * (last_ns in the future stops the refill, and each refused
		 * packet moves it on), and from then on its bucket holds one
		 * token past the cap (its burst is spent). A flood's reused
		 * sources so get their burst once and then at most a packet
		 * after each pause of a second, not source_budget a second
		 * each (25 k records a second from 256 sources); a source
		 * within its burst (a scanner's probes) is not affected. */
		if (!admit_new) {
			b->tokens = BW_BUCKET_BLOCKED;
			b->last_ns = now + BW_FLOOD_WINDOW;
		}
		return 0;
	}
	b->tokens = (tokens - nsec) | flag;
	return 1;
}

/* ---- the stages of handle: classify, count, enforce, hand-off ---- */

/* classified is what classify learns of a packet: the GeoIP leaves of its
 * endpoints (country in the low 16 bits, zones above), whether each is at
 * home, the jurisdiction direction and the protocol class. */
struct classified {
	__u32 sleaf, dleaf;
	__u32 scountry, dcountry;
	__u32 dir;
	__u32 pclass;
	int shome, dhome;
};

/* classify looks both endpoints up in the current generation of the geo
 * table and sorts the packet by direction and protocol. */
static __always_inline void classify(struct pkt *p, struct classified *c)
{
	__u32 zero = 0;
	__u32 sleaf = 0, dleaf = 0;
	__u32 *gen = bpf_map_lookup_elem(&geo_gen, &zero);
	if (gen) {
		__u32 seq = *gen; /* one read: the walk and the cache agree */
		__u32 base = ((seq & 1) * 2 + (p->ipv6 ? 1 : 0)) * BW_GEO_PAGES;
		struct geo_page *p0 = geo_page(base, 0);
		if (p0 && p->ipv6) {
			sleaf = geo6_lookup(seq, base, p0, p->src);
			dleaf = geo6_lookup(seq, base, p0, p->dst);
		} else if (p0) {
			sleaf = geo4_lookup(base, p0, p->src[3]);
			dleaf = geo4_lookup(base, p0, p->dst[3]);
		}
	}
	c->sleaf = sleaf;
	c->dleaf = dleaf;
	c->shome = leaf_home(sleaf);
	c->dhome = leaf_home(dleaf);
	c->dir = c->shome ? (c->dhome ? BW_DIR_INTERNAL : BW_DIR_OUTBOUND)
			  : (c->dhome ? BW_DIR_INBOUND : BW_DIR_TRANSIT);
	c->scountry = sleaf & 0xffff;
	c->dcountry = dleaf & 0xffff;

	switch (p->l4proto) {
	case IPPROTO_TCP:
		c->pclass = BW_PROTO_TCP;
		break;
	case IPPROTO_UDP:
		c->pclass = BW_PROTO_UDP;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		c->pclass = BW_PROTO_ICMP;
		break;
	default:
		c->pclass = BW_PROTO_OTHER;
	}
}

/* ---- flood tracking ---- */

/* cap_window returns this CPU's window of the flood_total_pps cap and the
 * flood_samples_pps total, restarted when a second has passed (now: the
 * coarse clock). */
static __always_inline struct bw_cap *cap_window(__u64 now)
{
	__u32 zero = 0;
	struct bw_cap *w = bpf_map_lookup_elem(&flood_cap, &zero);
	if (!w)
		return 0;
	if (now - w->win_start >= BW_FLOOD_WINDOW) {
		w->prev_hosts = now - w->win_start < 2 * BW_FLOOD_WINDOW ? w->hosts : 0;
		w->win_start = now;
		w->handed = 0;
		w->samples = 0;
		w->hosts = 0;
	}
	return w;
}

/* ring_fill returns the records ring's unread share in quarters (0-4):
 * one helper call, the ring's size a load-time constant. */
static __always_inline int ring_fill(void)
{
	__u64 quarter = ring_bytes / 4;
	if (!quarter)
		return 0;
	return (int)(bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA) / quarter);
}

enum bw_flood_verdict {
	BW_FV_NORMAL = 0,   /* not under flood: the normal hand-off path */
	BW_FV_SAMPLE = 1,   /* under flood: hand off as a sample */
	BW_FV_SUPPRESS = 2, /* under flood: keep in the kernel, count */
	BW_FV_FORWARDED = 3, /* egress copy of a packet counted at ingress */
};

/* addr_hash mixes an address into 32 bits; the top bits are the best. */
static __always_inline __u32 addr_hash(const __u32 *a)
{
	__u32 h = (a[0] ^ a[1] ^ a[2] ^ a[3]) * 0x9e3779b1u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h * 0x297a2d39u;
}

static __always_inline int same_addr(const __u32 *a, const __u32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* flood_track counts a flood-class packet in its destination's slot of its
 * hook and returns the slot (0 when untracked) and in *v what to do with
 * it. A packet the host forwards between two monitored interfaces passes
 * XDP ingress and then TC egress, on the same CPU: at egress, a packet
 * whose destination this CPU's ingress slot has under flood was counted
 * there, and is neither counted again nor handed off (BW_FV_FORWARDED). */
static __always_inline int flood_slot_free(const struct bw_flood *f, __u64 now)
{
	/* A slot held for less than two windows stays its holder's, unless
	 * the holder has had fewer than BW_FLOOD_KEEP packets and no flood
	 * in its first BW_FLOOD_HOLD: a flood to a host is not left
	 * untracked for a slot held by one of a spread flood's one-packet
	 * destinations (random IPv6 destinations hold every row), and two
	 * flooded hosts left one row between them do not take it from each
	 * other at every packet (each taking resets the slot: its packets
	 * take the normal path, never reaching flood_pps); the second is
	 * untracked (BW_G_FLOOD_COLLISION). */
	return f->win_start == 0 || now - f->win_start >= 2 * BW_FLOOD_WINDOW ||
	       (f->packets < BW_FLOOD_KEEP && !f->flooded && !f->carried &&
		now - f->win_start >= BW_FLOOD_HOLD);
}

static __always_inline struct bw_flood *flood_track(struct pkt *p, __u32 cls, int egress, int *v)
{
	*v = BW_FV_NORMAL;
	/* Two candidate rows (two-choice hashing): two flooded hosts that
	 * share one row do not leave one of them untracked. */
	__u32 h = addr_hash(p->dst);
	__u32 i1 = (h >> (32 - BW_FLOOD_ROW_BITS)) * BW_FLOOD_CLASSES + cls;
	__u32 i2 = ((h >> 4) & ((1 << BW_FLOOD_ROW_BITS) - 1)) * BW_FLOOD_CLASSES + cls;
	__u64 now = bpf_ktime_get_coarse_ns();
	if (egress) {
		struct bw_flood *in = bpf_map_lookup_elem(&floods, &i1);
		if (in && !same_addr(in->addr, p->dst))
			in = bpf_map_lookup_elem(&floods, &i2);
		if (in && in->win_start && now - in->win_start < BW_FLOOD_WINDOW &&
		    (in->win_packets > flood_pps || in->carried) && same_addr(in->addr, p->dst)) {
			count_global(BW_G_FLOOD_FORWARDED, 1);
			*v = BW_FV_FORWARDED;
			return 0;
		}
		i1 += (1 << BW_FLOOD_ROW_BITS) * BW_FLOOD_CLASSES;
		i2 += (1 << BW_FLOOD_ROW_BITS) * BW_FLOOD_CLASSES;
	}
	struct bw_flood *f1 = bpf_map_lookup_elem(&floods, &i1);
	struct bw_flood *f2 = bpf_map_lookup_elem(&floods, &i2);
	if (!f1 || !f2)
		return 0;
	struct bw_flood *f = 0;
	if (f1->win_start != 0 && same_addr(f1->addr, p->dst))
		f = f1;
	else if (f2->win_start != 0 && same_addr(f2->addr, p->dst))
		f = f2;
	if (!f) {
		if (flood_slot_free(f1, now))
			f = f1;
		else if (flood_slot_free(f2, now))
			f = f2;
		else {
			count_global(BW_G_FLOOD_COLLISION, 1);
			return 0;
		}
		__builtin_memset(f, 0, sizeof(*f));
		__builtin_memcpy(f->addr, p->dst, 16);
		f->class = cls;
		f->win_start = now;
	}
	if (now - f->win_start >= BW_FLOOD_WINDOW) {
		/* A flood outlasts its window: the next window starts under
		 * flood, so that the first flood_pps packets of each second
		 * do not take the normal path. A window of flood_pps or fewer
		 * packets ends it (the carry lasts while the flood does). */
		f->carried = f->win_packets > flood_pps &&
			     now - f->win_start < 2 * BW_FLOOD_WINDOW;
		f->win_start = now;
		f->win_packets = 0;
		f->win_samples = 0;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			f->prev_srcs[i] = f->srcs[i];
			f->srcs[i] = 0;
		}
	}
	f->win_packets++;
	f->packets++;
	f->bytes += p->ip_len;
	__u32 bit = addr_hash(p->src) >> 24;
	f->srcs[(bit >> 6) & 3] |= 1ull << (bit & 63);
	/* With the ring past half full, a destination goes sampled at an
	 * eighth of flood_pps: a flood spread over many hosts does not fill
	 * the ring with each host's first flood_pps packets. */
	if (f->win_packets <= flood_pps && !f->carried &&
	    (f->win_packets <= flood_pps / 8 || ring_fill() < 2))
		return f;
	if (f->win_packets == (__u64)flood_pps + 1)
		f->flooded++;
	__u64 gap = flood_samples ? BW_FLOOD_WINDOW / flood_samples : ~0ull;
	__u64 last = f->last_sample > f->last_refused ? f->last_sample : f->last_refused;
	if (now - last >= gap) {
		/* The total over all flooded hosts (flood_samples_pps): a
		 * host's first sample of its window always goes up (its count
		 * and one of its sources each second); its others each take a
		 * fair share, one per hosts/flood_samples_pps seconds (hosts:
		 * those sampled this window or the previous one), so samples
		 * are spread over the second and over the hosts, and within
		 * the window's total. A sample refused is counted and due
		 * again a gap later. */
		struct bw_cap *cw = flood_samples_pps ? cap_window(now) : 0;
		int ok = 1;
		if (cw && f->win_samples) {
			__u64 h = cw->hosts > cw->prev_hosts ? cw->hosts : cw->prev_hosts;
			ok = now - f->last_sample >= BW_FLOOD_WINDOW * h / flood_samples_pps &&
			     cw->samples < flood_samples_pps;
		}
		if (!ok) {
			f->last_refused = now;
			count_global(BW_G_FLOOD_SAMPLE_BUDGET, 1);
		} else if (ring_fill() < 3) {
			if (cw) {
				cw->samples++;
				if (!f->win_samples)
					cw->hosts++;
			}
			f->last_sample = now;
			f->win_samples++;
			*v = BW_FV_SAMPLE;
			return f;
		}
	}
	f->pending++;
	f->pending_bytes += p->ip_len;
	f->suppressed++;
	count_global(BW_G_FLOOD_SUPPRESSED, 1);
	*v = BW_FV_SUPPRESS;
	return f;
}

/* flood_class returns the flood class of an inbound packet to a home host,
 * or -1 for any other packet. */
static __always_inline int flood_class(const struct pkt *p, const struct classified *c)
{
	if (!c->dhome || c->shome || p->fragment)
		return -1;
	switch (c->pclass) {
	case BW_PROTO_TCP:
		return (p->tcp_flags & 0x12) == 0x02 ? BW_FLOOD_SYN : -1;
	case BW_PROTO_UDP:
		return BW_FLOOD_UDP;
	case BW_PROTO_ICMP:
		return BW_FLOOD_ICMP;
	}
	return -1;
}

/* count_class counts the packet under its remote country (the destination
 * for outbound packets, the source otherwise), direction, hook and
 * protocol class. */
static __always_inline void count_class(const struct pkt *p, const struct classified *c,
					__u32 wire_len, int egress)
{
	__u32 country = c->dir == BW_DIR_OUTBOUND ? c->dcountry : c->scountry;
	__u32 slot = ((country & (BW_COUNTRY_SLOTS - 1)) * 4 + c->dir) * 2 + (egress ? 1 : 0);
	__u32 cidx = slot * 4 + c->pclass;
	struct bw_count *n = bpf_map_lookup_elem(&counters, &cidx);
	if (n) {
		n->packets++;
		n->bytes += wire_len;
	}
	if (p->fragment)
		count_global(BW_G_FRAGMENT, 1);
}

/* enforce_drop returns 1 when a drop rule matches the packet (a prefix of
 * either endpoint, then the country of either), counting the drop under
 * the rule's slot; 0 when enforcement is off or no rule matches. */
static __always_inline int enforce_drop(struct pkt *p, const struct classified *c,
					struct bw_iface_count *ic)
{
	if (!enforce)
		return 0;
	__u32 slot = lpm_lookup(&drop_prefixes, p->src);
	if (!slot)
		slot = lpm_lookup(&drop_prefixes, p->dst);
	if (!slot) {
		__u32 *s = bpf_map_lookup_elem(&drop_countries, &c->scountry);
		if (s && *s)
			slot = *s;
	}
	if (!slot) {
		__u32 *s = bpf_map_lookup_elem(&drop_countries, &c->dcountry);
		if (s && *s)
			slot = *s;
	}
	if (!slot)
		return 0;
	slot--;
	__u64 *n = bpf_map_lookup_elem(&rule_drops, &slot);
	if (n)
		*n += 1;
	count_global(BW_G_ENFORCE_DROP, 1);
	if (ic)
		ic->enforce_drop++;
	return 1;
}

/* handoff_decide is the hand-off policy: it returns the reasons to hand
 * the packet to user space (0: keep it in the kernel), in *ho the path that
 * sent it up (a BW_G_HO_* counter, counted when the record is submitted),
 * and in *rf and *rd a flow direction whose bytes are due for a report
 * (*flush: report both directions). In order:
 *   - a listed endpoint always goes up (BW_REASON_LISTED_*), and so does
 *     everything under handoff_all;
 *   - only boundary-crossing packets (one end at home, the other not), and
 *     packets enforcement dropped, are considered further;
 *   - an inbound SYN, UDP or ICMP packet to a home host is counted in its
 *     destination's flood slot (*ff); under flood it goes up only as a
 *     sample (BW_REASON_FLOOD_SAMPLE), at most flood_samples a second, and
 *     is otherwise kept in the kernel and carried by the next sample; the
 *     egress copy of a packet counted at ingress under flood stays down;
 *   - such a packet not under flood counts towards this CPU's
 *     flood_total_pps window; past it, it goes up only within the budget
 *     of a source that already has a bucket (a new source gets one, its
 *     packet stays down: BW_G_FLOOD_CAPPED), SYNs included; the egress
 *     copy of a packet capped at ingress stays down (BW_G_FLOOD_FORWARDED);
 *   - fragments and non-TCP packets go up within the source's token budget;
 *   - TCP with odd flags (SYN, FIN, RST, no ACK) goes up and is not counted
 *     in its flow; FIN or RST flushes the flow's unreported bytes;
 *   - other TCP goes up for the first flow_packets of its flow, and its
 *     bytes are counted towards a byte report after that.
 * A dropped packet is offered under the same budgets as boundary-crossing
 * traffic, whatever its direction, so that the rule's alert is raised. */
static __always_inline __u32 handoff_decide(struct pkt *p, const struct classified *c, int drop,
					    int egress, struct bw_flow **rf, int *rd, int *flush,
					    struct bw_flood **ff, __u32 *ho)
{
	__u32 reasons = 0;
	__u32 path = BW_G_HO_LISTED;
	if (lpm_lookup(&listed, p->src))
		reasons |= BW_REASON_LISTED_SRC;
	if (lpm_lookup(&listed, p->dst))
		reasons |= BW_REASON_LISTED_DST;
	if (handoff_all)
		reasons |= BW_REASON_ALL;

	if (c->shome != c->dhome || handoff_all || drop) {
		int fv = BW_FV_NORMAL;
		int cls = flood_pps || flood_total_pps ? flood_class(p, c) : -1;
		if (reasons || drop)
			cls = -1; /* never sampled nor capped */
		if (cls >= 0 && flood_pps)
			*ff = flood_track(p, cls & 3, egress, &fv);
		struct bw_cap *cw = 0;
		if (cls >= 0 && fv == BW_FV_NORMAL && flood_total_pps)
			cw = cap_window(bpf_ktime_get_coarse_ns());
		/* The cap also follows the ring: past half full, a
		 * flood-class packet on the normal path goes up only as past
		 * the cap, and past three quarters not at all, so that what
		 * a slow reader can drain is left to samples and other
		 * traffic. */
		int fill = cw ? ring_fill() : 0;
		if (cw && (cw->handed >= flood_total_pps || fill >= 1)) {
			/* past the cap: known sources within their budget */
			__u32 h = (addr_hash(p->src) ^ (addr_hash(p->dst) >> 1)) | 1;
			__u32 *r = &cw->recent[h & (BW_CAP_RECENT - 1)];
			if (egress && *r == h) {
				count_global(BW_G_FLOOD_FORWARDED, 1);
			} else if (fill < 3 && budget_take(p, 0)) {
				reasons |= c->pclass == BW_PROTO_TCP ? BW_REASON_TCP_FLAGS
								     : BW_REASON_BUDGET;
				path = BW_G_HO_CAP_BUDGET;
			} else {
				count_global(BW_G_FLOOD_CAPPED, 1);
				if (!egress)
					*r = h;
			}
		} else if (fv == BW_FV_SAMPLE) {
			reasons |= BW_REASON_FLOOD_SAMPLE;
			path = BW_G_HO_FLOOD_SAMPLE;
		} else if (fv == BW_FV_SUPPRESS || fv == BW_FV_FORWARDED) {
			/* counted in the slot, carried by the next sample;
			 * or counted at ingress */
		} else if (p->fragment) {
			if (budget_take(p, 1)) {
				reasons |= BW_REASON_FRAGMENT;
				path = BW_G_HO_FRAGMENT;
			} else {
				count_global(BW_G_BUDGET_DROP, 1);
			}
		} else if (c->pclass == BW_PROTO_TCP) {
			/* A packet handed off for its flags is not counted in
			 * its flow: it saves the flow lookup on the costliest
			 * path, and a SYN flood or scan does not fill the flow
			 * map with one-packet flows, evicting real ones. */
			if (odd_tcp_flags(p->tcp_flags)) {
				reasons |= BW_REASON_TCP_FLAGS;
				path = BW_G_HO_TCP_FLAGS;
				/* FIN or RST: the flow's unreported bytes
				 * of both directions are reported now. */
				if ((p->tcp_flags & 0x05) && report_bytes) {
					*rf = flow_find(p, rd);
					*flush = 1;
				}
			} else if (flow_track(p, reasons || drop, rf, rd)) {
				reasons |= BW_REASON_FLOW_FIRST;
				path = BW_G_HO_FLOW_FIRST;
			}
		} else {
			int b = budget_take(p, 1);
			if (b)
				reasons |= BW_REASON_BUDGET;
			else
				count_global(BW_G_BUDGET_DROP, 1);
			path = b == 2 ? BW_G_HO_BUDGET_NEW : BW_G_HO_BUDGET;
		}
		if (cw && reasons) {
			cw->handed++;
			if (path != BW_G_HO_CAP_BUDGET)
				path = BW_G_HO_BELOW_CAP;
		}
	}
	if (drop && reasons) {
		reasons |= BW_REASON_DROPPED;
		path = BW_G_HO_DROPPED;
	}
	if (reasons & (BW_REASON_LISTED_SRC | BW_REASON_LISTED_DST | BW_REASON_ALL))
		path = BW_G_HO_LISTED;
	*ho = path;
	return reasons;
}

/* handoff writes the records handoff_decide asked for: byte reports of flow
 * rf first (so user space sees a flow's bytes before its FIN or RST), then
 * the packet's own record when reasons is not 0. */
static __always_inline void handoff(void *ctx, struct pkt *p, const struct classified *c,
				    __u32 wire_len, __u32 ifindex, int egress,
				    struct bw_iface_count *ic, __u32 reasons, struct bw_flow *rf,
				    int rd, int flush, struct bw_flood *ff, __u32 ho)
{
	struct bw_record h = {
	    .ts_ns = precise_ts ? bpf_ktime_get_ns() : bpf_ktime_get_coarse_ns(),
	    .ifindex = ifindex,
	    .wire_len = wire_len,
	    .reasons = reasons,
	    .src_country = c->scountry,
	    .dst_country = c->dcountry,
	    .src_zones = (c->sleaf >> 16) & 0x7fff,
	    .dst_zones = (c->dleaf >> 16) & 0x7fff,
	    .flags = (egress ? BW_F_EGRESS : 0) | (c->shome ? BW_F_SRC_HOME : 0) |
		     (c->dhome ? BW_F_DST_HOME : 0) | (p->ipv6 ? BW_F_IPV6 : 0),
	    .dir = c->dir,
	};
	if (rf) {
		report(ctx, &h, egress, rf, rd, 0);
		if (flush)
			report(ctx, &h, egress, rf, rd ^ 1, 1);
	}
	if (!reasons)
		return;
	/* A packet of a flood slot carries the packets the slot kept back
	 * (the slot is this CPU's: no other program touches it meanwhile). */
	__u64 fpk = 0, fby = 0;
	if (ff && (ff->pending || (reasons & BW_REASON_FLOOD_SAMPLE))) {
		fpk = ff->pending + 1;
		fby = ff->pending_bytes + p->ip_len;
		if (fpk > BW_REPORT_MAX)
			fpk = BW_REPORT_MAX;
		if (fby > BW_REPORT_MAX)
			fby = BW_REPORT_MAX;
		ff->pending -= fpk - 1;
		ff->pending_bytes -= fby - p->ip_len;
		h.reasons |= BW_REASON_FLOOD_SAMPLE;
		h.rep_packets = fpk;
		h.rep_bytes = fby;
	}
	if (!emit(ctx, &h, egress)) {
		count_global(BW_G_RINGBUF_FULL, 1);
		if (ic)
			ic->ringbuf_full++;
		if (fpk) {
			/* the sample's count, its own packet included, goes
			 * back to the slot for the next sample */
			ff->pending += fpk;
			ff->pending_bytes += fby;
			count_global(BW_G_FLOOD_SAMPLE_FULL, 1);
		}
		return;
	}
	if (fpk) {
		ff->sampled++;
		count_global(BW_G_FLOOD_SAMPLED, 1);
	}
	count_global(ho, 1); /* the paths sum to the records handed off */
	if (ic)
		ic->handoff++;
}

/* handle is the common body of both hooks: count, parse, classify, count
 * by class, enforce, decide the hand-off and hand off. It returns 1 to drop
 * the packet. */
static __always_inline int handle(void *ctx, void *data, void *data_end, __u32 wire_len,
				  __u32 ifindex, int egress)
{
	struct pkt p = {};
	struct classified c;
	__u32 stop = bench_steps; /* one load of the constant */

	count_global(BW_G_PACKETS, 1);
	count_global(BW_G_BYTES, wire_len);
	if (stop == 1)
		return 0;
	struct bw_iface_count *ic = iface_count(ifindex, egress);
	if (ic) {
		ic->packets++;
		ic->bytes += wire_len;
	}
	if (stop == 2)
		return 0;

	int err = parse(data, data_end, &p);
	if (err) {
		count_global(err, 1);
		return 0;
	}
	if (stop == 3)
		return 0;

	classify(&p, &c);
	if (stop == 4)
		return 0;
	count_class(&p, &c, wire_len, egress);
	if (stop == 5)
		return 0;
	int drop = enforce_drop(&p, &c, ic);

	struct bw_flow *rf = 0; /* a flow to report, direction rd */
	struct bw_flood *ff = 0; /* the packet's flood slot */
	int rd = 0, flush = 0;
	__u32 ho = BW_G_HO_LISTED; /* the hand-off's path, a global counter */
	__u32 reasons = handoff_decide(&p, &c, drop, egress, &rf, &rd, &flush, &ff, &ho);
	if (rf || reasons)
		handoff(ctx, &p, &c, wire_len, ifindex, egress, ic, reasons, rf, rd, flush, ff, ho);
	return drop;
}

SEC("xdp")
int bw_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	/* The program is not xdp.frags: the kernel never gives it a
	 * multi-buffer packet, so the linear part is the whole packet (no
	 * bpf_xdp_get_buff_len helper call). */
	__u32 len = data_end - data;
	if (handle(ctx, data, data_end, len, ctx->ingress_ifindex, 0))
		return XDP_DROP;
	return XDP_PASS;
}

/* bw_floor is the benchmarks' floor: the cost of a program run under the
 * same harness, to which the kernel stage's figures are compared. Loaded,
 * never attached. */
SEC("xdp")
int bw_floor(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bw_tc_egress(struct __sk_buff *skb)
{
	/* Headers beyond the linear part are pulled in; an error leaves
	 * the packet as it is and the parser reports truncation. */
	if (skb->data_end - skb->data < 128 && skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128);
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (handle(skb, data, data_end, skb->len, skb->ifindex, 1))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
