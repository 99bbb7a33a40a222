package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
)

// app holds the global flags and loads the shared state lazily, once.
type app struct {
	geoipPath      string
	asnPath        string
	home           []string
	specialNotHome bool
	rulePaths      []string
	noDefaultRules bool
	logLevel       string

	log zerolog.Logger // diagnostics, to stderr
}

func newApp() *app {
	return &app{log: zerolog.New(os.Stderr).With().Timestamp().Logger()}
}

func (a *app) bindFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&a.geoipPath, "geoip", "", "MaxMind-format country or city database (default: the embedded DB-IP Lite country database)")
	f.StringVar(&a.asnPath, "asn-db", "", "MaxMind-format ASN database (GeoLite2-ASN or DB-IP ASN schema)")
	f.StringSliceVar(&a.home, "home", nil, "home jurisdiction: country codes, groups (EU…) or CIDRs, comma-separated")
	f.BoolVar(&a.specialNotHome, "special-not-home", false, "do not count private, loopback, link-local, CGNAT and ULA addresses as home")
	f.StringArrayVar(&a.rulePaths, "rules", nil, "rule file or folder to load in addition to the default pack (repeatable)")
	f.BoolVar(&a.noDefaultRules, "no-default-rules", false, "do not load the embedded default rule pack")
	f.StringVar(&a.logLevel, "log-level", "info", "diagnostic log level: debug, info, warn, error")
}

func (a *app) setup(cmd *cobra.Command) error {
	lvl, err := zerolog.ParseLevel(a.logLevel)
	if err != nil || a.logLevel == "" {
		return usageErr("invalid --log-level %q: want debug, info, warn or error", a.logLevel)
	}
	a.log = a.log.Level(lvl)
	for i, h := range a.home {
		a.home[i] = strings.TrimSpace(h)
	}
	return nil
}

// geoConfig is the jurisdiction configuration from the flags.
func (a *app) geoConfig() geo.Config {
	return geo.Config{Home: a.home, SpecialNotHome: a.specialNotHome}
}

// loadRules loads and compiles the rule pack and the user's rule files.
func (a *app) loadRules() (*rules.Set, error) {
	set, err := rules.Load(rules.Options{Paths: a.rulePaths, NoDefaults: a.noDefaultRules, Geo: a.geoConfig()})
	if err != nil {
		return nil, usageError{err}
	}
	return set, nil
}

// loadGeo opens the country (and ASN) databases and builds the lookup table for zones.
func (a *app) loadGeo(z *geo.Zones) (*geo.Table, error) {
	var (
		db  *geo.DB
		err error
	)
	if a.geoipPath != "" {
		db, err = geo.Open(a.geoipPath)
	} else {
		db, err = geo.Embedded()
	}
	if err != nil {
		return nil, usageError{err}
	}
	var asn *geo.ASNDB
	if a.asnPath != "" {
		if asn, err = geo.OpenASN(a.asnPath); err != nil {
			return nil, usageError{err}
		}
	}
	t, err := geo.Build(db, asn, z)
	if err != nil {
		return nil, fmt.Errorf("building geo table: %w", err)
	}
	return t, nil
}
