package config

import (
	"fmt"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
)

// LoadRules loads and compiles the rule pack (unless rules.no_defaults)
// and the rule files of rules.paths for the configuration's
// jurisdictions; lists are the list sources' lists, by name.
func (c *Config) LoadRules(lists map[string]*rules.List) (*rules.Set, error) {
	return rules.Load(rules.Options{Paths: c.Rules.Paths, NoDefaults: c.Rules.NoDefaults, Geo: c.GeoConfig(), Lists: lists})
}

// GeoTable opens the GeoIP databases (geo.database, geo.asn_database) and
// builds the lookup table for the zones z, or for the configuration's
// zones alone (without the rule files') when z is nil.
func (c *Config) GeoTable(z *geo.Zones) (*geo.Table, error) {
	if z == nil {
		var err error
		if z, err = geo.NewZones(c.GeoConfig()); err != nil {
			return nil, err
		}
	}
	t, err := geo.OpenTable(geo.Paths{Country: c.Geo.Database, ASN: c.Geo.ASNDatabase}, z)
	if err != nil {
		return nil, fmt.Errorf("loading geoip: %w", err)
	}
	return t, nil
}

// HomeNote is what to tell the operator, once, when no home jurisdiction
// is configured: what the jurisdiction rules then do; "" otherwise.
func (c *Config) HomeNote() string {
	if len(c.Geo.Home) > 0 {
		return ""
	}
	return "no home jurisdiction set (--home or geo.home): home is only the private, loopback, link-local, CGNAT and ULA ranges, so every public address counts as foreign; set --home CC to watch a country's border"
}
