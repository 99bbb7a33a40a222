package rules

// CONTRACT (temporary): the rules implementer replaces these bodies.

import (
	"net/netip"

	"github.com/borderwatch/borderwatch/geo"
)

// List is an address list for reputation rules: immutable once loaded;
// Contains never allocates.
type List struct{}

// Name is the list's name as rules refer to it.
func (l *List) Name() string { panic("rules: contract") }

// Contains reports whether a is listed.
func (l *List) Contains(a netip.Addr) bool { panic("rules: contract") }

// Len is the number of prefixes listed.
func (l *List) Len() int { panic("rules: contract") }

// Set is everything loaded from rule files: rules, zones and lists, checked.
type Set struct {
	Rules []*Rule
	Zones *geo.Zones
	Lists map[string]*List
	Files []string // files read, in order
}

// Options say what to load.
type Options struct {
	Paths      []string   // files or folders (*.yaml, *.yml) given by the user
	NoDefaults bool       // skip the embedded default rule pack
	Geo        geo.Config // home and zones from the configuration; rule files may add zones
}

// Load reads, checks and compiles rule files. Errors are
// `FILE:LINE:COL: rule ID: reason` and several are joined.
func Load(opts Options) (*Set, error) { panic("rules: contract") }
