package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/rules/feeds"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/capture/live"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// defaultConfigPath is read when --config is not given; a missing default
// file is not an error.
const defaultConfigPath = "/etc/borderwatch/borderwatch.yaml"

// Config is the configuration file (and, once flags are applied, the
// effective configuration).
type Config struct {
	// SensorName names this sensor in every alert (EVE host, ECS
	// observer.name); "" is the host name.
	SensorName string              `yaml:"sensor_name"`
	Geo        GeoConfig           `yaml:"geo"`
	Rules      RulesConfig         `yaml:"rules"`
	Outputs    []OutputConfig      `yaml:"outputs"`
	Capture    CaptureConfig       `yaml:"capture"`
	Metrics    MetricsConfig       `yaml:"metrics"`
	Logging    LoggingConfig       `yaml:"logging"`
	Lists      feeds.Configuration `yaml:"lists"`

	// Console is the live console on the metrics listener (console/).
	Console console.Configuration `yaml:"console"`
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
	// Handoff is the kernel stage's hand-off policy (live.HandoffConfiguration).
	Handoff live.HandoffConfiguration `yaml:"handoff"`
}

// live is the live capture component's configuration.
func (c *CaptureConfig) live() live.Configuration {
	return live.Configuration{Interfaces: c.Interfaces, Mode: c.Mode, XDPMode: c.XDPMode, Egress: c.Egress, EgressMode: c.EgressMode,
		SnapLength: c.SnapLength, RingBytes: c.RingBytes, AFPacketBlocks: c.AFPacketBlocks, Readers: c.Readers, Enforce: c.Enforce,
		Handoff: c.Handoff}
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

// Bounds of the configuration's size settings, checked at load (the
// defaults are the components'; the live capture's bounds are live.Max*,
// the outputs' sink.Max*).
const (
	maxQueuedPackets = 1 << 20 // packet slots of all worker queues (~100 bytes each)
	maxOutputs       = 32
	maxRulePaths     = 256
)

// pipelineLimits are the minimum and maximum of each pipeline size setting.
var pipelineLimits = []struct {
	key      string
	min, max int
	val      func(*CaptureConfig) int
}{
	{"workers", 1, 256, func(c *CaptureConfig) int { return c.Workers }},
	{"queue_size", 1, 65536, func(c *CaptureConfig) int { return c.QueueSize }},
	{"batch_size", 1, 65536, func(c *CaptureConfig) int { return c.BatchSize }},
}

// defaultConfig is the configuration without file or flags: each
// component's defaults.
func defaultConfig() Config {
	lc := live.DefaultConfiguration()
	return Config{
		Capture: CaptureConfig{Mode: lc.Mode, XDPMode: lc.XDPMode, EgressMode: lc.EgressMode, SnapLength: lc.SnapLength,
			Workers: pipeline.DefaultLiveWorkers, QueueSize: pipeline.DefaultQueueLen, BatchSize: pipeline.DefaultBatchSize,
			RingBytes: lc.RingBytes, AFPacketBlocks: lc.AFPacketBlocks, Readers: lc.Readers, Handoff: lc.Handoff},
		Metrics: MetricsConfig{Listen: metrics.DefaultListen},
		Logging: LoggingConfig{Level: "info", Format: "json"},
		Lists:   feeds.DefaultConfiguration(),
		Console: console.DefaultConfiguration(),
	}
}

// configError is a problem in a configuration file, at a line (and
// column) when known.
type configError struct {
	file      string
	line, col int
	msg       string
}

func (e *configError) Error() string {
	msg := oneLine(e.msg)
	switch {
	case e.line > 0 && e.col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.file, e.line, e.col, msg)
	case e.line > 0:
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, msg)
	}
	return e.file + ": " + msg
}

// oneLine escapes control and format characters (newlines, bidi
// overrides) that a message may have copied from the file, so that every
// error is one line of the log as written.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if needsEscape(r) {
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// MaxConfigBytes is the largest configuration file read; the YAML limits
// of rule files (rules.CheckYAML: nesting, entries, aliases) apply too.
const MaxConfigBytes = 1 << 20

// readConfig reads path over the defaults. With explicit false a missing
// file gives the defaults. The file must be a regular file of at most
// MaxConfigBytes.
func readConfig(path string, explicit bool) (Config, bool, error) {
	cfg := defaultConfig()
	data, err := boundedfile.Read(path, MaxConfigBytes)
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
// FILE:LINE: reason, every problem of the file in one run, in line order.
func parseConfig(name string, data []byte, cfg *Config) error {
	if e := rules.CheckYAML(name, data); e != nil {
		return &configError{file: name, line: e.Pos.Line, col: e.Pos.Column, msg: e.Reason}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			ce := &configError{file: name, msg: ye.GetMessage()}
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				ce.line, ce.col = tk.Position.Line, tk.Position.Column
			}
			return ce
		}
		return &configError{file: name, msg: err.Error()}
	}
	var body ast.Node
	for i, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, null := doc.Body.(*ast.NullNode); null {
			continue
		}
		if body != nil {
			line, _ := nodePos(doc.Body)
			return &configError{file: name, line: line, msg: fmt.Sprintf("document %d: the configuration is one YAML document", i+1)}
		}
		body = doc.Body
	}
	if body == nil {
		return nil // comments only: the defaults
	}
	d := newCfgDecoder(name)
	d.collectAnchors(body)
	d.value("", body, reflect.ValueOf(cfg).Elem())
	errs := d.errs
	for _, p := range cfg.problems() {
		if d.failedNear(p.path) {
			continue // the value did not decode: already reported
		}
		errs = append(errs, &configError{file: name, line: d.lineOf(p.path), msg: p.msg})
	}
	slices.SortStableFunc(errs, func(a, b *configError) int { return cmp.Compare(a.line, b.line) })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// lineOf is the line of the key path, or of its closest parent written.
func (d *cfgDecoder) lineOf(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// failedNear tells whether a value at, above or below path failed to decode.
func (d *cfgDecoder) failedNear(path string) bool {
	for b := range d.bad {
		if b == path || strings.HasPrefix(b, path+".") || strings.HasPrefix(b, path+"[") ||
			strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

type problem struct{ path, msg string }

// problems checks the values: every problem with the YAML path it is at.
func (c *Config) problems() []problem {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	if _, err := geo.NewZones(c.geoConfig()); err != nil {
		path := "geo.home"
		for name := range c.Geo.Zones {
			if strings.HasPrefix(err.Error(), fmt.Sprintf("zone %q", name)) {
				path = "geo.zones." + name
			}
		}
		add(path, "%v", err)
	}
	if len(c.Outputs) > maxOutputs {
		add("outputs", "outputs: %d outputs: want at most %d", len(c.Outputs), maxOutputs)
	}
	if len(c.Rules.Paths) > maxRulePaths {
		add("rules.paths", "rules.paths: %d paths: want at most %d", len(c.Rules.Paths), maxRulePaths)
	}
	for i := range c.Outputs {
		if _, err := c.Outputs[i].sinkConfig(); err != nil {
			add(fmt.Sprintf("outputs[%d]", i), "output %d: %v", i+1, err)
		}
	}
	if err := alert.CheckSensorName(c.SensorName); err != nil {
		add("sensor_name", "%v", err)
	}
	cc := &c.Capture
	lc := cc.live()
	for _, p := range lc.Problems() {
		add("capture."+p.Key, "%s", p.Msg)
	}
	for _, l := range pipelineLimits {
		if v := l.val(cc); v < l.min || v > l.max {
			add("capture."+l.key, "capture.%s %d: want %d to %d", l.key, v, l.min, l.max)
		}
	}
	if n := int64(cc.Workers) * int64(cc.QueueSize+2) * int64(cc.BatchSize); n > maxQueuedPackets && cc.QueueSize <= 65536 && cc.BatchSize <= 65536 && cc.Workers <= 256 {
		add("capture.queue_size", "capture: workers × (queue_size + 2) × batch_size is %d packet slots: want at most %d (about 100 MiB)", n, maxQueuedPackets)
	}
	for _, p := range c.Lists.Problems() {
		add("lists."+p.Key, "%s", p.Msg)
	}
	if c.Metrics.Listen != "off" && !strings.Contains(c.Metrics.Listen, ":") {
		add("metrics.listen", "metrics.listen %q: want host:port or off", c.Metrics.Listen)
	}
	for _, p := range c.Console.Problems() {
		add("console."+p.Key, "%s", p.Msg)
	}
	if _, err := zerolog.ParseLevel(c.Logging.Level); err != nil || c.Logging.Level == "" {
		add("logging.level", "logging.level %q: want debug, info, warn or error", c.Logging.Level)
	}
	if c.Logging.Format != "json" && c.Logging.Format != "console" {
		add("logging.format", "logging.format %q: want json or console", c.Logging.Format)
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

// redacted is a copy of c for printing, with the outputs' secrets (URL
// credentials and secret parameters, passwords) replaced by sink.Redacted.
func (c Config) redacted() Config {
	r := c
	r.Outputs = make([]OutputConfig, len(c.Outputs))
	for i, o := range c.Outputs {
		o.URL = sink.RedactURL(o.URL)
		if o.Redis != nil && o.Redis.Password != "" {
			rc := *o.Redis
			rc.Password = sink.Redacted
			o.Redis = &rc
		}
		r.Outputs[i] = o
	}
	r.Lists = c.Lists.Redacted()
	return r
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
with FILE:LINE: reason (every problem of the file in one run), applies the
global flags over it, checks that the rule files load, and prints the
effective configuration as YAML with passwords and URL credentials shown as
` + sink.Redacted + `. The file must be a regular file of at most 1 MiB; see the
README for the limits of every setting.`,
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
			out, err := yaml.MarshalWithOptions(a.cfg.redacted(), yaml.IndentSequence(true))
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
