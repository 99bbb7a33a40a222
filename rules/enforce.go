package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/borderwatch/borderwatch/geo"
)

// Drop is what the kernel drops for a rule with action drop when
// enforcement is on: every packet from or to an address in Prefixes or
// located in one of Countries, in either direction, from the first packet
// (thresholds, suppression, direction and side only govern alerts).
type Drop struct {
	Rule      *Rule
	Prefixes  []netip.Prefix
	Countries []geo.CountryID
}

// Drops compiles the enabled rules with action drop, in rule order, into
// what the kernel can drop: a reputation rule drops its list's prefixes, a
// policy rule the countries and CIDRs of its foreign side (the from or to
// that is not home or any). A drop rule the kernel cannot express is an
// *Error naming the rule and why: another kind, packet matchers (protocol,
// ports, TCP flags, ICMP types), a policy side with a negation, an AS number
// or any, both sides restricted, or a country basis other than location.
// Several are joined.
func (s *Set) Drops() ([]Drop, error) {
	var out []Drop
	var errs []error
	for _, r := range s.Rules {
		if r.Action != ActionDrop {
			continue
		}
		d, err := r.drop()
		if err != nil {
			errs = append(errs, &Error{Pos: r.Pos, Where: fmt.Sprintf("rule %d", r.ID),
				Reason: "action drop cannot be enforced in the kernel: " + err.Error()})
			continue
		}
		out = append(out, d)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (r *Rule) drop() (Drop, error) {
	d := Drop{Rule: r}
	var matchers []string
	if r.Protos != 0 {
		matchers = append(matchers, "protocol")
	}
	if r.DstPorts != nil {
		matchers = append(matchers, "dst_ports")
	}
	if r.SrcPorts != nil {
		matchers = append(matchers, "src_ports")
	}
	if len(r.TCPFlags) > 0 {
		matchers = append(matchers, "tcp_flags")
	}
	if len(r.ICMPTypes) > 0 {
		matchers = append(matchers, "icmp_types")
	}
	switch r.Kind {
	case KindReputation:
		if r.From != nil || r.To != nil {
			return d, errors.New("the kernel drops every packet from or to a listed address; from and to cannot be enforced")
		}
	case KindPolicy:
	default:
		return d, fmt.Errorf("kind %s: the kernel drops only reputation and policy rules", r.Kind)
	}
	if len(matchers) > 0 {
		return d, fmt.Errorf("the kernel drops by address and country only; %s cannot be enforced", strings.Join(matchers, ", "))
	}
	if r.Kind == KindReputation {
		d.Prefixes = slices.Collect(r.List.Prefixes())
		return d, nil
	}
	homeOrAny := func(e *geo.Expr, terms []string) bool {
		return e == nil || len(terms) == 1 && strings.EqualFold(strings.TrimSpace(terms[0]), "home")
	}
	side, expr := "", (*geo.Expr)(nil)
	switch from, to := homeOrAny(r.From, r.FromTerms), homeOrAny(r.To, r.ToTerms); {
	case from && to:
		return d, errors.New("from and to are both home or any: no foreign side to drop")
	case !from && !to:
		return d, errors.New("from and to are both restricted; the kernel drops by one endpoint, so one of them must be home or any")
	case !from:
		side, expr = "from", r.From
	default:
		side, expr = "to", r.To
	}
	c, err := expr.Cover()
	if err != nil {
		return d, fmt.Errorf("%s %q: %w", side, expr.String(), err)
	}
	if len(c.Countries) > 0 && r.Basis != geo.BasisLocation {
		return d, errors.New("the kernel knows the location country only; geo_basis must be location")
	}
	d.Prefixes, d.Countries = c.Prefixes, c.Countries
	return d, nil
}
