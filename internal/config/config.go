package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/borderwatch/borderwatch/internal/strictyaml"
	"github.com/borderwatch/borderwatch/rules/feeds"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/capture/live"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// DefaultPath is read when --config is not given; a missing default file
// is not an error.
const DefaultPath = "/etc/borderwatch/borderwatch.yaml"

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
	TAXII  *sink.TAXIIConfig  `yaml:"taxii,omitempty"`
}

// SinkConfig returns the output's sink configuration, checked.
func (o *OutputConfig) SinkConfig() (sink.Config, error) {
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
	if o.TAXII != nil {
		set = append(set, o.TAXII)
	}
	if len(set) != 1 {
		return nil, errors.New("an output takes exactly one of url, stdout, file, syslog, redis, kafka, taxii")
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
	SnapLen    int    `yaml:"snap_length"`
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

// Live is the live capture component's configuration.
func (c *CaptureConfig) Live() live.Configuration {
	return live.Configuration{Interfaces: c.Interfaces, Mode: c.Mode, XDPMode: c.XDPMode, Egress: c.Egress, EgressMode: c.EgressMode,
		SnapLen: c.SnapLen, RingBytes: c.RingBytes, AFPacketBlocks: c.AFPacketBlocks, Readers: c.Readers, Enforce: c.Enforce,
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
	MaxQueuedPackets = 1 << 20 // packet slots of all worker queues (~100 bytes each)
	MaxOutputs       = 32
	MaxRulePaths     = 256
)

// PipelineLimits are the minimum and maximum of each pipeline size setting.
var PipelineLimits = []struct {
	Key      string
	Min, Max int
	Val      func(*CaptureConfig) int
}{
	{"workers", 1, 256, func(c *CaptureConfig) int { return c.Workers }},
	{"queue_size", 1, 65536, func(c *CaptureConfig) int { return c.QueueSize }},
	{"batch_size", 1, 65536, func(c *CaptureConfig) int { return c.BatchSize }},
}

// Default is the configuration without file or flags: each component's
// defaults.
func Default() Config {
	lc := live.DefaultConfiguration()
	return Config{
		Capture: CaptureConfig{Mode: lc.Mode, XDPMode: lc.XDPMode, EgressMode: lc.EgressMode, SnapLen: lc.SnapLen,
			Workers: pipeline.DefaultLiveWorkers, QueueSize: pipeline.DefaultQueueSize, BatchSize: pipeline.DefaultBatchSize,
			RingBytes: lc.RingBytes, AFPacketBlocks: lc.AFPacketBlocks, Readers: lc.Readers, Handoff: lc.Handoff},
		Metrics: MetricsConfig{Listen: metrics.DefaultListen},
		Logging: LoggingConfig{Level: "info", Format: "json"},
		Lists:   feeds.DefaultConfiguration(),
		Console: console.DefaultConfiguration(),
	}
}

// MaxBytes is the largest configuration file read; the YAML limits
// (strictyaml: nesting, entries, aliases) apply too.
const MaxBytes = 1 << 20

// Read reads path over the defaults and tells whether it was read. With
// explicit false a missing file gives the defaults. The file must be a
// regular file of at most MaxBytes.
func Read(path string, explicit bool) (Config, bool, error) {
	cfg := Default()
	data, err := boundedfile.Read(path, MaxBytes)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return cfg, false, nil
		}
		return cfg, false, fmt.Errorf("reading config: %w", err)
	}
	if err := Parse(path, data, &cfg); err != nil {
		return cfg, true, err
	}
	return cfg, true, nil
}

// Parse decodes data strictly into cfg and checks it; errors are
// FILE:LINE: reason, every problem of the file in one run, in line order.
func Parse(name string, data []byte, cfg *Config) error {
	doc, errs := strictyaml.Decode(name, data, cfg, strictyaml.Options{Secret: redact.SecretKey, What: "the configuration"})
	if doc == nil {
		return errs[0] // not a document to check
	}
	for _, p := range cfg.Problems() {
		if doc.Failed(p.Path) {
			continue // the value did not decode: already reported
		}
		errs = append(errs, &strictyaml.Error{File: name, Line: doc.Line(p.Path), Msg: p.Msg})
	}
	slices.SortStableFunc(errs, func(a, b *strictyaml.Error) int { return cmp.Compare(a.Line, b.Line) })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// Problem is a bad value: its key path ("capture.workers") and what is
// wrong with it.
type Problem struct{ Path, Msg string }

// Problems checks the values: every problem with the key path it is at.
func (c *Config) Problems() []Problem {
	var ps []Problem
	add := func(path, format string, a ...any) { ps = append(ps, Problem{path, fmt.Sprintf(format, a...)}) }
	if _, err := geo.NewZones(c.GeoConfig()); err != nil {
		path := "geo.home"
		for name := range c.Geo.Zones {
			if strings.HasPrefix(err.Error(), fmt.Sprintf("zone %q", name)) {
				path = "geo.zones." + name
			}
		}
		add(path, "%v", err)
	}
	if len(c.Outputs) > MaxOutputs {
		add("outputs", "outputs: %d outputs: want at most %d", len(c.Outputs), MaxOutputs)
	}
	if len(c.Rules.Paths) > MaxRulePaths {
		add("rules.paths", "rules.paths: %d paths: want at most %d", len(c.Rules.Paths), MaxRulePaths)
	}
	for i := range c.Outputs {
		if _, err := c.Outputs[i].SinkConfig(); err != nil {
			add(fmt.Sprintf("outputs[%d]", i), "output %d: %v", i+1, err)
		}
	}
	if err := alert.CheckSensorName(c.SensorName); err != nil {
		add("sensor_name", "%v", err)
	}
	cc := &c.Capture
	lc := cc.Live()
	for _, p := range lc.Problems() {
		add("capture."+p.Key, "%s", p.Msg)
	}
	for _, l := range PipelineLimits {
		if v := l.Val(cc); v < l.Min || v > l.Max {
			add("capture."+l.Key, "capture.%s %d: want %d to %d", l.Key, v, l.Min, l.Max)
		}
	}
	if n := int64(cc.Workers) * int64(cc.QueueSize+2) * int64(cc.BatchSize); n > MaxQueuedPackets && cc.QueueSize <= 65536 && cc.BatchSize <= 65536 && cc.Workers <= 256 {
		add("capture.queue_size", "capture: workers × (queue_size + 2) × batch_size is %d packet slots: want at most %d (about 100 MiB)", n, MaxQueuedPackets)
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

// GeoConfig is the jurisdiction configuration; zones in name order.
func (c *Config) GeoConfig() geo.Config {
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

// Redacted is a copy of c for printing, with the outputs' secrets (URL
// credentials and secret parameters, passwords) replaced by redact.Marker.
func (c Config) Redacted() Config {
	r := c
	r.Outputs = make([]OutputConfig, len(c.Outputs))
	for i, o := range c.Outputs {
		o.URL = redact.URL(o.URL)
		if o.Redis != nil && o.Redis.Password != "" {
			rc := *o.Redis
			rc.Password = redact.Marker
			o.Redis = &rc
		}
		if o.TAXII != nil && o.TAXII.Password != "" {
			tc := *o.TAXII
			tc.Password = redact.Marker
			o.TAXII = &tc
		}
		r.Outputs[i] = o
	}
	r.Lists = c.Lists.Redacted()
	return r
}

// OutputsWith returns the alert outputs of the command line when there
// are any — the URLs, then a file at alertsPath in format — and else the
// configuration's outputs.
func (c *Config) OutputsWith(urls []string, alertsPath, format string) ([]sink.Config, error) {
	if len(urls) == 0 && alertsPath == "" {
		return c.SinkConfigs()
	}
	var cs []sink.Config
	for _, u := range urls {
		sc, err := sink.ParseURL(u)
		if err != nil {
			return nil, err
		}
		cs = append(cs, sc)
	}
	if alertsPath != "" {
		fc := &sink.FileConfig{Path: alertsPath, Common: sink.Common{Format: format}}
		if err := fc.Validate(); err != nil {
			return nil, err
		}
		cs = append(cs, fc)
	}
	return cs, nil
}

// AlertFile is the path of the first file output, and false when no
// output is a file.
func (c *Config) AlertFile() (string, bool, error) {
	for i := range c.Outputs {
		sc, err := c.Outputs[i].SinkConfig()
		if err != nil {
			return "", false, fmt.Errorf("output %d: %w", i+1, err)
		}
		if fc, ok := sc.(*sink.FileConfig); ok {
			return fc.Path, true, nil
		}
	}
	return "", false, nil
}

// SinkConfigs returns the outputs' sink configurations.
func (c *Config) SinkConfigs() ([]sink.Config, error) {
	out := make([]sink.Config, 0, len(c.Outputs))
	for i := range c.Outputs {
		sc, err := c.Outputs[i].SinkConfig()
		if err != nil {
			return nil, fmt.Errorf("output %d: %w", i+1, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// RestartOnly names the sections of n that differ from c and that a reload
// (SIGHUP) does not apply: they take effect at the next restart. The geo,
// rules, lists and console sections are the reload's own (the console
// names its restart-only settings itself). Names only: a section may hold
// secrets.
func (c *Config) RestartOnly(n *Config) []string {
	var names []string
	for _, s := range []struct {
		name     string
		old, new any
	}{
		{"sensor_name", c.SensorName, n.SensorName},
		{"outputs", c.Outputs, n.Outputs},
		{"capture", c.Capture, n.Capture},
		{"metrics", c.Metrics, n.Metrics},
		{"logging", c.Logging, n.Logging},
	} {
		if !reflect.DeepEqual(s.old, s.new) {
			names = append(names, s.name)
		}
	}
	return names
}
