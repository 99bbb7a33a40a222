package rules

import (
	"iter"
	"net/netip"

	"github.com/gaissmai/bart"

	"github.com/borderwatch/borderwatch/geo"
)

// List is an address list for reputation rules: immutable once loaded;
// Contains never allocates.
type List struct {
	name   string
	source string // file the list was read from, or "inline"
	format Format
	table  bart.Lite
	masked int // entries written with host bits set (masked when loaded)
}

// Name is the list's name as rules refer to it.
func (l *List) Name() string { return l.name }

// Contains reports whether a is listed. IPv4-mapped IPv6 addresses are
// looked up as IPv4. It never allocates.
func (l *List) Contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	return l.table.Contains(a.Unmap())
}

// Len is the number of prefixes listed (after removing duplicates).
func (l *List) Len() int { return l.table.Size() }

// Prefixes yields the listed prefixes (masked, without duplicates), IPv4
// before IPv6, each in ascending order.
func (l *List) Prefixes() iter.Seq[netip.Prefix] { return l.table.AllSorted() }

// Source is the file the list was read from, or "inline".
func (l *List) Source() string { return l.source }

// Format is the format the list was read in (detected or given).
func (l *List) Format() Format { return l.format }

// Masked is how many entries had host bits set (1.2.3.4/24); they were
// loaded as their network (1.2.3.0/24).
func (l *List) Masked() int { return l.masked }

// Set is everything loaded from rule files: rules, zones and lists, checked.
type Set struct {
	Rules []*Rule
	Zones *geo.Zones
	Lists map[string]*List
	Files []string // files read, in order
	// Disabled holds the rules written with `enabled: false`: checked like the
	// others but not to be run.
	Disabled []*Rule
}

// Options say what to load.
type Options struct {
	Paths      []string   // files or folders (*.yaml, *.yml) given by the user
	NoDefaults bool       // skip the embedded default rule pack
	Geo        geo.Config // home and zones from the configuration; rule files may add zones
}

// Load reads, checks and compiles rule files. Errors are
// `FILE:LINE:COL: rule ID: reason` and several are joined.
func Load(opts Options) (*Set, error) {
	srcs, errs := gatherSources(opts)
	return load(opts, srcs, errs)
}
