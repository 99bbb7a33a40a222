package feeds

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/internal/loopback"
	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/borderwatch/borderwatch/rules"
)

// Source formats besides those of package rules.
const (
	// FormatTAXII is a TAXII 2.1 collection: url is the collection's URL,
	// https://HOST/API-ROOT/collections/ID/.
	FormatTAXII = "taxii"
	// FormatMISPFeed is a MISP feed folder: url is the folder holding
	// manifest.json and the events (UUID.json).
	FormatMISPFeed = "misp-feed"
)

// Formats are the format names a source takes.
var Formats = []string{"auto", "plain", "netset", "ipset", "spamhaus-drop", "spamhaus-drop-json", "iprep", FormatTAXII, FormatMISPFeed}

// Defaults and bounds.
const (
	DefaultStateDir = "/var/lib/borderwatch/lists"
	DefaultRefresh  = 6 * time.Hour
	DefaultMaxBytes = 16 << 20
	DefaultTimeout  = time.Minute
	MinRefresh      = time.Minute
	MaxRefresh      = 7 * 24 * time.Hour
	MaxMaxBytes     = rules.MaxListFileSize
	MaxTimeout      = 30 * time.Minute
	MaxSources      = 64
)

// SourceConfig is one list source.
type SourceConfig struct {
	// Name is the list's name, as rules name it (list: NAME). A source
	// named like a list of the default pack (blocklist) replaces it.
	Name string `yaml:"name"`
	// URL is where the list is fetched: https (or http to a loopback
	// address, or anywhere with allow_http). User info in the URL is
	// allowed and never shown.
	URL string `yaml:"url"`
	// Format is a list format of package rules (auto when empty), taxii or
	// misp-feed.
	Format string `yaml:"format"`
	// Refresh is how often the list is fetched (DefaultRefresh).
	Refresh time.Duration `yaml:"refresh"`
	// MaxBytes bounds a body (DefaultMaxBytes); for TAXII and MISP, every
	// response of one update together.
	MaxBytes int64 `yaml:"max_bytes"`
	// Timeout bounds one update of the source (DefaultTimeout).
	Timeout time.Duration `yaml:"timeout"`
	// CAFile is a PEM file of the CA certificates the server's certificate
	// must chain to, instead of the system's (private feeds).
	CAFile string `yaml:"ca_file"`
	// AllowHTTP allows plain http to other than loopback addresses (a lab
	// or an internal network: the list can be changed on the way).
	AllowHTTP bool `yaml:"allow_http"`
	// User and Password (HTTP Basic) or Token (Authorization: Bearer);
	// never shown.
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	Token    string `yaml:"token"`
}

// Configuration is the list sources of a sensor.
type Configuration struct {
	// StateDir holds the cache of the last good lists (DefaultStateDir).
	StateDir string         `yaml:"state_dir"`
	Sources  []SourceConfig `yaml:"sources"`
}

// DefaultConfiguration has no source.
func DefaultConfiguration() Configuration {
	return Configuration{StateDir: DefaultStateDir}
}

// Problem is a bad value: Key is the path under lists (sources[0].url).
type Problem struct {
	Key, Msg string
}

// Problems checks the configuration; messages name the key as
// lists.KEY and never quote a secret.
func (c Configuration) Problems() []Problem {
	var ps []Problem
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	if len(c.Sources) > 0 && c.StateDir == "" {
		add("state_dir", "lists.state_dir: empty: want a folder for the cache of the lists")
	}
	if len(c.Sources) > MaxSources {
		add("sources", "lists.sources: %d sources: want at most %d", len(c.Sources), MaxSources)
	}
	seen := map[string]int{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		where := fmt.Sprintf("lists.sources[%d]", i)
		if s.Name == "" {
			add(key+".name", "%s.name: missing: want the list's name as rules name it", where)
		} else if msg := checkName(s.Name); msg != "" {
			add(key+".name", "%s.name: %s", where, msg)
		} else if j, dup := seen[s.Name]; dup {
			add(key+".name", "%s.name %q: also the name of lists.sources[%d]", where, s.Name, j)
		} else {
			seen[s.Name] = i
		}
		if _, err := s.parseURL(); err != nil {
			add(key+".url", "%s.url: %v", where, err)
		}
		if !slices.Contains(Formats, s.Format) && s.Format != "" {
			add(key+".format", "%s.format %q: want one of %s", where, excerpt(s.Format), strings.Join(Formats, ", "))
		}
		if s.Refresh != 0 && (s.Refresh < MinRefresh || s.Refresh > MaxRefresh) {
			add(key+".refresh", "%s.refresh %s: want %s to %s", where, s.Refresh, MinRefresh, MaxRefresh)
		}
		if s.MaxBytes != 0 && (s.MaxBytes < 1 || s.MaxBytes > MaxMaxBytes) {
			add(key+".max_bytes", "%s.max_bytes %d: want 1 to %d", where, s.MaxBytes, int64(MaxMaxBytes))
		}
		if s.Timeout != 0 && (s.Timeout < time.Second || s.Timeout > MaxTimeout) {
			add(key+".timeout", "%s.timeout %s: want 1s to %s", where, s.Timeout, MaxTimeout)
		}
		if s.Token != "" && (s.User != "" || s.Password != "") {
			add(key+".token", "%s: give token or user and password, not both", where)
		}
		if s.Password != "" && s.User == "" {
			add(key+".user", "%s: password without user", where)
		}
	}
	return ps
}

// effective fills in the defaults.
func (s SourceConfig) effective() SourceConfig {
	if s.Format == "" {
		s.Format = "auto"
	}
	if s.Refresh == 0 {
		s.Refresh = DefaultRefresh
	}
	if s.MaxBytes == 0 {
		s.MaxBytes = DefaultMaxBytes
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	return s
}

// parseURL checks the URL: http(s), a host, no fragment; plain http only
// to a loopback address or with allow_http. Errors never quote the URL.
func (s SourceConfig) parseURL() (*url.URL, error) {
	if s.URL == "" {
		return nil, fmt.Errorf("missing: want the https URL of the list")
	}
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("not a URL: want https://HOST/PATH")
	}
	if u.Fragment != "" || strings.Contains(s.URL, "#") {
		return nil, fmt.Errorf("a fragment (#…) is never sent to the server: remove it")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !s.AllowHTTP && !loopback.Host(u.Hostname()) {
			// An '@' after the host means credentials typed with a raw
			// '?' or '/': what url.Parse took for the host is part of
			// them, so it is not quoted.
			host := u.Hostname()
			if strings.Contains(u.RawQuery, "@") || strings.Contains(u.Path, "@") {
				host = "a host that is not loopback"
			}
			return nil, fmt.Errorf("plain http to %s: the list could be changed on the way; use https, or set allow_http", host)
		}
	default:
		return nil, fmt.Errorf("scheme %q: want https", excerpt(u.Scheme))
	}
	if s.Format == FormatTAXII && !strings.Contains(u.Path, "/collections/") {
		return nil, fmt.Errorf("a TAXII source's URL is the collection's: https://HOST/API-ROOT/collections/ID/")
	}
	return u, nil
}

// checkName is rules' list name check: letters, digits, then also _ - .
func checkName(name string) string {
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && (c == '_' || c == '-' || c == '.')
		if !ok {
			return fmt.Sprintf("bad list name %q: want letters, digits, _, - or .", excerpt(name))
		}
	}
	if len(name) > 64 {
		return "name longer than 64 bytes"
	}
	return ""
}

// excerpt is a short, printable token of s for messages.
func excerpt(s string) string {
	const max = 32
	var b strings.Builder
	for i, r := range s {
		if i >= max {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || r == '\ufffd' {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Redacted is c for printing (config check): each source with its
// defaults filled in, URLs in their redacted form, passwords and tokens
// replaced.
func (c Configuration) Redacted() Configuration {
	r := c
	r.Sources = make([]SourceConfig, len(c.Sources))
	for i, s := range c.Sources {
		s = s.effective()
		if s.URL != "" {
			s.URL = redact.ForeignURL(s.URL)
		}
		if s.Password != "" {
			s.Password = redact.Marker
		}
		if s.Token != "" {
			s.Token = redact.Marker
		}
		r.Sources[i] = s
	}
	return r
}
