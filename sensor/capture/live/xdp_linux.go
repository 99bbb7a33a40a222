//go:build linux

package live

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/bpf"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// idleReport is how often, at most, a live source reports that it has
// nothing to read (capture.ErrIdle), so that the pipeline publishes exact
// counters on an idle link.
const idleReport = 100 * time.Millisecond

// kernelStats reads the kernel counters.
func kernelStats(objs *bpf.Objects) (metrics.KernelStats, error) {
	g, err := objs.Counters()
	if err != nil {
		return metrics.KernelStats{}, err
	}
	cs, err := objs.ReadCounters()
	if err != nil {
		return metrics.KernelStats{}, err
	}
	k := metrics.KernelStats{
		Packets: g.Packets, Bytes: g.Bytes,
		Events: map[string]uint64{
			"handoff": g.Handoff, "ringbuf_full": g.RingbufFull,
			"budget_drop": g.BudgetDrops, "non_ip": g.NonIP, "fragment": g.Fragments, "enforce_drop": g.EnforceDrops,
			"byte_report": g.Reports, "byte_report_deferred": g.ReportsFull,
			"flood_sampled": g.FloodSampled, "flood_suppressed": g.FloodSuppressed,
			"flood_untracked": g.FloodCollisions, "flood_sample_lost": g.FloodSampleFull,
			"flood_forwarded": g.FloodForwarded, "flood_capped": g.FloodCapped,
			"flood_sample_budget": g.FloodSampleBudget,
		},
		Handoffs: g.Handoffs.Map(),
		ParseErrors: map[string]uint64{
			"eth": g.ParseErrors.Eth, "vlan": g.ParseErrors.VLAN, "vlan_depth": g.ParseErrors.VLANDepth,
			"ipv4": g.ParseErrors.IPv4, "ipv4_header": g.ParseErrors.IPv4Hdr, "ipv6": g.ParseErrors.IPv6,
			"ipv6_ext": g.ParseErrors.IPv6Ext, "l4": g.ParseErrors.L4,
		},
	}
	ifc, err := objs.InterfaceCounters()
	if err != nil {
		return metrics.KernelStats{}, err
	}
	names := slices.Sorted(maps.Keys(ifc))
	for _, name := range names {
		c := ifc[name]
		for _, h := range []struct {
			egress bool
			c      bpf.HookCount
		}{{false, c.Ingress}, {true, c.Egress}} {
			if h.egress && h.c == (bpf.HookCount{}) {
				continue // no egress program, or nothing seen yet
			}
			k.Interfaces = append(k.Interfaces, metrics.KernelIfaceCount{
				Iface: name, Egress: h.egress, Packets: h.c.Packets, Bytes: h.c.Bytes, Handoff: h.c.Handoff,
				RingbufFull: h.c.RingbufFull, EnforceDrops: h.c.EnforceDrops,
			})
		}
	}
	floods, err := objs.Floods()
	if err != nil {
		return metrics.KernelStats{}, err
	}
	for _, f := range floods {
		k.Floods = append(k.Floods, metrics.KernelFlood{
			Dst: f.Dst.String(), Class: f.Class.String(), Packets: f.Packets, Sampled: f.Sampled,
			Suppressed: f.Suppressed, Sources: f.Sources, UnderFlood: f.UnderFlood,
		})
	}
	for key, c := range cs {
		k.Countries = append(k.Countries, metrics.KernelCount{
			Country: geo.CountryID(key.Country), Direction: geo.Direction(key.Direction), Egress: key.Egress,
			Packets: c.Packets, Bytes: c.Bytes,
		})
	}
	return k, nil
}

// Source is a capture.Source over the kernel stage's ring buffer: the
// packets the XDP and TC programs handed off, from every attached interface.
type Source struct {
	objs  *bpf.Objects
	name  string
	links []io.Closer
	rec   bpf.Record
	// ifaces are the attached interfaces; slots maps an ifindex to its
	// index in ifaces (Frame.Iface). Both are set before the first Next.
	ifaces []string
	slots  map[uint32]uint16
	// lastIfindex, lastSlot and lastKnown cache the slot of the previous
	// record's interface.
	lastIfindex uint32
	lastSlot    uint16
	lastKnown   bool

	frames, bytes atomic.Uint64
	errs          atomic.Uint64
	th            *throttle
	closed        atomic.Bool
	// idle is how long after the last idle report Next reports the next
	// one (capture.ErrIdle) once the ring is empty.
	idle time.Duration

	mu       sync.Mutex // serialises counter reads and table loads against Close
	ringFull uint64     // last kernel ringbuf_full read
	drops    dropCounts // rule slot → rule id, for the per-rule drop counters
}

func (x *Source) Name() string { return x.name }

// InterfaceName names interface i of the frames (Frame.Iface), "" when the
// kernel reported an interface that was not attached. Safe for concurrent
// use.
func (x *Source) InterfaceName(i uint16) string {
	if i == noIface || int(i) >= len(x.ifaces) {
		return ""
	}
	return x.ifaces[i]
}

// noIface is the Frame.Iface of a record from an interface not attached.
const noIface = ^uint16(0)

// Next waits for the next handed-off packet. Data is the packet's first
// bytes (the snap length); WireLen is its length on the wire. A byte report
// (bpf.ReasonBytes) becomes a frame with the report's counts
// (Frame.ReportPackets), which the decoder turns into an aggregate Packet.
// A record that cannot be parsed is skipped, counted in Errors and logged
// (throttled). With idle set, Next returns capture.ErrIdle when the ring is
// empty and idle has passed since the last such report.
func (x *Source) Next(f *capture.Frame) error {
	for {
		err := x.objs.ReadRecord(&x.rec)
		if err == nil {
			break
		}
		if errors.Is(err, bpf.ErrClosed) || errors.Is(err, os.ErrClosed) || x.closed.Load() {
			return capture.ErrClosed
		}
		if x.idle > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			// The ring is empty and idle has passed since the last report:
			// the pipeline publishes its counters. One clock read per
			// report, none per record.
			x.objs.SetReadDeadline(time.Now().Add(x.idle))
			return capture.ErrIdle
		}
		x.errs.Add(1)
		x.th.Error(err, "skipping unreadable ring-buffer record")
	}
	f.Data = x.rec.Data
	f.Timestamp = x.rec.Time.UnixNano()
	f.WireLen = x.rec.WireLen
	f.Link = layers.LinkTypeEthernet
	if x.rec.Ifindex != x.lastIfindex || !x.lastKnown {
		// Records come in runs from one interface: the map is read
		// only when the interface changes, not per record.
		x.lastSlot, x.lastKnown = x.slots[x.rec.Ifindex]
		if !x.lastKnown {
			x.lastSlot = noIface
		}
		x.lastIfindex = x.rec.Ifindex
	}
	f.Iface = x.lastSlot
	f.ReportPackets, f.ReportBytes, f.ReportReverse = x.rec.ReportPackets, x.rec.ReportBytes, x.rec.Reverse
	f.SamplePackets, f.SampleBytes = x.rec.SamplePackets, x.rec.SampleBytes
	x.frames.Add(1)
	if x.rec.Reasons&bpf.ReasonBytes == 0 {
		x.bytes.Add(uint64(x.rec.WireLen))
	}
	return nil
}

// Stats: Frames are the handed-off packets and byte reports, Bytes the
// handed-off packets' wire bytes; Dropped is the kernel's count of records
// lost to a full ring buffer (byte reports are deferred, not lost).
func (x *Source) Stats() capture.Stats {
	x.mu.Lock()
	if !x.closed.Load() {
		if g, err := x.objs.Counters(); err == nil {
			x.ringFull = g.RingbufFull
		}
	}
	d := x.ringFull
	x.mu.Unlock()
	return capture.Stats{Frames: x.frames.Load(), Bytes: x.bytes.Load(), Dropped: d, Errors: x.errs.Load()}
}

// Kernel reads the kernel counters while the stage is open.
func (x *Source) Kernel() (metrics.KernelStats, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed.Load() {
		return metrics.KernelStats{}, errors.New("kernel stage closed")
	}
	k, err := kernelStats(x.objs)
	if err != nil {
		return k, err
	}
	slots, err := x.objs.RuleDrops()
	if err != nil {
		return k, err
	}
	k.RuleDrops = x.drops.byRule(slots)
	return k, nil
}

// loadRules pushes the listed prefixes and the drop rules (slot i for
// kr.drops[i]) to the kernel stage; each table is swapped atomically.
func (x *Source) loadRules(kr *Rules) error {
	c, err := x.prepare(nil, kr)
	if err != nil {
		return err
	}
	return c.Commit()
}

// kernelChange is a prepared change of the kernel tables: a geo table
// written into the generation the programs do not read and rule tables
// built but not installed.
type kernelChange struct {
	x      *Source
	geo    *bpf.StagedGeo // nil: the geo table stays
	rules  *bpf.StagedRules
	owners []uint32
}

// prepare builds and checks the kernel tables of t (nil: keep the running
// geo table) and kr without changing what the programs use.
func (x *Source) prepare(t *geo.Table, kr *Rules) (Change, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed.Load() {
		return nil, errors.New("kernel stage closed")
	}
	if len(kr.drops) > bpf.RuleSlots {
		return nil, fmt.Errorf("loading the rules into the kernel: %d drop rules: the kernel has %d rule slots", len(kr.drops), bpf.RuleSlots)
	}
	var r bpf.Rules
	for _, l := range kr.listed {
		r.Listed = append(r.Listed, bpf.Listed{Prefix: l.prefix, List: l.list})
	}
	for slot, d := range kr.drops {
		dr := bpf.DropRule{Slot: uint32(slot), Prefixes: d.Prefixes}
		for _, c := range d.Countries {
			dr.Countries = append(dr.Countries, uint16(c))
		}
		r.Drop = append(r.Drop, dr)
	}
	c := &kernelChange{x: x, owners: kr.owners()}
	var err error
	if c.rules, err = x.objs.PrepareRules(r); err != nil {
		return nil, fmt.Errorf("loading the rules into the kernel: %w", err)
	}
	if t != nil {
		if c.geo, err = x.objs.PrepareGeo(bpf.GeoRanges(t)); err != nil {
			return nil, errors.Join(fmt.Errorf("loading the geo table into the kernel: %w", err), c.rules.Abort())
		}
	}
	return c, nil
}

// Commit makes the programs use the prepared tables. Everything a bad
// table can fail on failed in prepare; what is left are updates of
// existing maps.
func (c *kernelChange) Commit() error {
	x := c.x
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed.Load() {
		return errors.Join(errors.New("kernel stage closed"), c.abort())
	}
	before, err := x.objs.RuleDrops()
	if err != nil {
		return errors.Join(err, c.abort())
	}
	if c.geo != nil {
		if err := c.geo.Commit(); err != nil {
			return errors.Join(fmt.Errorf("loading the geo table into the kernel: %w", err), c.rules.Abort())
		}
	}
	if err := c.rules.Commit(); err != nil {
		return fmt.Errorf("loading the rules into the kernel: %w", err)
	}
	x.drops.swap(c.owners, before)
	return nil
}

// Abort throws the prepared tables away; the running ones stay.
func (c *kernelChange) Abort() error {
	c.x.mu.Lock()
	defer c.x.mu.Unlock()
	return c.abort()
}

func (c *kernelChange) abort() error {
	var err error
	if c.geo != nil {
		err = c.geo.Abort()
	}
	return errors.Join(err, c.rules.Abort())
}

// Close detaches the programs and closes the kernel objects; closing the
// ring-buffer reader wakes a blocked Next, which returns ErrClosed.
func (x *Source) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed.Swap(true) {
		return nil
	}
	if g, err := x.objs.Counters(); err == nil {
		x.ringFull = g.RingbufFull
	}
	x.detach()
	return x.objs.Close()
}

func (x *Source) detach() {
	for _, l := range x.links {
		l.Close()
	}
	x.links = nil
}
