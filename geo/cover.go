package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// Cover is what an expression of country and CIDR terms covers: an address
// matches when its country is in Countries or it lies in one of Prefixes.
type Cover struct {
	Countries []CountryID    // ascending
	Prefixes  []netip.Prefix // masked, without duplicates, IPv4 first, ascending
}

// Cover expands e into the countries and CIDRs it covers, with zone and group
// terms replaced by their members (recursively). It fails, saying why, when e
// is not such a union: a negation ("!home"), an AS number, "any", no terms
// at all (which matches every address), or a zone whose definition has one
// of those. A zone that matches nothing (an empty zone) covers nothing.
//
// Country terms are compared with the country of the rule's basis; Cover
// does not know the basis, the caller does.
func (e *Expr) Cover() (Cover, error) {
	if e.inc.n == 0 && e.exc.n == 0 {
		return Cover{}, errors.New("no terms: the expression matches any address")
	}
	if e.z == nil {
		return Cover{}, errors.New("expression compiled without zones")
	}
	c := coverer{z: e.z, seen: map[ZoneID]bool{}}
	if err := c.add(&e.inc, &e.exc, "", e.inc.prefixes); err != nil {
		return Cover{}, err
	}
	var out Cover
	for id := CountryID(0); id <= maxCountryID; id++ {
		if c.countries.has(id) {
			out.Countries = append(out.Countries, id)
		}
	}
	slices.SortFunc(c.prefixes, netip.Prefix.Compare) // IPv4 first, then address, then length
	out.Prefixes = slices.Compact(c.prefixes)
	return out, nil
}

type coverer struct {
	z         *Zones
	seen      map[ZoneID]bool
	countries countrySet
	prefixes  []netip.Prefix
}

// add adds the include terms of a definition (zone name, "" for the
// expression itself) whose CIDRs are prefixes.
func (c *coverer) add(inc, exc *termSet, zone string, prefixes []netip.Prefix) error {
	in := ""
	if zone != "" {
		in = fmt.Sprintf(" in zone %q", zone)
	}
	switch {
	case exc.any:
		return nil // "!any": matches nothing
	case exc.n > 0:
		return fmt.Errorf("a negation (\"!…\")%s cannot be enumerated", in)
	case inc.any:
		return fmt.Errorf("\"any\"%s matches every address", in)
	case len(inc.asns) > 0:
		return fmt.Errorf("AS number AS%d%s is not a country or CIDR", inc.asns[0], in)
	}
	for i := range c.countries {
		c.countries[i] |= inc.countries[i]
	}
	c.prefixes = append(c.prefixes, prefixes...)
	for id := ZoneID(0); id < MaxZones; id++ {
		if !inc.zones.Has(id) || c.seen[id] {
			continue
		}
		c.seen[id] = true
		if id != ZoneHome && int(id) < firstUserZone {
			for country := CountryID(1); country <= maxCountryID; country++ {
				if groupBits[country].Has(id) {
					c.countries.add(country)
				}
			}
			continue
		}
		i := slices.IndexFunc(c.z.defs, func(d *zoneDef) bool { return d.id == id })
		if i < 0 {
			return fmt.Errorf("zone %q has no definition", c.z.Name(id))
		}
		d := c.z.defs[i]
		ps := make([]netip.Prefix, 0, len(d.inc.pids))
		for _, pid := range d.inc.pids {
			ps = append(ps, c.z.prefixes[pid])
		}
		if err := c.add(&d.inc, &d.exc, d.name, ps); err != nil {
			return err
		}
	}
	return nil
}
