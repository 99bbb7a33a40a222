package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/metrics"
)

// defaultConfigPath is read when --config is not given; a missing default
// file is not an error.
const defaultConfigPath = "/etc/borderwatch/borderwatch.yaml"

// Config is the configuration file (and, once flags are applied, the
// effective configuration).
type Config struct {
	// SensorName names this sensor in every alert (EVE host, ECS
	// observer.name); "" is the host name.
	SensorName string         `yaml:"sensor_name"`
	Geo        GeoConfig      `yaml:"geo"`
	Rules      RulesConfig    `yaml:"rules"`
	Outputs    []OutputConfig `yaml:"outputs"`
	Capture    CaptureConfig  `yaml:"capture"`
	Metrics    MetricsConfig  `yaml:"metrics"`
	Logging    LoggingConfig  `yaml:"logging"`
}

// GeoConfig selects the GeoIP databases and the jurisdictions.
type GeoConfig struct {
	Database       string              `yaml:"database"`     // "" = embedded DB-IP Lite country
	ASNDatabase    string              `yaml:"asn_database"` // "" = none
	Home           []string            `yaml:"home"`
	SpecialNotHome bool                `yaml:"special_not_home"`
	Zones          map[string][]string `yaml:"zones"`
}

// RulesConfig selects the rule files.
type RulesConfig struct {
	Paths      []string `yaml:"paths"`
	NoDefaults bool     `yaml:"no_defaults"`
}

// OutputConfig is one alert output: exactly one of the fields, in the sink
// package's configuration form, or url in the --output form.
type OutputConfig struct {
	URL    string             `yaml:"url,omitempty"`
	Stdout *sink.StdoutConfig `yaml:"stdout,omitempty"`
	File   *sink.FileConfig   `yaml:"file,omitempty"`
	Syslog *sink.SyslogConfig `yaml:"syslog,omitempty"`
	Redis  *sink.RedisConfig  `yaml:"redis,omitempty"`
	Kafka  *sink.KafkaConfig  `yaml:"kafka,omitempty"`
}

// sinkConfig returns the output's sink configuration.
func (o *OutputConfig) sinkConfig() (sink.Config, error) {
	var set []sink.Config
	if o.URL != "" {
		c, err := sink.ParseURL(o.URL)
		if err != nil {
			return nil, err
		}
		set = append(set, c)
	}
	if o.Stdout != nil {
		set = append(set, o.Stdout)
	}
	if o.File != nil {
		set = append(set, o.File)
	}
	if o.Syslog != nil {
		set = append(set, o.Syslog)
	}
	if o.Redis != nil {
		set = append(set, o.Redis)
	}
	if o.Kafka != nil {
		set = append(set, o.Kafka)
	}
	if len(set) != 1 {
		return nil, errors.New("an output takes exactly one of url, stdout, file, syslog, redis, kafka")
	}
	if err := set[0].Validate(); err != nil {
		return nil, err
	}
	return set[0], nil
}

// CaptureConfig is live capture (the run command).
type CaptureConfig struct {
	Interfaces []string `yaml:"interfaces"`
	Mode       string   `yaml:"mode"`     // xdp (default, falls back to afpacket) or afpacket
	XDPMode    string   `yaml:"xdp_mode"` // auto (default), native or generic
	Egress     bool     `yaml:"egress"`   // also watch egress (TC, XDP mode)
	// EgressMode is how the TC egress program attaches: auto (TCX, clsact
	// before Linux 6.6), tcx or clsact.
	EgressMode string `yaml:"egress_mode"`
	SnapLength int    `yaml:"snap_length"`
	Workers    int    `yaml:"workers"`
	QueueSize  int    `yaml:"queue_size"` // batches queued per worker
	BatchSize  int    `yaml:"batch_size"` // packets per batch
	RingBytes  int    `yaml:"ring_bytes"` // XDP ring buffer (power of two)
	// AFPacketBlocks is the number of 1 MiB blocks of each AF_PACKET ring.
	AFPacketBlocks int `yaml:"afpacket_blocks"`
	// Readers is the number of AF_PACKET sockets (a fanout group) per
	// interface.
	Readers int `yaml:"readers"`
	// Enforce lets the kernel stage drop the packets of rules with action
	// drop (XDP mode only); off, the sensor never drops.
	Enforce bool `yaml:"enforce"`
}

// MetricsConfig is the Prometheus endpoint.
type MetricsConfig struct {
	// Listen is host:port; "off" disables the endpoint.
	Listen string `yaml:"listen"`
}

// LoggingConfig is the diagnostic log.
type LoggingConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or console
}

// defaultConfig is the configuration without file or flags.
func defaultConfig() Config {
	return Config{
		Capture: CaptureConfig{Mode: "xdp", XDPMode: "auto", EgressMode: "auto", SnapLength: 160, Workers: 2, QueueSize: 64, BatchSize: 256,
			RingBytes: 1 << 20, AFPacketBlocks: 64, Readers: 1},
		Metrics: MetricsConfig{Listen: metrics.DefaultListen},
		Logging: LoggingConfig{Level: "info", Format: "json"},
	}
}

// configError is a problem in a configuration file, at a line when known.
type configError struct {
	file string
	line int
	msg  string
}

func (e *configError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
	}
	return e.file + ": " + e.msg
}

// readConfig reads path over the defaults. With explicit false a missing
// file gives the defaults.
func readConfig(path string, explicit bool) (Config, bool, error) {
	cfg := defaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return cfg, false, nil
		}
		return cfg, false, fmt.Errorf("reading config: %w", err)
	}
	if err := parseConfig(path, data, &cfg); err != nil {
		return cfg, true, err
	}
	return cfg, true, nil
}

// parseConfig decodes data strictly into cfg and checks it; errors are
// FILE:LINE: reason.
func parseConfig(name string, data []byte, cfg *Config) error {
	// A file of comments only keeps the defaults (decoding its null
	// document would zero them).
	if f, err := parser.ParseBytes(data, 0); err == nil && (len(f.Docs) == 0 || f.Docs[0].Body == nil) {
		return nil
	}
	if err := yaml.UnmarshalWithOptions(data, cfg, yaml.Strict()); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			line := 0
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				line = tk.Position.Line
			}
			return &configError{file: name, line: line, msg: ye.GetMessage()}
		}
		return &configError{file: name, msg: err.Error()}
	}
	file, _ := parser.ParseBytes(data, 0)
	var errs []error
	for _, p := range cfg.problems() {
		errs = append(errs, &configError{file: name, line: lineOf(file, p.path), msg: p.msg})
	}
	return errors.Join(errs...)
}

// lineOf is the line of the YAML path in file, 0 if not found.
func lineOf(file *ast.File, path string) int {
	if file == nil || path == "" {
		return 0
	}
	p, err := yaml.PathString(path)
	if err != nil {
		return 0
	}
	n, err := p.FilterFile(file)
	if err != nil || n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

type problem struct{ path, msg string }

// problems checks the values: every problem with the YAML path it is at.
func (c *Config) problems() []problem {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	if _, err := geo.NewZones(c.geoConfig()); err != nil {
		path := "$.geo.home"
		for name := range c.Geo.Zones {
			if strings.HasPrefix(err.Error(), fmt.Sprintf("zone %q", name)) {
				path = "$.geo.zones." + name
			}
		}
		add(path, "%v", err)
	}
	for i := range c.Outputs {
		if _, err := c.Outputs[i].sinkConfig(); err != nil {
			add(fmt.Sprintf("$.outputs[%d]", i), "output %d: %v", i+1, err)
		}
	}
	if err := alert.CheckSensorName(c.SensorName); err != nil {
		add("$.sensor_name", "%v", err)
	}
	cc := &c.Capture
	if cc.Mode != "xdp" && cc.Mode != "afpacket" {
		add("$.capture.mode", "capture.mode %q: want xdp or afpacket", cc.Mode)
	}
	if cc.Enforce && cc.Mode != "xdp" {
		add("$.capture.enforce", "capture.enforce needs capture.mode xdp: AF_PACKET only copies packets and cannot drop them")
	}
	if !slices.Contains([]string{"auto", "tcx", "clsact"}, cc.EgressMode) {
		add("$.capture.egress_mode", "capture.egress_mode %q: want auto, tcx or clsact", cc.EgressMode)
	}
	if !slices.Contains([]string{"auto", "native", "generic"}, cc.XDPMode) {
		add("$.capture.xdp_mode", "capture.xdp_mode %q: want auto, native or generic", cc.XDPMode)
	}
	if cc.SnapLength < 64 || cc.SnapLength > 1024 {
		add("$.capture.snap_length", "capture.snap_length %d: want 64 to 1024", cc.SnapLength)
	}
	if cc.Workers < 1 || cc.Workers > 256 {
		add("$.capture.workers", "capture.workers %d: want 1 to 256", cc.Workers)
	}
	if cc.QueueSize < 1 {
		add("$.capture.queue_size", "capture.queue_size %d: want at least 1", cc.QueueSize)
	}
	if cc.BatchSize < 1 || cc.BatchSize > 65536 {
		add("$.capture.batch_size", "capture.batch_size %d: want 1 to 65536", cc.BatchSize)
	}
	if cc.RingBytes < 4096 || cc.RingBytes&(cc.RingBytes-1) != 0 {
		add("$.capture.ring_bytes", "capture.ring_bytes %d: want a power of two of at least 4096", cc.RingBytes)
	}
	if cc.AFPacketBlocks < 1 {
		add("$.capture.afpacket_blocks", "capture.afpacket_blocks %d: want at least 1", cc.AFPacketBlocks)
	}
	if cc.Readers < 1 || cc.Readers > 64 {
		add("$.capture.readers", "capture.readers %d: want 1 to 64", cc.Readers)
	}
	for i, ifc := range cc.Interfaces {
		if ifc == "" || len(ifc) > 15 || strings.ContainsAny(ifc, "/ \t,") {
			add(fmt.Sprintf("$.capture.interfaces[%d]", i), "capture.interfaces: %q is not an interface name", ifc)
		}
	}
	if c.Metrics.Listen != "off" && !strings.Contains(c.Metrics.Listen, ":") {
		add("$.metrics.listen", "metrics.listen %q: want host:port or off", c.Metrics.Listen)
	}
	if _, err := zerolog.ParseLevel(c.Logging.Level); err != nil || c.Logging.Level == "" {
		add("$.logging.level", "logging.level %q: want debug, info, warn or error", c.Logging.Level)
	}
	if c.Logging.Format != "json" && c.Logging.Format != "console" {
		add("$.logging.format", "logging.format %q: want json or console", c.Logging.Format)
	}
	return ps
}

// geoConfig is the jurisdiction configuration; zones in name order.
func (c *Config) geoConfig() geo.Config {
	g := geo.Config{Home: c.Geo.Home, SpecialNotHome: c.Geo.SpecialNotHome}
	names := make([]string, 0, len(c.Geo.Zones))
	for n := range c.Geo.Zones {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		g.Zones = append(g.Zones, geo.ZoneSpec{Name: n, Terms: c.Geo.Zones[n]})
	}
	return g
}

// sinkConfigs returns the outputs' sink configurations.
func (c *Config) sinkConfigs() ([]sink.Config, error) {
	out := make([]sink.Config, 0, len(c.Outputs))
	for i := range c.Outputs {
		sc, err := c.Outputs[i].sinkConfig()
		if err != nil {
			return nil, fmt.Errorf("output %d: %w", i+1, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the configuration file",
		Example: `  borderwatch config check /etc/borderwatch/borderwatch.yaml
  borderwatch --config deploy/borderwatch.example.yaml config check`,
	}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a configuration file and print the effective configuration",
		Long: `check reads the configuration file (FILE, else --config, else
` + defaultConfigPath + ` when it exists), rejects unknown keys and bad values
with FILE:LINE: reason, applies the global flags over it, checks that the rule
files load, and prints the effective configuration as YAML.`,
		Example: `  borderwatch config check /etc/borderwatch/borderwatch.yaml
  borderwatch --home DE,AT config check deploy/borderwatch.example.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if err := a.loadConfig(cmd, args[0], true); err != nil {
					return err
				}
			}
			if _, err := a.loadRules(); err != nil {
				return err
			}
			for _, p := range []string{a.cfg.Geo.Database, a.cfg.Geo.ASNDatabase} {
				if p == "" {
					continue
				}
				if _, err := os.Stat(p); err != nil {
					return usageErr("geo database: %w", err)
				}
			}
			out, err := yaml.MarshalWithOptions(a.cfg, yaml.IndentSequence(true))
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			src := a.cfgPath
			if !a.cfgRead {
				src = "defaults (" + a.cfgPath + " not found)"
			}
			fmt.Fprintf(w, "# effective configuration from %s and flags: OK\n", src)
			_, err = w.Write(out)
			return err
		},
	}
	cmd.AddCommand(check)
	return cmd
}
