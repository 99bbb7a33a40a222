package main

import (
	"os"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/cli"
	"github.com/borderwatch/borderwatch/internal/config"
	"github.com/borderwatch/borderwatch/internal/systemd"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/rules/feeds"
	"github.com/borderwatch/borderwatch/sensor/alert"
)

// app holds the global flags and the effective configuration (file, then
// flags over it) and loads the shared state.
type app struct {
	cfgPath        string
	geoipPath      string
	asnPath        string
	home           []string
	specialNotHome bool
	rulePaths      []string
	noDefaultRules bool
	logLevel       string
	logFormat      string
	sensorName     string

	cfg     config.Config  // effective configuration
	cfgRead bool           // a configuration file was read
	lists   *feeds.Manager // the list sources, opened by listSources

	log zerolog.Logger // diagnostics, to stderr
}

func newApp() *app {
	out, _ := systemd.LogOutput(os.Stderr, "json") // until the configuration is read
	return &app{cfg: config.Default(), log: zerolog.New(out).With().Timestamp().Logger()}
}

func (a *app) bindFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVarP(&a.cfgPath, "config", "c", config.DefaultPath, "configuration file (YAML); a missing default file is ignored, flags override it")
	f.StringVar(&a.geoipPath, "geoip", "", "MaxMind-format country or city database (default: the embedded DB-IP Lite country database)")
	f.StringVar(&a.asnPath, "asn-db", "", "MaxMind-format ASN database (GeoLite2-ASN or DB-IP ASN schema)")
	f.StringSliceVar(&a.home, "home", nil, "home jurisdiction: country codes, groups (EU…) or CIDRs, comma-separated")
	f.BoolVar(&a.specialNotHome, "special-not-home", false, "do not count private, loopback, link-local, CGNAT and ULA addresses as home")
	f.StringArrayVar(&a.rulePaths, "rules", nil, "rule file or folder to load in addition to the default pack (repeatable; replaces rules.paths of the config)")
	f.BoolVar(&a.noDefaultRules, "no-default-rules", false, "do not load the embedded default rule pack")
	f.StringVar(&a.logLevel, "log-level", "info", "diagnostic log level: debug, info, warn, error")
	f.StringVar(&a.logFormat, "log-format", "json", "diagnostic log format: json or console")
	f.StringVar(&a.sensorName, "sensor-name", "", "name of this sensor in every alert: EVE host, ECS observer.name (default: the host name)")
}

func (a *app) setup(cmd *cobra.Command) error {
	explicit := cmd.Flags().Changed("config")
	return a.loadConfig(cmd, a.cfgPath, explicit)
}

// loadConfig reads the configuration file at path (a missing file is an
// error only when explicit), applies the flags the user set over it and
// sets up the logger.
func (a *app) loadConfig(cmd *cobra.Command, path string, explicit bool) error {
	cfg, read, err := config.Read(path, explicit)
	if err != nil {
		return usageError{Err: err}
	}
	a.cfgPath, a.cfgRead = path, read
	fl := cmd.Flags()
	cli.SetChanged(fl, map[string]func(){
		"geoip":            func() { cfg.Geo.Database = a.geoipPath },
		"asn-db":           func() { cfg.Geo.ASNDatabase = a.asnPath },
		"home":             func() { cfg.Geo.Home = cli.Trimmed(a.home) },
		"special-not-home": func() { cfg.Geo.SpecialNotHome = a.specialNotHome },
		"rules":            func() { cfg.Rules.Paths = a.rulePaths },
		"no-default-rules": func() { cfg.Rules.NoDefaults = a.noDefaultRules },
		"log-level":        func() { cfg.Logging.Level = a.logLevel },
		"log-format":       func() { cfg.Logging.Format = a.logFormat },
	})
	if fl.Changed("sensor-name") {
		if err := alert.CheckSensorName(a.sensorName); err != nil {
			return usageErr("--sensor-name: %v", err)
		}
		cfg.SensorName = a.sensorName
	}
	log, err := cfg.Logging.Logger(cmd.ErrOrStderr())
	if err != nil {
		return usageError{Err: err}
	}
	a.log, a.cfg = log, cfg
	return nil
}

// logger returns the sub-logger of a component.
func (a *app) logger(component string) zerolog.Logger {
	return a.log.With().Str("component", component).Logger()
}

// noteHome tells the operator, once, what the jurisdiction rules do when no
// home jurisdiction is configured.
func (a *app) noteHome() {
	if note := a.cfg.HomeNote(); note != "" {
		l := a.logger("geo")
		l.Info().Msg(note)
	}
}

// loadRules loads and compiles the rule pack and the user's rule files.
func (a *app) loadRules() (*rules.Set, error) {
	lists, err := a.feedLists()
	if err != nil {
		return nil, err
	}
	set, err := a.cfg.LoadRules(lists)
	return set, usage(err)
}

// loadState loads the rules, then the geo table for their zones.
func (a *app) loadState() (*rules.Set, *geo.Table, error) {
	set, err := a.loadRules()
	if err != nil {
		return nil, nil, err
	}
	table, err := a.loadGeo(set.Zones)
	return set, table, err
}

// loadGeo builds the lookup table for zones (nil: the configuration's alone).
func (a *app) loadGeo(z *geo.Zones) (*geo.Table, error) {
	t, err := a.cfg.GeoTable(z)
	return t, usage(err)
}
