package detect

import (
	"fmt"
	"unsafe"

	"github.com/borderwatch/borderwatch/rules"
)

// DefaultMaxState is the default bound on the worst-case state of a rule
// set, summed over the engines (workers) that run it: what the rules' tables
// would take if every rule filled its keys and distinct values at once.
const DefaultMaxState = 16 << 30

// State is the worst-case memory of one rule's state in one engine, in
// bytes: what its tables take once full (Limits.MaxKeys keys,
// Limits.MaxDistinct distinct values). The tables start empty and grow with
// the keys seen, so an engine needs this only under traffic that fills them.
type State struct {
	ID       uint32
	Keys     int   // key table: buckets and slots (and the doorkeeper's first packets)
	Distinct int   // exact distinct values (two tables, one being rebuilt)
	Sketch   int   // HyperLogLog registers and top countries, per key
	Total    int64 // Keys + Distinct + Sketch
}

// RuleState returns the worst-case state of each rule in one engine of
// configuration cfg, in rule order.
func RuleState(rs []*rules.Rule, cfg Config) []State {
	out := make([]State, len(rs))
	for i, r := range rs {
		st := newRuleState(r, cfg)
		lim := st.lim
		s := State{ID: r.ID}
		s.Keys = lim.MaxKeys*int(unsafe.Sizeof(bucket{})) + slotsFor(lim.MaxKeys)*8
		if st.set != nil {
			s.Distinct = 2*st.set.maxSize*int(unsafe.Sizeof(pairEntry{})) + st.set.maxSize // and its filter
		}
		if st.hasHLL {
			s.Sketch += lim.MaxKeys * hllRegs
		}
		if st.hasTop {
			s.Sketch += lim.MaxKeys*int(unsafe.Sizeof(topCountries{})+4) + exactKeys*int(unsafe.Sizeof(countryCounts{}))
		}
		if st.burstWin > 0 {
			s.Keys += lim.MaxKeys * int(unsafe.Sizeof(burstWin{}))
		}
		if st.door != nil {
			s.Keys += st.door.max * int(unsafe.Sizeof(doorEntry{}))
		}
		s.Total = int64(s.Keys) + int64(s.Distinct) + int64(s.Sketch)
		out[i] = s
	}
	return out
}

// TotalState is the worst-case state of rules run by engines engines of
// configuration cfg (the sum of RuleState, times engines).
func TotalState(rs []*rules.Rule, cfg Config, engines int) int64 {
	var n int64
	for _, s := range RuleState(rs, cfg) {
		n += s.Total
	}
	return n * int64(max(engines, 1))
}

// CheckState returns a *StateLimitError when the worst-case state of rules
// run by engines engines exceeds maxState (DefaultMaxState when 0).
func CheckState(rs []*rules.Rule, cfg Config, engines int, maxState int64) error {
	if maxState <= 0 {
		maxState = DefaultMaxState
	}
	if n := TotalState(rs, cfg, engines); n > maxState {
		return &StateLimitError{Rules: len(rs), Workers: max(engines, 1), Need: n, Limit: maxState}
	}
	return nil
}

// StateLimitError is a rule set whose worst-case state is over the limit:
// invalid input (exit status 2), found with errors.As.
type StateLimitError struct {
	Rules, Workers int
	Need, Limit    int64 // bytes
}

func (e *StateLimitError) Error() string {
	return fmt.Sprintf("the %d rules need up to %s of detection state with %d %s, more than the limit of %s: use fewer rules or fewer workers",
		e.Rules, rules.FormatSize(uint64(e.Need)), e.Workers, plural(e.Workers, "worker", "workers"), rules.FormatSize(uint64(e.Limit)))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
