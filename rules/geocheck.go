package rules

import (
	"fmt"

	"github.com/borderwatch/borderwatch/geo"
)

// GeoWarnings says, rule by rule, what a rule asks of data the geo table t
// does not have: a registered or either basis without any registration
// country (the rule then matches on location alone, or, for registered,
// only through CIDR and AS terms), and AS terms without any AS data (they
// never match). Zone definitions are checked by t.Warnings.
func (s *Set) GeoWarnings(t *geo.Table) []string {
	st := t.Stats()
	var out []string
	for _, r := range s.Rules {
		if r.Basis != geo.BasisLocation && !st.HasRegistered {
			out = append(out, fmt.Sprintf("%s: rule %d: geo_basis %s, but the geoip database %s has no registration data: no address has a registered country",
				r.Pos, r.ID, r.Basis, st.Country.Name))
		}
		for _, e := range []*geo.Expr{r.From, r.To} {
			if e != nil && e.UsesASN() && !st.HasASN {
				out = append(out, fmt.Sprintf("%s: rule %d: AS term in %q, but no loaded database has AS numbers: it never matches", r.Pos, r.ID, e))
				break
			}
		}
	}
	return append(out, t.Warnings()...)
}

// GeoNeeds says what data beyond the location the set's rules match on per
// packet: registered countries (a registered or either basis) and AS
// numbers (an AS term in from or to). The pipeline looks packets up in the
// location-only table when neither is needed (geo.Table.PerPacket).
func (s *Set) GeoNeeds() geo.Needs {
	var n geo.Needs
	for _, r := range s.Rules {
		n.Registration = n.Registration || r.Basis != geo.BasisLocation
		for _, e := range []*geo.Expr{r.From, r.To} {
			n.ASN = n.ASN || e != nil && e.UsesASN()
		}
	}
	return n
}
