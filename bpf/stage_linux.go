//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"time"

	"github.com/cilium/ebpf"
)

// A table change is two steps, so that a reload can change the geo tables
// and the rule tables together or not at all: Prepare builds and writes
// everything the programs do not read yet (and returns every error a bad
// input can cause), Commit makes the programs use it (map updates of
// existing maps only), Abort throws it away. One prepared change of each
// kind at a time: a change committed in between makes Commit fail.

// StagedGeo is a geo table written into the generation the programs do not
// read.
type StagedGeo struct {
	o         *Objects
	seq       uint32 // geoSeq at Prepare
	gen, next uint32
	st        GeoStats
	done      bool
}

// PrepareGeo builds the kernel jurisdiction tables from ranges (see
// LoadGeo) into the unused generation; the running tables stay until
// Commit. On error nothing is left staged.
func (o *Objects) PrepareGeo(ranges iter.Seq[Range]) (*StagedGeo, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	start := time.Now()
	sg := &StagedGeo{o: o}
	g, err := buildGeo(ranges)
	if err != nil {
		return sg, err
	}
	t6, err := buildV6(g.v6)
	if err != nil {
		return sg, err
	}
	sg.st = GeoStats{
		V4Ranges: g.v4Ranges, V6Ranges: g.v6Ranges,
		V4Chunks: g.v4.Chunks, V6Chunks: t6.Chunks,
		V6Prefixes: len(g.v6), V6Widened: g.widened,
		Build: time.Since(start),
	}
	start = time.Now()
	sg.seq, err = o.geoSeq()
	if err != nil {
		return sg, err
	}
	sg.gen = sg.seq & 1
	sg.next = sg.gen ^ 1
	n4, err := o.putGeoTable(g.v4, geoSlot(sg.next, 0, 0))
	if err == nil {
		sg.st.V4Bytes = n4
		sg.st.V6Bytes, err = o.putGeoTable(t6, geoSlot(sg.next, 1, 0))
	}
	sg.st.Write = time.Since(start)
	if err != nil {
		// The program never reads the unused generation: empty it again.
		sg.done = true
		return sg, errors.Join(fmt.Errorf("writing geo tables: %w", err), o.clearGeo(sg.next))
	}
	return sg, nil
}

// Stats describes the staged table (Write includes Commit's time once
// committed).
func (sg *StagedGeo) Stats() GeoStats { return sg.st }

// Commit swaps the staged tables in and frees the old ones.
func (sg *StagedGeo) Commit() error {
	o := sg.o
	o.mu.Lock()
	defer o.mu.Unlock()
	if sg.done {
		return errors.New("geo tables: committed or aborted already")
	}
	sg.done = true
	start := time.Now()
	seq, err := o.geoSeq()
	if err != nil {
		return errors.Join(err, o.clearGeo(sg.next))
	}
	if seq != sg.seq {
		return errors.New("geo tables: another table was loaded since Prepare")
	}
	// The next sequence number: generation sg.next, and no entry of the
	// programs' IPv6 cache answers for it.
	if err := o.objs.GeoGen.Put(uint32(0), seq+1); err != nil {
		return errors.Join(fmt.Errorf("swapping geo tables: %w", err), o.clearGeo(sg.next))
	}
	// Programs that read the old generation before the swap finish
	// within an RCU grace period; then its pages can go.
	rcuGracePeriod()
	if err := o.clearGeo(sg.gen); err != nil {
		return fmt.Errorf("freeing the old geo tables: %w", err)
	}
	sg.st.Write += time.Since(start)
	return nil
}

// Abort empties the staged generation; the running tables stay.
func (sg *StagedGeo) Abort() error {
	o := sg.o
	o.mu.Lock()
	defer o.mu.Unlock()
	if sg.done {
		return nil
	}
	sg.done = true
	if seq, err := o.geoSeq(); err != nil || seq != sg.seq {
		return err // the staged generation is in use: leave it
	}
	return o.clearGeo(sg.next)
}

// StagedRules are new listed and drop tables, built but not yet used.
type StagedRules struct {
	o                   *Objects
	listed, drops       *ebpf.Map // nil: the table is empty
	countries           [CountrySlots]uint32
	committed, released bool
}

// PrepareRules checks r and builds its tables (see LoadRules); the running
// tables stay until Commit.
func (o *Objects) PrepareRules(r Rules) (*StagedRules, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sr := &StagedRules{o: o}
	listed := make(map[netip.Prefix]uint32, len(r.Listed))
	for _, l := range r.Listed {
		listed[l.Prefix.Masked()] = l.List
	}
	drops := make(map[netip.Prefix]uint32)
	for _, d := range r.Drop {
		if d.Slot >= RuleSlots {
			return nil, fmt.Errorf("drop rule slot %d: above %d", d.Slot, RuleSlots-1)
		}
		for _, p := range d.Prefixes {
			drops[p.Masked()] = d.Slot
		}
		for _, c := range d.Countries {
			if c >= CountrySlots {
				return nil, fmt.Errorf("drop rule slot %d: country id %d above %d", d.Slot, c, CountrySlots-1)
			}
			sr.countries[c] = d.Slot + 1
		}
	}
	var err error
	if sr.listed, err = o.buildLPM(listed); err != nil {
		return nil, fmt.Errorf("loading listed prefixes: %w", err)
	}
	if sr.drops, err = o.buildLPM(drops); err != nil {
		sr.release()
		return nil, fmt.Errorf("loading drop prefixes: %w", err)
	}
	return sr, nil
}

// Commit swaps the listed and drop prefix tables in (each atomically) and
// updates the per-country drop table.
func (sr *StagedRules) Commit() error {
	o := sr.o
	o.mu.Lock()
	defer o.mu.Unlock()
	defer sr.release()
	if sr.committed {
		return errors.New("rule tables: committed already")
	}
	sr.committed = true
	if err := installLPM(o.objs.Listed, sr.listed); err != nil {
		return fmt.Errorf("loading listed prefixes: %w", err)
	}
	if err := installLPM(o.objs.DropPrefixes, sr.drops); err != nil {
		return fmt.Errorf("loading drop prefixes: %w", err)
	}
	keys := make([]uint32, CountrySlots)
	for i := range keys {
		keys[i] = uint32(i)
	}
	if _, err := o.objs.DropCountries.BatchUpdate(keys, sr.countries[:], nil); err != nil {
		return fmt.Errorf("loading country drops: %w", err)
	}
	return nil
}

// Abort releases the staged tables; the running ones stay.
func (sr *StagedRules) Abort() error {
	sr.o.mu.Lock()
	defer sr.o.mu.Unlock()
	sr.release()
	return nil
}

func (sr *StagedRules) release() {
	if sr.released {
		return
	}
	sr.released = true
	for _, m := range []*ebpf.Map{sr.listed, sr.drops} {
		if m != nil {
			m.Close()
		}
	}
}

// buildLPM builds a trie of prefixes, nil for none (the programs then skip
// the lookup).
func (o *Objects) buildLPM(prefixes map[netip.Prefix]uint32) (*ebpf.Map, error) {
	if len(prefixes) == 0 {
		return nil, nil
	}
	spec := o.lpmInner.Copy()
	spec.MaxEntries = uint32(len(prefixes))
	m, err := ebpf.NewMap(spec)
	if err != nil {
		return nil, err
	}
	keys := make([]borderwatchBwLpmKey, 0, len(prefixes))
	vals := make([]uint32, 0, len(prefixes))
	for p, v := range prefixes {
		keys = append(keys, lpmKey(p))
		vals = append(vals, v)
	}
	if err := batchPut(m, keys, vals); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// installLPM puts trie m into outer's slot, or empties the slot for nil.
func installLPM(outer, m *ebpf.Map) error {
	if m == nil {
		err := outer.Delete(uint32(0))
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			err = nil
		}
		return err
	}
	return outer.Put(uint32(0), m)
}

// RunXDP runs the XDP program once on the packet data (BPF_PROG_TEST_RUN,
// no interface) and returns its verdict: the packet is classified, counted
// and handed off as a received one would be. For tests and self-checks of
// the loaded tables.
func (o *Objects) RunXDP(data []byte) (uint32, error) {
	return o.objs.BwXdp.Run(&ebpf.RunOptions{Data: data})
}
