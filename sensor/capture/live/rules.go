package live

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/borderwatch/borderwatch/rules"
)

// Rules is the rule-derived state of the kernel stage: the prefixes of the
// reputation rules' lists (handed off whatever their direction) and, with
// enforcement, the drop rules, slot i for drops[i] (rule order).
type Rules struct {
	listed []listedPrefix
	drops  []rules.Drop
}

type listedPrefix struct {
	prefix netip.Prefix
	list   uint32 // index of the list in name order
}

// CompileRules builds the kernel state of a rule set. Without enforce, drop
// rules are alert rules and nothing is dropped; with it, a drop rule the
// kernel cannot express is an error naming the rule and why.
func CompileRules(set *rules.Set, enforce bool) (*Rules, error) {
	kr := &Rules{}
	names := make([]string, 0, len(set.Lists))
	for name := range set.Lists {
		names = append(names, name)
	}
	slices.Sort(names)
	seen := map[*rules.List]bool{}
	for _, r := range set.Rules {
		if r.Kind != rules.KindReputation || r.List == nil || seen[r.List] {
			continue
		}
		seen[r.List] = true
		id := uint32(slices.Index(names, r.List.Name()))
		for p := range r.List.Prefixes() {
			kr.listed = append(kr.listed, listedPrefix{p, id})
		}
	}
	if !enforce {
		return kr, nil
	}
	drops, err := set.Drops()
	if err != nil {
		return nil, err
	}
	kr.drops = drops
	return kr, nil
}

// Drops are the drop rules, slot i for Drops()[i]; empty without
// enforcement.
func (kr *Rules) Drops() []rules.Drop { return kr.drops }

// Listed is the number of listed prefixes.
func (kr *Rules) Listed() int { return len(kr.listed) }

// owners is the slot → rule id table of kr's drop rules.
func (kr *Rules) owners() []uint32 {
	ids := make([]uint32, len(kr.drops))
	for i, d := range kr.drops {
		ids[i] = d.Rule.ID
	}
	return ids
}

// dropCounts turns the kernel's per-slot drop counters into per-rule totals
// that never go backwards across reloads, which may give a rule another slot
// or a slot another rule: what a slot counted under its previous owner stays
// with that rule. Packets dropped between the last read before a reload and
// the swap count for the slot's new owner.
type dropCounts struct {
	mu     sync.Mutex
	owner  []uint32          // slot → rule id
	offset []uint64          // slot → its kernel count when the owner got it
	base   map[uint32]uint64 // rule id → drops counted under earlier tables
}

// swap installs a new slot table; counts are the kernel's per-slot counts
// read just before the kernel swap.
func (d *dropCounts) swap(owner []uint32, counts map[uint32]uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.base == nil {
		d.base = map[uint32]uint64{}
	}
	for slot, id := range d.owner {
		d.base[id] += counts[uint32(slot)] - d.offset[slot]
	}
	d.owner = slices.Clone(owner)
	d.offset = make([]uint64, len(owner))
	for slot := range owner {
		d.offset[slot] = counts[uint32(slot)]
	}
}

// byRule returns the drops per rule id from the kernel's per-slot counts:
// every rule that has had a slot, including rules no longer loaded.
func (d *dropCounts) byRule(counts map[uint32]uint64) map[uint32]uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[uint32]uint64, len(d.base)+len(d.owner))
	for id, n := range d.base {
		out[id] = n
	}
	for slot, id := range d.owner {
		out[id] += counts[uint32(slot)] - d.offset[slot]
	}
	return out
}
