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

// NewList is a list of the prefixes, read from source (shown as given)
// in format: for lists built by a caller, such as the TAXII and MISP list
// sources, which have no file to parse. Prefixes are masked; IPv4-mapped
// IPv6 prefixes are stored as IPv4.
func NewList(name, source string, format Format, prefixes []netip.Prefix) *List {
	l := &List{name: name, source: source, format: format}
	for _, p := range prefixes {
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		m := p.Masked()
		if m != p {
			l.masked++
		}
		l.table.Insert(m)
	}
	return l
}

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
	// Lists are lists loaded elsewhere (the configuration's list sources,
	// rules/feeds), by name: rules name them like the lists of rule files.
	// One replaces the default pack's list of the same name; a user rule
	// file defining the same name is an error.
	Lists map[string]*List
}

// Load reads, checks and compiles rule files. Errors are
// `FILE:LINE:COL: rule ID: reason` and several are joined.
func Load(opts Options) (*Set, error) {
	srcs, errs := gatherSources(opts)
	return load(opts, srcs, errs)
}
