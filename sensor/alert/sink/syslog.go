package sink

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/rs/zerolog"
)

// SyslogConfig configures an RFC 5424 syslog output. The alert JSON is the
// MSG. Over UDP (RFC 5426) each alert is one datagram; over TCP and TLS
// (RFC 5425) messages use octet-counting framing (RFC 6587 3.4.1).
//
// PRI is Facility*8 + a syslog severity derived from the alert severity:
// 1 → crit (2), 2 → err (3), 3 → warning (4), anything else → notice (5).
// TIMESTAMP is the wall-clock time the alert was queued (the capture time
// is in the JSON), PROCID the sensor's pid, MSGID "alert", and there is no
// structured data. Receivers' message size limits apply (rsyslog's default
// is 8 KiB); a UDP datagram that is too large is lost.
type SyslogConfig struct {
	Common `yaml:",inline"`
	// Network is "udp", "tcp" or "tls".
	Network string `yaml:"network"`
	// Address is host:port (default port 514 for udp and tcp, 6514 for tls).
	Address string `yaml:"address"`
	// Facility is a name (kern, user, …, local0 … local7) or a number
	// 0–23; default local0.
	Facility string `yaml:"facility"`
	// AppName is the APP-NAME (default "borderwatch").
	AppName string `yaml:"app_name"`
	// Hostname is the HOSTNAME (default os.Hostname()).
	Hostname string `yaml:"hostname"`
	// TLS settings, for Network "tls".
	CAFile     string `yaml:"ca_file"`     // CA bundle to verify the server; default the system roots
	CertFile   string `yaml:"cert_file"`   // client certificate, optional
	KeyFile    string `yaml:"key_file"`    // its key
	ServerName string `yaml:"server_name"` // name to verify; default the host of Address
	// DialTimeout and WriteTimeout bound connects and writes (defaults 5s
	// and 10s).
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	Spool        SpoolConfig   `yaml:"spool"`
}

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "security": 13, "console": 14,
	"solaris-cron": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20,
	"local5": 21, "local6": 22, "local7": 23,
}

// facility returns the facility number.
func (c *SyslogConfig) facility() (int, error) {
	if c.Facility == "" {
		return 16, nil
	}
	if n, ok := facilities[c.Facility]; ok {
		return n, nil
	}
	if n, err := strconv.Atoi(c.Facility); err == nil && n >= 0 && n <= 23 {
		return n, nil
	}
	return 0, fmt.Errorf("facility %q: want kern … local7 or 0–23", c.Facility)
}

// Validate checks the settings.
func (c *SyslogConfig) Validate() error {
	what := "syslog output " + oneLine(c.Network+"://"+c.Address)
	if err := c.Common.validate(what); err != nil {
		return err
	}
	switch c.Network {
	case "udp", "tcp", "tls":
	default:
		return fmt.Errorf("%s: network %q: want udp, tcp or tls", what, c.Network)
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fmt.Errorf("%s: address: %s", what, oneLine(err.Error())) // the error quotes the address raw
	}
	if _, err := c.facility(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !printASCII(c.AppName, 48) || !printASCII(c.Hostname, 255) {
		return fmt.Errorf("%s: app_name (≤48) and hostname (≤255) must be printable ASCII without spaces", what)
	}
	if c.Network != "tls" && (c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "") {
		return fmt.Errorf("%s: TLS settings given for network %q", what, c.Network)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("%s: cert_file and key_file go together", what)
	}
	if c.DialTimeout < 0 || c.WriteTimeout < 0 {
		return fmt.Errorf("%s: timeouts must not be negative", what)
	}
	return c.Spool.validate(what)
}

// printASCII reports whether s is at most max printable US-ASCII
// characters without space (RFC 5424 PRINTUSASCII).
func printASCII(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// Open validates c and starts the output. It does not connect: the first
// connect happens in the background, so a down server is not an error here.
func (c *SyslogConfig) Open(log zerolog.Logger) (*Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	fac, _ := c.facility()
	host := c.Hostname
	if host == "" {
		h, err := os.Hostname()
		if err != nil || !printASCII(h, 255) || h == "" {
			h = "-"
		}
		host = h
	}
	app := c.AppName
	if app == "" {
		app = "borderwatch"
	}
	b := &syslogBackend{
		network:      c.Network,
		address:      c.Address,
		dialTimeout:  cmp.Or(c.DialTimeout, DefaultDialTimeout),
		writeTimeout: cmp.Or(c.WriteTimeout, DefaultWriteTimeout),
		facility:     fac,
		header:       " " + host + " " + app + " " + strconv.Itoa(os.Getpid()) + " alert - ",
	}
	if c.Network == "tls" {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		b.tls = tc
	}
	return newOutput("syslog", "syslog+"+c.Network+"://"+c.Address, &c.Common, b, c.Spool, log)
}

func (c *SyslogConfig) tlsConfig() (*tls.Config, error) {
	serverName := c.ServerName
	if serverName == "" {
		serverName, _, _ = net.SplitHostPort(c.Address)
	}
	return clientTLS("syslog output tls://"+oneLine(c.Address), serverName, c.CAFile, c.CertFile, c.KeyFile)
}

// parseSyslogURL parses syslog+udp|tcp|tls://host[:port]?…; "syslog://" is UDP.
func parseSyslogURL(s string, u *url.URL) (Config, error) {
	c := &SyslogConfig{Network: "udp"}
	if u.Scheme != "syslog" {
		c.Network = u.Scheme[len("syslog+"):]
	}
	port := "514"
	if c.Network == "tls" {
		port = "6514"
	}
	addr, err := splitHostPortDefault(u.Host, port)
	if err != nil {
		return nil, fmt.Errorf("output %q: %w", s, err)
	}
	if u.Path != "" && u.Path != "/" || u.User != nil {
		return nil, fmt.Errorf("output %q: syslog takes no path or user", s)
	}
	c.Address = addr
	p := params{out: s, q: u.Query()}
	p.common(&c.Common)
	p.spool(&c.Spool)
	p.strTo("facility", &c.Facility)
	p.strTo("app_name", &c.AppName)
	p.strTo("hostname", &c.Hostname)
	p.strTo("ca", &c.CAFile)
	p.strTo("cert", &c.CertFile)
	p.strTo("key", &c.KeyFile)
	p.strTo("server_name", &c.ServerName)
	p.durTo("dial_timeout", &c.DialTimeout)
	p.durTo("write_timeout", &c.WriteTimeout)
	if err := p.done(); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// syslogSeverity maps an alert severity to a syslog severity.
func syslogSeverity(sev int) int {
	switch sev {
	case 1:
		return 2 // crit
	case 2:
		return 3 // err
	case 3:
		return 4 // warning
	}
	return 5 // notice
}

// rfc5424Time is RFC 5424's TIMESTAMP with microseconds.
const rfc5424Time = "2006-01-02T15:04:05.000000Z07:00"

type syslogBackend struct {
	network, address          string
	dialTimeout, writeTimeout time.Duration
	tls                       *tls.Config
	facility                  int
	header                    string // " HOSTNAME APP-NAME PROCID MSGID SD "

	conn net.Conn
	buf  []byte
	ends []int // end of each message in buf
}

// frame builds the RFC 5424 message: <PRI>1 TIMESTAMP HOSTNAME APP-NAME
// PROCID MSGID STRUCTURED-DATA MSG.
func (b *syslogBackend) frame(dst []byte, a *alert.Alert, rec []byte) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(b.facility*8+syslogSeverity(a.Severity)), 10)
	dst = append(dst, ">1 "...)
	dst = time.Now().UTC().AppendFormat(dst, rfc5424Time)
	dst = append(dst, b.header...)
	return append(dst, rec...)
}

func (b *syslogBackend) connect(ctx context.Context) error {
	if b.conn != nil {
		return nil
	}
	d := &net.Dialer{Timeout: b.dialTimeout}
	var (
		c   net.Conn
		err error
	)
	if b.tls != nil {
		c, err = (&tls.Dialer{NetDialer: d, Config: b.tls}).DialContext(ctx, "tcp", b.address)
	} else {
		c, err = d.DialContext(ctx, b.network, b.address)
	}
	if err != nil {
		return fmt.Errorf("connecting to syslog: %w", err)
	}
	b.conn = c
	return nil
}

// write sends the entries and returns how many were sent whole. Over TCP
// and TLS a message cut short ends the connection (its framing is broken);
// the next connection starts with that message again. The drain deadline
// (ctx) cuts a blocked write short.
func (b *syslogBackend) write(ctx context.Context, entries [][]byte) (int, error) {
	if err := b.conn.SetWriteDeadline(time.Now().Add(b.writeTimeout)); err != nil {
		return 0, err
	}
	conn := b.conn
	stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	if b.network == "udp" {
		for i, e := range entries {
			if _, err := b.conn.Write(e); err != nil {
				return i, fmt.Errorf("sending to syslog: %w", err)
			}
		}
		return len(entries), nil
	}
	b.buf = b.buf[:0]
	b.ends = b.ends[:0]
	for _, e := range entries {
		b.buf = strconv.AppendInt(b.buf, int64(len(e)), 10)
		b.buf = append(b.buf, ' ')
		b.buf = append(b.buf, e...)
		b.ends = append(b.ends, len(b.buf))
	}
	n, err := b.conn.Write(b.buf)
	if err != nil {
		done := 0
		for done < len(b.ends) && b.ends[done] <= n {
			done++
		}
		return done, fmt.Errorf("sending to syslog: %w", err)
	}
	return len(entries), nil
}

func (b *syslogBackend) disconnect() {
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
}

func (b *syslogBackend) close(context.Context) error {
	if b.conn == nil {
		return nil
	}
	err := b.conn.Close()
	b.conn = nil
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
