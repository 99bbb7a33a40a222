package sink

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/rs/zerolog"
)

// Defaults applied to zero-valued settings.
const (
	DefaultQueueSize     = 4096
	DefaultBatchSize     = 256
	DefaultBackoffMin    = 200 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
	DefaultSpoolMaxBytes = 64 << 20
	DefaultMaxBackups    = 5
	DefaultDialTimeout   = 5 * time.Second
	DefaultWriteTimeout  = 10 * time.Second
	DefaultDrainTimeout  = 5 * time.Second
	// MaxDrainTimeout keeps shutdown within systemd's default stop timeout
	// (90 s) with room for the rest of the sensor.
	MaxDrainTimeout = time.Minute
)

// Maxima of the common settings, checked by Validate: a queue holds
// alerts in memory, so its length bounds the memory of an output that
// cannot deliver.
const (
	MaxQueueSize     = 65536
	MaxBatchSize     = 4096
	MaxBackoff       = time.Hour
	MaxSpoolMaxBytes = 16 << 30
)

// Common holds the settings every output has.
type Common struct {
	// Format is "eve" (default) or "ecs".
	Format string `yaml:"format"`
	// MinSeverity N writes only alerts of severity 1 (highest) to N; 0
	// writes all.
	MinSeverity int `yaml:"min_severity"`
	// QueueSize is the in-memory queue length (default 4096). When full,
	// alerts are dropped and counted (queue_full): the packet path never
	// waits for an output.
	QueueSize int `yaml:"queue_size"`
	// BatchSize is the most alerts written in one go (default 256).
	BatchSize int `yaml:"batch_size"`
	// BackoffMin and BackoffMax bound the reconnect backoff, which doubles
	// on each failure (defaults 200ms and 30s).
	// Any failed connect, write or fsync starts it; only a delivery resets
	// it. Each wait is between half and all of the current backoff.
	BackoffMin time.Duration `yaml:"backoff_min"`
	BackoffMax time.Duration `yaml:"backoff_max"`
	// DrainTimeout bounds Close (default 5s, at most 1m): a failing
	// destination is retried until then, and what is still undelivered
	// goes to the spool, or is dropped and counted (failed).
	DrainTimeout time.Duration `yaml:"drain_timeout"`

	// clock is the output's clock: nil is the real one; tests set a fake.
	clock clock
}

// SpoolConfig is the optional on-disk spool of a remote output.
type SpoolConfig struct {
	// Path of the spool file; "" disables spooling.
	Path string `yaml:"path"`
	// MaxBytes caps the spool file (default 64 MiB); alerts that do not fit
	// are dropped and counted (spool_full).
	MaxBytes int64 `yaml:"max_bytes"`
}

// Config is one output's configuration: *FileConfig, *StdoutConfig,
// *SyslogConfig, *RedisConfig, *KafkaConfig or *TAXIIConfig.
type Config interface {
	// Validate checks the settings and returns the first problem.
	Validate() error
	// Open validates the configuration and starts the output.
	Open(log zerolog.Logger) (*Output, error)
	common() *Common
}

func (c *Common) common() *Common { return c }

// validate checks the common settings; what names the output in errors.
func (c *Common) validate(what string) error {
	if c.Format != "" && c.Format != "eve" && c.Format != "ecs" {
		return fmt.Errorf("%s: format %q: want eve or ecs", what, c.Format)
	}
	if c.MinSeverity < 0 {
		return fmt.Errorf("%s: min_severity %d: want 0 (all) or 1 (highest) and up", what, c.MinSeverity)
	}
	if c.QueueSize < 0 || c.QueueSize > MaxQueueSize {
		return fmt.Errorf("%s: queue_size %d: want 0 (default %d) to %d", what, c.QueueSize, DefaultQueueSize, MaxQueueSize)
	}
	if c.BatchSize < 0 || c.BatchSize > MaxBatchSize {
		return fmt.Errorf("%s: batch_size %d: want 0 (default %d) to %d", what, c.BatchSize, DefaultBatchSize, MaxBatchSize)
	}
	if c.BackoffMin < 0 || c.BackoffMax < 0 {
		return fmt.Errorf("%s: backoff must not be negative", what)
	}
	if c.BackoffMin > MaxBackoff || c.BackoffMax > MaxBackoff {
		return fmt.Errorf("%s: backoff_min and backoff_max: want at most %s", what, MaxBackoff)
	}
	if c.BackoffMin > 0 && c.BackoffMax > 0 && c.BackoffMin > c.BackoffMax {
		return fmt.Errorf("%s: backoff_min %s is above backoff_max %s", what, c.BackoffMin, c.BackoffMax)
	}
	if c.DrainTimeout < 0 || c.DrainTimeout > MaxDrainTimeout {
		return fmt.Errorf("%s: drain_timeout %s: want 0 (default %s) up to %s", what, c.DrainTimeout, DefaultDrainTimeout, MaxDrainTimeout)
	}
	return nil
}

func (s *SpoolConfig) validate(what string) error {
	if s.MaxBytes < 0 || s.MaxBytes > MaxSpoolMaxBytes {
		return fmt.Errorf("%s: spool max_bytes %d: want 0 (default %d) to %d", what, s.MaxBytes, DefaultSpoolMaxBytes, int64(MaxSpoolMaxBytes))
	}
	if s.Path == "" && s.MaxBytes != 0 {
		return fmt.Errorf("%s: spool max_bytes set without a spool path", what)
	}
	return nil
}

// ParseURL parses the --output flag form of an output:
//
//	stdout[?format=ecs&min_severity=2]
//	file:/var/log/borderwatch/alerts.json[?max_bytes=104857600&max_backups=5&fsync=5s]
//	syslog+udp://127.0.0.1:514?facility=local0&app_name=borderwatch&hostname=gw1
//	syslog+tcp://127.0.0.1:6514?facility=local0&min_severity=2
//	syslog+tls://siem.example:6514?ca=/etc/ssl/ca.pem&cert=c.pem&key=k.pem&server_name=siem
//	redis://[user:password@]127.0.0.1:6379/0?mode=list&key=borderwatch
//	kafka://host1:9092,host2:9092/topic?key=community_id&linger=10ms
//	taxii://[user:password@]taxii.example/api1/collections/ID/?password_file=/etc/borderwatch/taxii.pw&tlp=green
//	taxii+http://127.0.0.1:8080/api1/collections/ID/?token_env=TAXII_TOKEN (plain http: loopback only)
//
// Every form accepts format, min_severity, queue_size, batch_size,
// backoff_min, backoff_max and drain_timeout; the remote forms also spool (a file path)
// and spool_max_bytes. An unknown parameter is an error. Errors show the
// URL with its secrets redacted (redact.URL).
func ParseURL(s string) (Config, error) {
	c, err := parseURL(s)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		return nil, redact.Error(err, s)
	}
	return c, nil
}

func parseURL(s string) (Config, error) {
	switch {
	case s == "stdout" || strings.HasPrefix(s, "stdout?"):
		c := &StdoutConfig{}
		q, err := url.ParseQuery(strings.TrimPrefix(strings.TrimPrefix(s, "stdout"), "?"))
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", s, err)
		}
		p := params{out: s, q: q}
		p.common(&c.Common)
		return c, p.done()
	case strings.HasPrefix(s, "file:"):
		return parseFileURL(s)
	case strings.HasPrefix(s, "kafka://"):
		return parseKafkaURL(s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("output %q: %w", s, err)
	}
	switch u.Scheme {
	case "syslog", "syslog+udp", "syslog+tcp", "syslog+tls":
		return parseSyslogURL(s, u)
	case "redis":
		return parseRedisURL(s, u)
	case "taxii", "taxii+https", "taxii+http":
		return parseTAXIIURL(s, u)
	}
	return nil, fmt.Errorf("output %q: unknown kind (want stdout, file:, syslog+udp://, syslog+tcp://, syslog+tls://, redis://, kafka:// or taxii://)", s)
}

// Open parses an --output flag value and starts the output.
func Open(s string, log zerolog.Logger) (*Output, error) {
	c, err := ParseURL(s)
	if err != nil {
		return nil, err
	}
	return c.Open(log)
}

// params consumes query parameters, remembering the first error, so that
// whatever is left at the end is reported as unknown.
type params struct {
	out string
	q   url.Values
	err error
}

func (p *params) fail(key, val, want string) {
	if p.err == nil {
		p.err = fmt.Errorf("output %q: %s=%q: %s", p.out, key, val, want)
	}
}

// str takes key's value; ok is false when absent.
func (p *params) str(key string) (string, bool) {
	v, ok := p.q[key]
	if !ok {
		return "", false
	}
	delete(p.q, key)
	if len(v) != 1 {
		p.fail(key, strings.Join(v, ","), "given more than once")
	}
	return v[len(v)-1], true
}

func (p *params) strTo(key string, dst *string) {
	if v, ok := p.str(key); ok {
		*dst = v
	}
}

func (p *params) intTo(key string, dst *int) {
	if v, ok := p.str(key); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.fail(key, v, "want an integer")
			return
		}
		*dst = n
	}
}

func (p *params) int64To(key string, dst *int64) {
	if v, ok := p.str(key); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			p.fail(key, v, "want an integer")
			return
		}
		*dst = n
	}
}

func (p *params) durTo(key string, dst *time.Duration) {
	if v, ok := p.str(key); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			p.fail(key, v, "want a duration such as 500ms or 5s")
			return
		}
		*dst = d
	}
}

func (p *params) common(c *Common) {
	p.strTo("format", &c.Format)
	p.intTo("min_severity", &c.MinSeverity)
	p.intTo("queue_size", &c.QueueSize)
	p.intTo("batch_size", &c.BatchSize)
	p.durTo("backoff_min", &c.BackoffMin)
	p.durTo("backoff_max", &c.BackoffMax)
	p.durTo("drain_timeout", &c.DrainTimeout)
}

func (p *params) spool(s *SpoolConfig) {
	p.strTo("spool", &s.Path)
	p.int64To("spool_max_bytes", &s.MaxBytes)
}

// done reports the first error, or the unknown parameters.
func (p *params) done() error {
	if p.err != nil {
		return p.err
	}
	if len(p.q) > 0 {
		keys := make([]string, 0, len(p.q))
		for k := range p.q {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return fmt.Errorf("output %q: unknown parameter %s", p.out, oneLine(strings.Join(keys, ", ")))
	}
	return nil
}

// splitHostPortDefault returns host:port, adding port when missing.
func splitHostPortDefault(hostport, port string) (string, error) {
	if hostport == "" {
		return "", errors.New("missing host")
	}
	if _, _, err := net.SplitHostPort(hostport); err == nil {
		return hostport, nil
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), port), nil
}
