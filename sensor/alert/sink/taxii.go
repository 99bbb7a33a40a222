package sink

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/borderwatch/borderwatch/internal/ratelog"
	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/borderwatch/borderwatch/internal/retryafter"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/share"
	"github.com/rs/zerolog"
)

// Defaults and bounds of a TAXII output.
const (
	// DefaultTAXIILinger is how long a TAXII output waits for more alerts
	// after the first one of a batch, so that one envelope carries many.
	DefaultTAXIILinger = time.Second
	// MaxTAXIILinger bounds linger.
	MaxTAXIILinger = time.Minute
	// maxSecretFile bounds a password or token file.
	maxSecretFile = 4 << 10
	// maxTAXIIReply bounds what is read of a server's reply.
	maxTAXIIReply = 1 << 20
	// maxValidFor bounds valid_for (ten years).
	maxValidFor = 10 * 365 * 24 * time.Hour
	// DefaultTAXIIHistory is how many addresses a TAXII output remembers
	// to update their objects (about 500 bytes each); MaxTAXIIHistory
	// bounds the setting.
	DefaultTAXIIHistory = 10_000
	MaxTAXIIHistory     = 1_000_000
)

// TAXIIConfig configures a TAXII 2.1 output: each batch of alerts becomes
// the STIX 2.1 objects `borderwatch share stix` makes of them (package
// share, with its sovereignty rules: home addresses, host names and rule
// messages stay home unless IncludeHome), POSTed as one envelope to the
// collection's objects endpoint. A batch is batch_size alerts or what
// came within linger of its first alert.
//
// Connecting reads the API root (its max_content_length: bigger envelopes
// are split before they are sent) and the collection (it must be
// can_write). A 413 reply splits the batch in halves; an alert whose
// objects alone are too large is dropped and counted (rejected). A 429
// or 503 reply waits its Retry-After (at most backoff_max); 401, 403, any other
// refusal, 5xx and network errors are an outage like any other output's:
// backoff, spool, one log line per interval. Alerts with nothing to share
// (no foreign address) are counted as withheld and not sent.
type TAXIIConfig struct {
	Common `yaml:",inline"`
	// Collection is the collection's URL,
	// https://HOST[:PORT]/API-ROOT/collections/ID/; plain http only to a
	// loopback address.
	Collection string `yaml:"collection"`
	// User is the HTTP Basic user; its password is Password, or read from
	// PasswordFile, or from the environment variable PasswordEnv (one of
	// them). A bearer token is read from TokenFile or TokenEnv instead.
	// Secrets are never logged or shown.
	User         string `yaml:"user"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	TokenFile    string `yaml:"token_file"`
	TokenEnv     string `yaml:"token_env"`
	// TLS settings, for https.
	CAFile     string `yaml:"ca_file"`     // CA bundle to verify the server; default the system roots
	CertFile   string `yaml:"cert_file"`   // client certificate, optional
	KeyFile    string `yaml:"key_file"`    // its key
	ServerName string `yaml:"server_name"` // name to verify; default the host of Collection
	// TLP is the TLP 2.0 level marking every object (default amber).
	TLP string `yaml:"tlp"`
	// Identity names the sharer (default "borderwatch sensor").
	Identity string `yaml:"identity"`
	// IncludeHome also shares the home side (share --include-home).
	IncludeHome bool `yaml:"include_home"`
	// ValidFor is how long an indicator stays valid after its last
	// sighting (default 30 days).
	ValidFor time.Duration `yaml:"valid_for"`
	// History is how many attacking addresses the output remembers (default
	// 10000), so that later alerts of one address update its indicator and
	// sighting (new versions of the same objects) instead of making new
	// ones; past it the address shared least recently is forgotten.
	History int `yaml:"history"`
	// Linger is how long a batch waits for more alerts after its first
	// (default 1s, at most 1m).
	Linger time.Duration `yaml:"linger"`
	// DialTimeout bounds connects, WriteTimeout each request (defaults 5s
	// and 10s).
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	Spool        SpoolConfig   `yaml:"spool"`
}

// collectionURLs checks Collection and returns the API root, the
// collection and its objects endpoint.
func (c *TAXIIConfig) collectionURLs() (root, coll, objects string, err error) {
	if strings.ContainsAny(c.Collection, "@?#") {
		// userinfo, a query or a fragment: refused without quoting them.
		return "", "", "", errors.New("collection: credentials, a query or a fragment are not allowed in the collection URL (and are not shown)")
	}
	u, err := share.ParseCollection(c.Collection)
	if err != nil {
		return "", "", "", errors.New(strings.TrimPrefix(err.Error(), "taxii: "))
	}
	objects = u.String()
	coll = strings.TrimSuffix(objects, "objects/")
	i := strings.LastIndex(coll, "/collections/")
	return coll[:i+1], coll, objects, nil
}

// name is the output's name: the collection URL with taxii:// for https
// and taxii+http:// for http; it never holds a secret.
func (c *TAXIIConfig) name() string {
	_, coll, _, err := c.collectionURLs()
	if err != nil {
		if strings.ContainsAny(c.Collection, "@?#") {
			return "taxii"
		}
		coll = c.Collection
	}
	if rest, ok := strings.CutPrefix(coll, "https://"); ok {
		return "taxii://" + rest
	}
	return "taxii+" + coll
}

// Validate checks the settings.
func (c *TAXIIConfig) Validate() error {
	what := "taxii output " + oneLine(c.name())
	if err := c.Common.validate(what); err != nil {
		return err
	}
	if _, _, _, err := c.collectionURLs(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	pw := 0
	for _, s := range []string{c.Password, c.PasswordFile, c.PasswordEnv} {
		if s != "" {
			pw++
		}
	}
	switch {
	case pw > 1:
		return fmt.Errorf("%s: give one of password, password_file and password_env", what)
	case pw == 1 && c.User == "":
		return fmt.Errorf("%s: a password without a user", what)
	case c.TokenFile != "" && c.TokenEnv != "":
		return fmt.Errorf("%s: give one of token_file and token_env", what)
	case (c.TokenFile != "" || c.TokenEnv != "") && c.User != "":
		return fmt.Errorf("%s: a user (HTTP Basic) and a token (Bearer) together", what)
	case strings.ContainsAny(c.User, ":\r\n") || len(c.User) > 256:
		return fmt.Errorf("%s: user: at most 256 characters, without ':' or line breaks", what)
	}
	for _, env := range []string{c.PasswordEnv, c.TokenEnv} {
		if env != "" && !envName(env) {
			return fmt.Errorf("%s: password_env and token_env name an environment variable ([A-Za-z_][A-Za-z0-9_]*)", what)
		}
	}
	if !strings.HasPrefix(c.Collection, "https://") && (c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "") {
		return fmt.Errorf("%s: TLS settings given for plain http", what)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("%s: cert_file and key_file go together", what)
	}
	if c.TLP != "" {
		if _, err := share.ParseTLP(c.TLP); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if len(c.Identity) > 256 || strings.ContainsFunc(c.Identity, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%s: identity: at most 256 characters, no control characters", what)
	}
	if c.ValidFor < 0 || c.ValidFor > maxValidFor {
		return fmt.Errorf("%s: valid_for %s: want 0 (default 30 days) up to %s", what, c.ValidFor, maxValidFor)
	}
	if c.History < 0 || c.History > MaxTAXIIHistory {
		return fmt.Errorf("%s: history %d: want 0 (default %d) up to %d", what, c.History, DefaultTAXIIHistory, MaxTAXIIHistory)
	}
	if c.Linger < 0 || c.Linger > MaxTAXIILinger {
		return fmt.Errorf("%s: linger %s: want 0 (default %s) up to %s", what, c.Linger, DefaultTAXIILinger, MaxTAXIILinger)
	}
	if c.DialTimeout < 0 || c.WriteTimeout < 0 {
		return fmt.Errorf("%s: timeouts must not be negative", what)
	}
	return c.Spool.validate(what)
}

func envName(s string) bool {
	for i, r := range s {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

// secret reads a password or token from a file or the environment; what
// names the setting in errors, which never quote the value.
func secret(what, file, env string) (string, error) {
	var v string
	switch {
	case file != "":
		b, err := boundedfile.Read(file, maxSecretFile)
		if err != nil {
			return "", fmt.Errorf("%s_file: %w", what, err)
		}
		v = strings.TrimRight(string(b), "\r\n")
	case env != "":
		var ok bool
		if v, ok = os.LookupEnv(env); !ok {
			return "", fmt.Errorf("%s_env: environment variable %s is not set", what, env)
		}
	default:
		return "", nil
	}
	if v == "" || strings.ContainsAny(v, "\r\n") {
		return "", fmt.Errorf("%s_%s: empty, or more than one line", what, map[bool]string{true: "file", false: "env"}[file != ""])
	}
	return v, nil
}

// Open validates c, reads its secrets and starts the output. It does not
// connect: a down server is not an error here.
func (c *TAXIIConfig) Open(log zerolog.Logger) (*Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	name := c.name()
	what := "taxii output " + oneLine(name)
	root, coll, objects, _ := c.collectionURLs()
	password := c.Password
	if password == "" {
		p, err := secret("password", c.PasswordFile, c.PasswordEnv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		password = p
	}
	token, err := secret("token", c.TokenFile, c.TokenEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	tr := &http.Transport{
		Proxy:                 nil, // a sensor talks to its TAXII server directly
		DialContext:           (&net.Dialer{Timeout: cmp.Or(c.DialTimeout, DefaultDialTimeout)}).DialContext,
		TLSHandshakeTimeout:   cmp.Or(c.DialTimeout, DefaultDialTimeout),
		ResponseHeaderTimeout: cmp.Or(c.WriteTimeout, DefaultWriteTimeout),
		MaxIdleConns:          2,
		IdleConnTimeout:       time.Minute,
		ForceAttemptHTTP2:     true,
	}
	if strings.HasPrefix(coll, "https://") {
		tc, err := c.tlsConfig(what)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = tc
	}
	tlp := share.DefaultTLP
	if c.TLP != "" {
		tlp, _ = share.ParseTLP(c.TLP)
	}
	b := &taxiiBackend{
		client: &http.Client{
			Transport: tr,
			// A redirect would carry the credentials elsewhere, or turn the
			// POST into a GET: refused.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		root: root, coll: coll, objects: objects,
		user: c.User, password: password, token: token,
		read:       share.Options{IncludeHome: c.IncludeHome},
		history:    share.NewHistory(cmp.Or(c.History, DefaultTAXIIHistory)),
		stix:       share.STIXOptions{TLP: tlp, Identity: c.Identity, ValidFor: c.ValidFor},
		timeout:    cmp.Or(c.WriteTimeout, DefaultWriteTimeout),
		lingerD:    cmp.Or(c.Linger, DefaultTAXIILinger),
		log:        log.With().Str("component", "alert-sink").Str("output", name).Logger(),
		refusalLog: ratelog.New(ErrorLogInterval),
		rejectLog:  ratelog.New(ErrorLogInterval),
	}
	return newOutput("taxii", name, &c.Common, b, c.Spool, log)
}

func (c *TAXIIConfig) tlsConfig(what string) (*tls.Config, error) {
	return clientTLS(what, c.ServerName, c.CAFile, c.CertFile, c.KeyFile)
}

// parseTAXIIURL parses taxii://[user[:password]@]host[:port]/API-ROOT/collections/ID/?…
// (https), taxii+https:// (the same) and taxii+http:// (plain http, to a
// loopback address only).
func parseTAXIIURL(s string, u *url.URL) (Config, error) {
	scheme := "https"
	if u.Scheme == "taxii+http" {
		scheme = "http"
	}
	if u.Host == "" {
		return nil, fmt.Errorf("output %q: missing host", s)
	}
	c := &TAXIIConfig{Collection: scheme + "://" + u.Host + u.EscapedPath()}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	p := params{out: s, q: u.Query()}
	p.common(&c.Common)
	p.spool(&c.Spool)
	p.strTo("user", &c.User)
	p.strTo("password_file", &c.PasswordFile)
	p.strTo("password_env", &c.PasswordEnv)
	p.strTo("token_file", &c.TokenFile)
	p.strTo("token_env", &c.TokenEnv)
	for _, k := range []string{"password", "token"} {
		if _, ok := p.str(k); ok {
			p.fail(k, redact.Marker, "a secret in the URL's query would be logged by proxies and shown by ps; use "+k+"_file or "+k+"_env")
		}
	}
	p.strTo("ca", &c.CAFile)
	p.strTo("cert", &c.CertFile)
	p.strTo("key", &c.KeyFile)
	p.strTo("server_name", &c.ServerName)
	p.strTo("tlp", &c.TLP)
	p.strTo("identity", &c.Identity)
	if v, ok := p.str("include_home"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			p.fail("include_home", v, "want true or false")
		}
		c.IncludeHome = b
	}
	p.durTo("valid_for", &c.ValidFor)
	p.intTo("history", &c.History)
	p.durTo("linger", &c.Linger)
	p.durTo("dial_timeout", &c.DialTimeout)
	p.durTo("write_timeout", &c.WriteTimeout)
	if err := p.done(); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// taxiiBackend turns each batch of alert lines into STIX objects and POSTs
// them as TAXII envelopes.
type taxiiBackend struct {
	client                *http.Client
	root, coll, objects   string
	user, password, token string
	read                  share.Options
	history               *share.History
	stix                  share.STIXOptions
	timeout               time.Duration
	lingerD               time.Duration
	log                   zerolog.Logger

	maxContent int           // the API root's max_content_length; 0: unknown
	retryWait  time.Duration // Retry-After of the last 429, until taken
	rejected   int           // alerts refused for good in the current write
	body       bytes.Buffer

	withheldN       atomic.Uint64
	objectsRefused  atomic.Uint64
	refusalLog      *ratelog.Limiter // of the refused-objects lines
	refusalsSinceLn uint64           // objects refused since the last line
	rejectLog       *ratelog.Limiter // of the too-large-alert lines
}

func (b *taxiiBackend) frame(dst []byte, _ *alert.Alert, rec []byte) []byte {
	return append(dst, rec...)
}

func (b *taxiiBackend) linger() time.Duration { return b.lingerD }

func (b *taxiiBackend) withheld() uint64 { return b.withheldN.Load() }

func (b *taxiiBackend) refusedObjects() uint64 { return b.objectsRefused.Load() }

func (b *taxiiBackend) takeRejected() int {
	n := b.rejected
	b.rejected = 0
	return n
}

func (b *taxiiBackend) retryAfter() time.Duration {
	d := b.retryWait
	b.retryWait = 0
	return d
}

// taxiiStatusError is a refusal by the server.
type taxiiStatusError struct {
	op     string
	status int
	title  string
}

func (e *taxiiStatusError) Error() string {
	s := "taxii " + e.op + ": HTTP " + strconv.Itoa(e.status) + " " + http.StatusText(e.status)
	switch e.status {
	case http.StatusUnauthorized:
		s += " (check the user and password or token)"
	case http.StatusForbidden:
		s += " (the account may not do this on the collection)"
	}
	if e.title != "" {
		s += ": " + e.title
	}
	return s
}

// request makes one request with the TAXII headers and the credentials,
// bounded by the write timeout, and returns the status and the reply (at
// most maxTAXIIReply bytes).
func (b *taxiiBackend) request(ctx context.Context, op, method, u string, body []byte) (int, []byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	req, err := share.NewTAXIIRequest(ctx, method, u, body, b.user, b.password, b.token)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("taxii %s: %w", op, err)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("taxii %s: %w", op, redact.Error(err))
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxTAXIIReply))
	if err != nil {
		return resp.StatusCode, nil, nil, fmt.Errorf("taxii %s: reading the reply: %w", op, err)
	}
	return resp.StatusCode, reply, resp.Header, nil
}

// connect reads the API root (max_content_length) and checks that the
// collection takes writes.
func (b *taxiiBackend) connect(ctx context.Context) error {
	code, reply, _, err := b.request(ctx, "api root", http.MethodGet, b.root, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return &taxiiStatusError{op: "api root", status: code, title: share.TAXIIErrorTitle(reply)}
	}
	var ar struct {
		MaxContentLength int64 `json:"max_content_length"`
	}
	if err := json.Unmarshal(reply, &ar); err != nil {
		return errors.New("taxii api root: the reply is not a TAXII API root resource")
	}
	b.maxContent = int(min(max(ar.MaxContentLength, 0), 1<<40))
	code, reply, _, err = b.request(ctx, "collection", http.MethodGet, b.coll, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return &taxiiStatusError{op: "collection", status: code, title: share.TAXIIErrorTitle(reply)}
	}
	var col struct {
		CanWrite *bool `json:"can_write"`
	}
	if err := json.Unmarshal(reply, &col); err != nil || col.CanWrite == nil {
		return errors.New("taxii collection: the reply is not a TAXII collection resource")
	}
	if !*col.CanWrite {
		return errors.New("taxii collection: can_write is false: the account may not add objects to this collection")
	}
	return nil
}

// errTooLarge is a 413 reply, or an envelope over max_content_length.
var errTooLarge = errors.New("taxii: envelope too large")

// write delivers entries as one envelope or, when too large, halves. It
// returns how many of the first entries were handled: sent, withheld (no
// foreign address) or rejected (counted by takeRejected).
func (b *taxiiBackend) write(ctx context.Context, entries [][]byte) (int, error) {
	n, err := b.post(ctx, entries)
	return n, err
}

func (b *taxiiBackend) post(ctx context.Context, entries [][]byte) (int, error) {
	body, commit, shared, bad, err := b.envelope(entries)
	if err != nil {
		return 0, err
	}
	if shared == 0 {
		b.withheldN.Add(uint64(len(entries) - bad))
		b.rejected += bad
		return len(entries), nil
	}
	if b.maxContent > 0 && len(body) > b.maxContent {
		err = errTooLarge
	} else {
		err = b.send(ctx, body)
	}
	if errors.Is(err, errTooLarge) {
		if len(entries) == 1 {
			b.rejected++
			if skipped, ok := b.rejectLog.Allow(); ok {
				b.log.Warn().Int("bytes", len(body)).Int("max_content_length", b.maxContent).Uint64("alerts", skipped+1).
					Msg("the STIX objects of one alert are larger than the TAXII server takes; alerts dropped (rejected) since the last line")
			}
			return 1, nil
		}
		half := len(entries) / 2
		n, err := b.post(ctx, entries[:half])
		if err != nil {
			return n, err
		}
		m, err := b.post(ctx, entries[half:])
		return half + m, err
	}
	if err != nil {
		return 0, err
	}
	commit()
	b.withheldN.Add(uint64(len(entries) - shared - bad))
	b.rejected += bad
	return len(entries), nil
}

// envelope makes the envelope of entries' STIX objects, the sightings
// made cumulative by the history; commit records them in the history once
// delivered. shared is the number of alerts it carries, bad the lines
// share could not read (a bug: they are the sensor's own records).
func (b *taxiiBackend) envelope(entries [][]byte) (body []byte, commit func(), shared, bad int, err error) {
	r := share.NewReader(b.read)
	b.body.Reset()
	for _, e := range entries {
		b.body.Write(e)
		b.body.WriteByte('\n')
	}
	if err := r.ReadFrom("alerts", &b.body); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("taxii: reading the batch: %w", err)
	}
	res := r.Result()
	if res.Shared == 0 {
		return nil, nil, 0, res.BadCount, nil
	}
	commit = b.history.Apply(res)
	bundle, err := share.STIX(res, b.stix)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("taxii: %w", err)
	}
	body, err = json.Marshal(struct {
		Objects []map[string]any `json:"objects"`
	}{bundle.Objects})
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("taxii: encoding the envelope: %w", err)
	}
	return body, commit, res.Shared, res.BadCount, nil
}

// send POSTs one envelope.
func (b *taxiiBackend) send(ctx context.Context, body []byte) error {
	code, reply, h, err := b.request(ctx, "add objects", http.MethodPost, b.objects, body)
	if err != nil {
		return err
	}
	switch code {
	case http.StatusAccepted, http.StatusOK:
	case http.StatusRequestEntityTooLarge:
		return errTooLarge
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		// Both may say when to come back (RFC 9110 10.2.3).
		b.retryWait, _ = retryafter.Parse(h.Get("Retry-After"), time.Now())
		fallthrough
	default:
		return &taxiiStatusError{op: "add objects", status: code, title: share.TAXIIErrorTitle(reply)}
	}
	var st struct {
		ID           string `json:"id"`
		FailureCount int64  `json:"failure_count"`
	}
	if err := json.Unmarshal(reply, &st); err != nil || st.ID == "" {
		return fmt.Errorf("taxii add objects: HTTP %d, but the reply is not a TAXII status resource", code)
	}
	if st.FailureCount > 0 {
		b.refused(uint64(st.FailureCount))
	}
	return nil
}

// refused counts objects the server's status reports failed, and logs
// them at most once per ErrorLogInterval.
func (b *taxiiBackend) refused(n uint64) {
	b.objectsRefused.Add(n)
	b.refusalsSinceLn += n
	if _, ok := b.refusalLog.Allow(); ok {
		b.log.Warn().Uint64("objects", b.refusalsSinceLn).Uint64("total", b.objectsRefused.Load()).
			Msg("the TAXII server refused objects of an envelope (status failures)")
		b.refusalsSinceLn = 0
	}
}

func (b *taxiiBackend) disconnect() { b.client.CloseIdleConnections() }

func (b *taxiiBackend) close(context.Context) error {
	b.client.CloseIdleConnections()
	return nil
}
