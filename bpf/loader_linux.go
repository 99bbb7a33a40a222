//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Limits of the kernel programs (borderwatch.c).
const (
	// CountrySlots is the number of country ids the counters and the
	// per-country drop table cover (ids 0..1023).
	CountrySlots = 1024
	// RuleSlots is the number of enforcement rule slots.
	RuleSlots = 1024
	// recordHeaderLen is the size of the ring-buffer record header.
	recordHeaderLen = int(unsafe.Sizeof(borderwatchBwRecord{}))
)

// ErrPermission is returned by Load when the process may not load BPF
// programs: it needs root or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON.
var ErrPermission = errors.New("loading bpf programs needs root or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON")

// ErrClosed is returned by ReadRecord after Close.
var ErrClosed = ringbuf.ErrClosed

// HomeMode chooses which addresses count as home.
type HomeMode uint8

const (
	// HomeZone: an address is home when its geo zones include home.
	HomeZone = HomeMode(borderwatchBwHomeModeBW_HOME_ZONE)
	// HomeUnknown: also addresses the geo table does not know (private
	// networks behind the gateway, say) are home.
	HomeUnknown = HomeMode(borderwatchBwHomeModeBW_HOME_UNKNOWN)
)

// Options are the load-time settings of the kernel programs. The zero value
// is not useful; start from DefaultOptions.
type Options struct {
	HomeMode HomeMode
	// SnapLen is how many bytes of each handed-off packet are copied
	// (0..MaxSnapLen). The default, 160, holds every header the decoder
	// needs: Ethernet and two VLAN tags (22), then an IPv4 header with
	// options (at most 60) or IPv6 (40) with up to 38 bytes of extension
	// headers (a hop-by-hop and a fragment header take 16), then TCP with
	// full options (at most 60); ICMP errors with the quoted header also
	// fit. Longer extension chains leave the L4 header cut, which the
	// decoder reports as truncated. Every byte copied is written to ring
	// memory: 256 costs a little more per record and fits fewer records.
	SnapLen uint32
	// SourceBudget is how many UDP/ICMP/fragment packets per second each
	// source may hand off; SourceBurst is the bucket size.
	SourceBudget uint32
	SourceBurst  uint32
	// FlowPackets is how many packets of each boundary-crossing TCP flow are
	// handed off regardless of flags (0 disables). Packets handed off for
	// their flags (SYN, FIN, RST, odd combinations) are not counted in
	// their flow and do not create flow entries.
	FlowPackets uint32
	// Enforce lets the programs drop packets matching drop rules; off, the
	// sensor never drops.
	Enforce bool
	// HandoffAll hands off every packet (replay-equivalent live testing).
	HandoffAll bool
	// RingBytes is the ring buffer size: a power of two, multiple of the
	// page size. The producer writes where user space read one ring length
	// ago, so a ring that fits the CPU caches makes each record cheaper
	// (a handed-off SYN: ~93 ns with 1 MiB, ~109 ns with 4 MiB), while a
	// larger ring rides out longer bursts or consumer stalls: 1 MiB holds
	// ~5200 records of 160 captured bytes. Records lost to a full ring are
	// counted (Globals.RingbufFull); raise RingBytes where they show.
	RingBytes uint32
	// WakeBytes batches reader wake-ups: a record wakes the reader only
	// when it takes the unread ring data to WakeBytes or past it; smaller
	// batches wait for ReadRecord's poll, every PollInterval. A wake-up
	// (an interrupt, then a thread wake-up and a system call) costs more
	// than the record, and without batching a reader that keeps up is
	// woken for nearly every record. 0: a wake-up for each record that
	// finds the reader caught up. Capped at a quarter of the ring.
	WakeBytes uint32
	// PollInterval bounds how long a record waits in the ring for a
	// wake-up while ReadRecord waits; at least a millisecond.
	PollInterval time.Duration
	// ReportBytes: the IP bytes of a boundary-crossing TCP flow direction
	// past its first FlowPackets packets are counted in the flow map and
	// handed off as byte reports (ReasonBytes) each time they reach
	// ReportBytes, and when the flow's FIN or RST passes. 0 disables byte
	// reports; at most MaxReportBytes.
	ReportBytes uint32
	// FloodPPS and FloodSamples: inbound SYN (without ACK), UDP and ICMP
	// packets to a home host are counted per destination, class and CPU in
	// one-second windows (Floods). Past FloodPPS packets in a window the
	// destination is under flood for that class: its packets of the class
	// are handed off at most FloodSamples times a second per CPU, each a
	// sample (ReasonFloodSample) carrying the count and IP bytes of the
	// packets kept back since the previous one (Record.SamplePackets); the
	// rest stay in the kernel. A spoofed flood then costs user space a few
	// hundred records a second, and the hand-off of other destinations and
	// of established flows is untouched. FloodPPS 0 disables it; at most
	// MaxFloodRate each.
	FloodPPS     uint32
	FloodSamples uint32
	// FloodSamplesPPS bounds the flood samples of each CPU over all the
	// destinations under flood at this many a second (FloodSamples stays
	// each destination's ceiling). A destination's first sample of its
	// one-second window always goes up, so that every flooded host's count
	// (and a source of it) reaches user space each second; its others take
	// a fair share, one per H/FloodSamplesPPS seconds (H: the destinations
	// the CPU sampled in this window or the previous one), within
	// FloodSamplesPPS in the window. A sample refused is counted
	// (Globals.FloodSampleBudget) and its packet kept back, its count
	// carried by the destination's next sample. A flood over H hosts so
	// hands off at most FloodSamplesPPS + H samples a second per CPU (H at
	// most 1024 per class and hook, the floods array's rows), spread over
	// the hosts and the second, not FloodSamples * H. 0: no total; at most
	// MaxFloodRate.
	FloodSamplesPPS uint32
	// FloodTotalPPS caps the flood-class hand-offs of each CPU (inbound
	// SYN, UDP and ICMP packets to home hosts that are not samples, not
	// listed and not dropped) at this many a second: past it, such a
	// packet is handed off only when its source already holds a budget
	// bucket with a token left (SourceBudget and SourceBurst, SYNs
	// included); a new source gets a bucket and its first packet stays in
	// the kernel, as do the packets of a source out of tokens
	// (Globals.FloodCapped). Past the cap, a source out of tokens is
	// blocked until it has sent no such packet for a second: a flood's
	// reused sources get their burst once, not SourceBudget a second
	// each. A flood spread over many home hosts from
	// spoofed sources, each host below FloodPPS, is so held to
	// FloodTotalPPS records a second per CPU, while a scanner's and a
	// brute force's packets after their first keep going up. The cap also
	// follows the ring: from a quarter full such packets are handled as
	// past the cap, from half full a destination is sampled past
	// FloodPPS/8, from three quarters neither budget holders nor samples
	// go up. 0: no cap; at most MaxFloodRate.
	FloodTotalPPS uint32
	// FlowEntries and SourceEntries size the LRU flow and source maps.
	FlowEntries   uint32
	SourceEntries uint32
	// PreciseTime stamps records (Record.Time) with the precise monotonic
	// clock, bpf_ktime_get_ns (DefaultOptions sets it). Off
	// (capture.handoff.coarse_clock), they carry the coarse one,
	// bpf_ktime_get_coarse_ns: the time of the last timer tick, so a
	// record's time is up to one tick (1/CONFIG_HZ: 4 ms at 250 Hz, 1 ms
	// at 1000 Hz) before the packet's and packets of one tick share a
	// time. The precise clock costs ~20 ns of each ~100 ns hand-off in a
	// VM (docs/performance.md); hand-offs are bounded by the budgets and
	// flood caps, so that is at most a few ms of CPU a second.
	PreciseTime bool
	// EgressMode is how Attach attaches the TC egress program: TCX, a
	// clsact filter, or TCX falling back to clsact (the zero value).
	EgressMode EgressMode

	// benchSteps: the benchmarks' per-step variants (bench_steps).
	benchSteps uint32
	// benchGeo6Miss: every lookup of the IPv6 leaf cache misses
	// (bench_geo6_miss).
	benchGeo6Miss bool
}

// DefaultOptions returns the default settings: sensor mode, snap length 160,
// 100 packets/s per source, 8 packets per flow, byte reports every 256 KiB,
// a 1 MiB ring, a reader wake-up per 64 KiB of records or 5 ms, records
// stamped with the precise clock.
func DefaultOptions() Options {
	return Options{
		HomeMode:        HomeZone,
		SnapLen:         DefaultSnapLen,
		SourceBudget:    DefaultSourceBudget,
		SourceBurst:     DefaultSourceBurst,
		FlowPackets:     DefaultFlowPackets,
		ReportBytes:     DefaultReportBytes,
		RingBytes:       DefaultRingBytes,
		WakeBytes:       64 << 10,
		PollInterval:    5 * time.Millisecond,
		FlowEntries:     65536,
		SourceEntries:   65536,
		FloodPPS:        DefaultFloodPPS,
		FloodSamples:    DefaultFloodSamples,
		FloodTotalPPS:   DefaultFloodTotalPPS,
		FloodSamplesPPS: DefaultFloodSamplesPPS,
		PreciseTime:     true,
	}
}

// Objects are the loaded programs and maps.
type Objects struct {
	objs   borderwatchObjects
	reader *ringbuf.Reader
	opts   Options
	// deadline is SetReadDeadline's time in Unix ns, 0 for none.
	deadline atomic.Int64

	geoInner, lpmInner *ebpf.MapSpec

	mu sync.Mutex // serialises table reloads

	// wallOffset converts a record's CLOCK_MONOTONIC time to Unix ns.
	wallOffset int64
	ncpu       int

	ifmu   sync.Mutex       // guards ifaces
	ifaces []ifaceSlotEntry // interface counter slots by slot number

	// Buffers for counter reads, reused.
	ckeys []uint32
	cvals []borderwatchBwCount
	fkeys []uint32
	fvals []borderwatchBwFlood
}

// Load loads the programs and maps with the given settings. The programs are
// not attached; see Attach. The geo tables start empty: every address is of
// unknown country until LoadGeo.
func Load(opts Options) (*Objects, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, permission(fmt.Errorf("removing memlock rlimit: %w", err))
	}
	spec, err := loadBorderwatch()
	if err != nil {
		return nil, err
	}
	set := map[string]any{
		borderwatchVarHomeMode:        uint8(opts.HomeMode),
		borderwatchVarHandoffAll:      b2u8(opts.HandoffAll),
		borderwatchVarEnforce:         b2u8(opts.Enforce),
		borderwatchVarSnapLen:         opts.SnapLen,
		borderwatchVarFlowPackets:     opts.FlowPackets,
		borderwatchVarReportBytes:     opts.ReportBytes,
		borderwatchVarSourceBudget:    opts.SourceBudget,
		borderwatchVarSourceBurst:     opts.SourceBurst,
		borderwatchVarWakeBytes:       min(opts.WakeBytes, opts.RingBytes/4),
		borderwatchVarRingBytes:       opts.RingBytes,
		borderwatchVarFloodPps:        opts.FloodPPS,
		borderwatchVarFloodSamples:    opts.FloodSamples,
		borderwatchVarFloodTotalPps:   opts.FloodTotalPPS,
		borderwatchVarFloodSamplesPps: opts.FloodSamplesPPS,
		borderwatchVarBenchSteps:      opts.benchSteps,
		borderwatchVarBenchGeo6Miss:   b2u8(opts.benchGeo6Miss),
		borderwatchVarPreciseTs:       b2u8(opts.PreciseTime),
	}
	for name, v := range set {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
	}
	spec.Maps[borderwatchMapRecords].MaxEntries = opts.RingBytes
	spec.Maps[borderwatchMapFlows].MaxEntries = opts.FlowEntries
	spec.Maps[borderwatchMapSources].MaxEntries = opts.SourceEntries

	o := &Objects{
		opts:     opts,
		geoInner: spec.Maps[borderwatchMapGeo].InnerMap.Copy(),
		lpmInner: spec.Maps[borderwatchMapListed].InnerMap.Copy(),
	}
	if err := spec.LoadAndAssign(&o.objs, nil); err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("loading bpf objects: %+v", verr)
		}
		return nil, permission(fmt.Errorf("loading bpf objects: %w", err))
	}
	o.reader, err = ringbuf.NewReader(o.objs.Records)
	if err != nil {
		o.objs.Close()
		return nil, fmt.Errorf("opening ring buffer: %w", err)
	}
	o.ncpu, err = ebpf.PossibleCPU()
	if err != nil {
		o.Close()
		return nil, err
	}
	o.wallOffset = measureWallOffset()
	return o, nil
}

func checkOptions(o *Options) error {
	switch {
	case o.HomeMode != HomeZone && o.HomeMode != HomeUnknown:
		return fmt.Errorf("bpf options: unknown home mode %d", o.HomeMode)
	case o.SnapLen > MaxSnapLen:
		return fmt.Errorf("bpf options: snap length %d above %d", o.SnapLen, MaxSnapLen)
	case o.RingBytes < 4096 || o.RingBytes&(o.RingBytes-1) != 0:
		return fmt.Errorf("bpf options: ring size %d is not a power of two of at least 4096", o.RingBytes)
	case o.EgressMode > EgressClsact:
		return fmt.Errorf("bpf options: unknown egress mode %d", o.EgressMode)
	case o.FlowEntries == 0 || o.SourceEntries == 0:
		return errors.New("bpf options: flow and source map sizes must be positive")
	case o.ReportBytes > MaxReportBytes:
		return fmt.Errorf("bpf options: report bytes %d above %d", o.ReportBytes, MaxReportBytes)
	case o.SourceBudget > MaxSourceBudget || o.SourceBurst > MaxSourceBudget:
		return errors.New("bpf options: source budget and burst must be at most 1048576")
	case o.FloodPPS > MaxFloodRate || o.FloodSamples > MaxFloodRate || o.FloodTotalPPS > MaxFloodRate ||
		o.FloodSamplesPPS > MaxFloodRate:
		return fmt.Errorf("bpf options: flood rates and samples must be at most %d", MaxFloodRate)
	case o.PollInterval < time.Millisecond:
		return fmt.Errorf("bpf options: poll interval %s below 1ms", o.PollInterval)
	}
	return nil
}

// permission marks EPERM-like errors with ErrPermission.
func permission(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	return err
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// measureWallOffset returns Unix time minus CLOCK_MONOTONIC, in ns, taking
// the smallest bracket of a few samples.
func measureWallOffset() int64 {
	var best, off int64 = -1, 0
	for range 5 {
		var m1, m2 unix.Timespec
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &m1)
		w := time.Now().UnixNano()
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &m2)
		d := m2.Nano() - m1.Nano()
		if best < 0 || d < best {
			best, off = d, w-(m1.Nano()+d/2)
		}
	}
	return off
}

// Close closes the ring-buffer reader, then the programs and maps. Attached
// programs stay attached until their io.Closer from Attach is closed.
func (o *Objects) Close() error {
	var err error
	if o.reader != nil {
		err = o.reader.Close()
	}
	return errors.Join(err, o.objs.Close())
}

// GeoStats describes a table load.
type GeoStats struct {
	V4Ranges, V6Ranges int
	V4Chunks           int // 256-entry chunks below the /16 level
	V4Bytes            int // IPv4 table size in the kernel
	V6Prefixes         int // prefixes painted into the IPv6 table
	V6Widened          int // IPv6 prefixes longer than /64 widened to /64
	V6Chunks           int // 256-entry chunks below the IPv6 /16 level
	V6Bytes            int // IPv6 table size in the kernel
	Build, Write       time.Duration
}

// LoadGeo builds the kernel jurisdiction tables from ranges (in any order;
// overlapping ranges: the later wins for IPv4, the shorter prefix loses to
// the longer for IPv6) and swaps them in atomically. On error the running
// tables stay. It is PrepareGeo followed by Commit.
func (o *Objects) LoadGeo(ranges iter.Seq[Range]) (GeoStats, error) {
	sg, err := o.PrepareGeo(ranges)
	if err != nil {
		return sg.Stats(), err
	}
	err = sg.Commit()
	return sg.Stats(), err
}

// geoPages is the most pages a geo table may have (BW_GEO_PAGES).
const geoPages = 512

// geoSlot returns the slot of page p of the table of family fam (0 IPv4,
// 1 IPv6) of generation gen in the geo map.
func geoSlot(gen, fam, p uint32) uint32 { return (gen*2+fam)*geoPages + p }

// geoSeq returns the sequence number of the geo tables the programs use:
// how many tables were swapped in. Its low bit is their generation; the
// programs' IPv6 cache (geo6_cache) answers for one sequence number only.
func (o *Objects) geoSeq() (uint32, error) {
	var seq uint32
	if err := o.objs.GeoGen.Lookup(uint32(0), &seq); err != nil {
		return 0, fmt.Errorf("reading the geo table generation: %w", err)
	}
	return seq, nil
}

// clearGeo empties every slot of generation gen.
func (o *Objects) clearGeo(gen uint32) error {
	for s := geoSlot(gen, 0, 0); s < geoSlot(gen+1, 0, 0); s++ {
		if err := o.objs.Geo.Delete(s); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("slot %d: %w", s, err)
		}
	}
	return nil
}

// rcuGracePeriod waits until every program run that started before the
// call has ended: membarrier(MEMBARRIER_CMD_GLOBAL) waits for an RCU grace
// period, and the programs run inside RCU read-side sections. Where the
// command is refused (nohz_full), a sleep far longer than any program run
// stands in.
func rcuGracePeriod() {
	const membarrierCmdGlobal = 1
	if _, _, e := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdGlobal, 0, 0); e != 0 {
		time.Sleep(50 * time.Millisecond)
	}
}

// putGeoTable writes t in the kernel's paged layout, each page a new map
// filled through its memory mapping and put into the geo map from slot
// first on; it returns the table's size in bytes.
func (o *Objects) putGeoTable(t *dirTable, first uint32) (int, error) {
	l := t.layout()
	if l.pages > geoPages {
		return 0, fmt.Errorf("%d pages, at most %d", l.pages, geoPages)
	}
	spec := o.geoInner.Copy()
	err := t.writePaged(l, func(p int, page []byte) error {
		m, err := ebpf.NewMap(spec)
		if err != nil {
			return fmt.Errorf("creating page %d: %w", p, err)
		}
		defer m.Close()
		mem, err := m.Memory()
		if err == nil {
			_, err = mem.WriteAt(page, 0)
		}
		if err == nil {
			err = o.objs.Geo.Put(first+uint32(p), m)
		}
		if err != nil {
			return fmt.Errorf("page %d: %w", p, err)
		}
		return nil
	})
	return l.pages * 4 * pageEntries, err
}

// batchPut writes keys and values with batch updates, or one by one where
// the kernel has no batch support for the map type.
func batchPut[K, V any](m *ebpf.Map, keys []K, vals []V) error {
	if len(keys) == 0 {
		return nil
	}
	const chunk = 16384
	for i := 0; i < len(keys); i += chunk {
		j := min(i+chunk, len(keys))
		_, err := m.BatchUpdate(keys[i:j], vals[i:j], nil)
		if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.EINVAL) {
			for k := i; k < len(keys); k++ {
				if err := m.Put(&keys[k], &vals[k]); err != nil {
					return err
				}
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Listed is a prefix of a reputation list; List is handed back nowhere yet
// but kept as the trie value for diagnostics.
type Listed struct {
	Prefix netip.Prefix
	List   uint32
}

// DropRule is an enforcement rule with action drop: packets from or to any
// of Prefixes, or from or to an address located in any of Countries, are
// dropped when enforcement is on, and counted under Slot.
type DropRule struct {
	Slot      uint32 // < RuleSlots
	Prefixes  []netip.Prefix
	Countries []uint16 // < CountrySlots
}

// Rules is the rule-derived kernel state.
type Rules struct {
	Listed []Listed
	Drop   []DropRule
}

// LoadRules replaces the listed and drop prefixes (each swapped atomically)
// and the per-country drop table (updated entry by entry). Where two drop
// rules cover one country the later rule's slot is counted. It is
// PrepareRules followed by Commit.
func (o *Objects) LoadRules(r Rules) error {
	sr, err := o.PrepareRules(r)
	if err != nil {
		return err
	}
	return sr.Commit()
}

// lpmKey encodes a prefix as the kernel's key: IPv4 as IPv4-mapped IPv6.
func lpmKey(p netip.Prefix) borderwatchBwLpmKey {
	bits := p.Bits()
	a := p.Addr()
	if a.Is4() {
		bits += 96
		a = netip.AddrFrom16(a.As16())
	}
	return borderwatchBwLpmKey{Prefixlen: uint32(bits), Addr: a.As16()}
}
