package tail

import (
	"fmt"
	"slices"
	"strings"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
)

// MaxSeverity is the largest --min-severity accepted: EVE's severities go
// from 1 (highest) to 255 (Suricata's classification priorities); the
// sensor writes 1 to 4.
const MaxSeverity = 255

// Filter selects alerts. A record matches when it matches every part that
// is set; within a part, any of the values.
type Filter struct {
	// Kinds are detector kinds (rules.Kinds' names); empty matches all.
	Kinds []string
	// Countries are ISO 3166-1 alpha-2 codes, upper case, matched against
	// the source and the destination country; empty matches all.
	Countries []string
	// MinSeverity N keeps alerts of severity 1 (highest) to N, as an
	// output's min_severity does; 0 keeps all, also alerts without one.
	MinSeverity int
}

// NewFilter checks the values the user gave and returns the filter. Kinds
// must be rule kind names; countries two letters (any case); minSeverity
// 0 to MaxSeverity. Values may also be comma-separated lists. The errors
// name the flag and suggest the closest kind.
func NewFilter(kinds, countries []string, minSeverity int) (*Filter, error) {
	f := &Filter{MinSeverity: minSeverity}
	names := make([]string, 0, len(rules.Kinds))
	for _, k := range rules.Kinds {
		names = append(names, k.String())
	}
	for _, k := range split(kinds) {
		if _, ok := rules.ParseKind(k); !ok {
			hint := ""
			if best, d := geo.Closest(k, names); best != "" && d <= 2 {
				hint = fmt.Sprintf(" (did you mean %q?)", best)
			}
			return nil, fmt.Errorf("--kind %q: not a detector kind%s; want one of %s", clip(k), hint, strings.Join(names, ", "))
		}
		if !slices.Contains(f.Kinds, k) {
			f.Kinds = append(f.Kinds, k)
		}
	}
	for _, c := range split(countries) {
		cc := strings.ToUpper(c)
		if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
			return nil, fmt.Errorf("--country %q: want an ISO 3166-1 alpha-2 code such as DE", clip(c))
		}
		if !slices.Contains(f.Countries, cc) {
			f.Countries = append(f.Countries, cc)
		}
	}
	if minSeverity < 0 || minSeverity > MaxSeverity {
		return nil, fmt.Errorf("--min-severity %d: want 0 (all) or 1 (highest) to %d", minSeverity, MaxSeverity)
	}
	return f, nil
}

// Match reports whether r passes the filter.
func (f *Filter) Match(r *Record) bool {
	if f == nil {
		return true
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, r.Kind) {
		return false
	}
	if len(f.Countries) > 0 && !slices.Contains(f.Countries, r.SrcCountry) && !slices.Contains(f.Countries, r.DestCountry) {
		return false
	}
	if f.MinSeverity > 0 && (r.Severity < 1 || r.Severity > f.MinSeverity) {
		return false
	}
	return true
}

// split splits comma-separated values and drops empty ones.
func split(vals []string) []string {
	var out []string
	for _, v := range vals {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// clip bounds a user value quoted in an error.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
