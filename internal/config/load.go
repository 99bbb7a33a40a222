package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/systemd"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/goccy/go-yaml"
	"github.com/rs/zerolog"
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

// CheckRun checks, once the flags are over the file, what `borderwatch
// run` needs: enforcement only with XDP, the capture and metrics settings,
// and interfaces that exist. The messages name the flag and the setting.
func (c *Config) CheckRun() error {
	if c.Capture.Enforce && c.Capture.Mode != "xdp" {
		return errors.New("--enforce needs XDP capture (--capture xdp): AF_PACKET only copies packets and cannot drop them")
	}
	for _, p := range c.Problems() {
		if strings.HasPrefix(p.Path, "capture.") || strings.HasPrefix(p.Path, "metrics.") {
			return fmt.Errorf("%s (flag or configuration file)", p.Msg)
		}
	}
	if len(c.Capture.Interfaces) == 0 {
		return errors.New("run needs --iface (or capture.interfaces in the configuration)")
	}
	for _, name := range c.Capture.Interfaces {
		if _, err := net.InterfaceByName(name); err != nil {
			return fmt.Errorf("interface %q: %w", name, err)
		}
	}
	return nil
}

// CheckGeoFiles checks that the GeoIP databases named exist (config
// check; opening them is the sensor's).
func (c *Config) CheckGeoFiles() error {
	for _, p := range []string{c.Geo.Database, c.Geo.ASNDatabase} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("geo database: %w", err)
		}
	}
	return nil
}

// WriteEffective writes the configuration as YAML with its secrets
// redacted (Redacted), after a comment line saying where it came from:
// the file at path, or the defaults when it was not read.
func (c *Config) WriteEffective(w io.Writer, path string, read bool) error {
	out, err := yaml.MarshalWithOptions(c.Redacted(), yaml.IndentSequence(true))
	if err != nil {
		return err
	}
	if !read {
		path = "defaults (" + path + " not found)"
	}
	fmt.Fprintf(w, "# effective configuration from %s and flags: OK\n", path)
	_, err = w.Write(out)
	return err
}

// Logger is the diagnostic logger to w at the configured level and
// format (the journal's priorities on its stream).
func (l LoggingConfig) Logger(w io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(l.Level)
	if err != nil || l.Level == "" {
		return zerolog.Nop(), fmt.Errorf("invalid log level %q: want debug, info, warn or error", l.Level)
	}
	out, err := systemd.LogOutput(w, l.Format)
	if err != nil {
		return zerolog.Nop(), err
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}
