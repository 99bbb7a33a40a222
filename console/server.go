package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/reload"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

//go:embed assets/console.js assets/console.css
var static embed.FS

//go:embed assets/index.html
var indexHTML string

// Timing of the live stream.
const (
	// StreamWriteTimeout is how long one write to a stream may take: a
	// client that reads nothing for that long is disconnected (counted
	// as stalled); until then its ring bounds what waits for it.
	StreamWriteTimeout = 10 * time.Second
	heartbeat          = 15 * time.Second
	maxStreamBatch     = 64 // events per write
)

// SecurityHeaders are set on every console response: no inline script or
// style, no framing, no referrer, no MIME sniffing.
var SecurityHeaders = map[string]string{
	"Content-Security-Policy":      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
}

// Server serves the console: the page, its assets and the JSON endpoints.
type Server struct {
	hub *Hub
	src Sources
	// cfg is the configuration in force: as at start, with the Auth of
	// the last reload that committed. Only reloads (one at a time) use it.
	cfg      Configuration
	creds    atomic.Pointer[credentials] // nil: no authentication
	listen   string                      // the metrics listener (Serve's), for CheckListen
	log      zerolog.Logger
	index    []byte
	rates    rater
	authFail atomic.Uint64
	now      func() time.Time
	// writeTimeout is StreamWriteTimeout (shorter in tests).
	writeTimeout time.Duration
	// heartbeat is how often an idle stream gets a keepalive (an hour
	// in the browser tests: an alert that waited for it would not come).
	heartbeat time.Duration
}

// New builds the console over hub and src. It reads the password file
// (cfg.Auth) and renders the page once.
func New(cfg Configuration, hub *Hub, src Sources) (*Server, error) {
	creds, err := cfg.loadAuth()
	if err != nil {
		return nil, err
	}
	w, err := LoadWorld()
	if err != nil {
		return nil, err
	}
	var m, title, h1 htmlWriter
	m.writeMap(w.mapSVG(nil, "World map: remote countries shaded by the selected measure"))
	if src.SensorName != "" {
		title.raw(" — ")
		title.text(src.SensorName)
		h1.raw(` <span class="sensor">`)
		h1.text(src.SensorName)
		h1.raw("</span>")
	}
	page := strings.NewReplacer("<!--map-->", m.String(), "<!--sensor-title-->", title.String(), "<!--sensor-h1-->", h1.String()).Replace(indexHTML)
	s := &Server{hub: hub, src: src, cfg: cfg, index: []byte(page), now: time.Now, writeTimeout: StreamWriteTimeout, heartbeat: heartbeat, log: zerolog.Nop()}
	s.creds.Store(creds)
	return s, nil
}

// ReloadTarget is the console's part of a reload (SIGHUP). next, when not
// nil, returns the console section the reload read from the configuration
// file; nil keeps the one of the start. Prepare takes console.auth from it
// — a new username, a new password_file path, authentication turned on or
// off — and reads the password file (bounded as at start); Commit puts
// the new credentials in force. Authentication turned off on a listener
// that is not loopback fails the reload, as it fails the start; so does a
// password file that cannot be read or is not one non-empty line. A failed
// reload keeps the credentials in force; its error names the setting and
// the file, never the password. The other console settings (enabled, tls,
// client_buffer, max_clients) are the listener's and the hub's, made at
// start: a change to them is logged at the commit, naming the setting,
// and takes effect at the next restart.
func (s *Server) ReloadTarget(next func() Configuration) reload.Target {
	return reload.Target{Name: "console", Prepare: func(*rules.Set, *geo.Table) (reload.Change, error) {
		cfg := s.cfg
		var fixed []string
		if next != nil {
			n := next()
			cfg.Auth = n.Auth
			fixed = s.cfg.restartOnly(&n)
		}
		if err := cfg.CheckListen(s.listen); err != nil {
			return nil, err
		}
		creds, err := cfg.loadAuth()
		if err != nil {
			return nil, err
		}
		return credsChange{s, cfg, creds, fixed}, nil
	}}
}

// restartOnly names the settings of n that differ from c and take effect
// only at a restart.
func (c *Configuration) restartOnly(n *Configuration) []string {
	var names []string
	if c.Enabled != n.Enabled {
		names = append(names, "console.enabled")
	}
	if c.TLS != n.TLS {
		names = append(names, "console.tls")
	}
	if c.ClientBuffer != n.ClientBuffer {
		names = append(names, "console.client_buffer")
	}
	if c.MaxClients != n.MaxClients {
		names = append(names, "console.max_clients")
	}
	return names
}

// credsChange is the authentication a reload's Prepare read.
type credsChange struct {
	s     *Server
	cfg   Configuration
	creds *credentials
	fixed []string // settings changed that take effect at a restart
}

func (c credsChange) Commit() error {
	old := c.s.cfg.Auth
	c.s.cfg = c.cfg
	c.s.creds.Store(c.creds)
	var changed []string
	if old.Username != c.cfg.Auth.Username {
		changed = append(changed, "console.auth.username")
	}
	if old.PasswordFile != c.cfg.Auth.PasswordFile {
		changed = append(changed, "console.auth.password_file")
	}
	if len(changed) > 0 {
		c.s.log.Info().Strs("changed", changed).Bool("auth", c.creds != nil).Msg("console authentication reconfigured")
	}
	for _, name := range c.fixed {
		c.s.log.Warn().Str("setting", name).
			Msg("console setting changed in the configuration file: it takes effect at the next restart; the running value stays")
	}
	return nil
}

func (credsChange) Abort() error { return nil }

// Handler serves the console under /: the page at /, /assets/,
// /api/snapshot, /api/alerts and /api/stream. Only GET and HEAD.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(s.index)
	})
	mux.Handle("GET /assets/", http.FileServerFS(static))
	mux.HandleFunc("GET /api/snapshot", s.serveSnapshot)
	mux.HandleFunc("GET /api/alerts", s.serveAlerts)
	mux.HandleFunc("GET /api/stream", s.serveStream)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range SecurityHeaders {
			w.Header().Set(k, v)
		}
		if !s.authorized(r) {
			s.authFail.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="borderwatch console", charset="UTF-8"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	creds := s.creds.Load()
	if creds == nil {
		return true
	}
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	return subtle.ConstantTimeCompare(uh[:], creds.user[:])&subtle.ConstantTimeCompare(ph[:], creds.pass[:]) == 1
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serveSnapshot(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, s.snapshot(s.now()))
}

// serveAlerts is the last alerts (at most RecentAlerts, or limit), oldest
// first, as a JSON array of EVE records.
func (s *Server) serveAlerts(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query().Get)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n := RecentAlerts
	if l := r.URL.Query().Get("limit"); l != "" {
		if n, err = strconv.Atoi(l); err != nil || n < 1 || n > RecentAlerts {
			http.Error(w, "parameter limit: want 1 to "+strconv.Itoa(RecentAlerts), http.StatusBadRequest)
			return
		}
	}
	evs := s.hub.recentEvents(f, n)
	out := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		out[i] = e.data
	}
	writeJSON(w, out)
}

// serveStream is the live alert stream (server-sent events): "alert"
// events whose data is one EVE record and whose id is the alert's
// sequence number, and a "dropped" event with this stream's drop count
// whenever its ring lost alerts. ?recent=N first sends the last N alerts.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query().Get)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	recent := 0
	if v := r.URL.Query().Get("recent"); v != "" {
		if recent, err = strconv.Atoi(v); err != nil || recent < 0 || recent > RecentAlerts {
			http.Error(w, "parameter recent: want 0 to "+strconv.Itoa(RecentAlerts), http.StatusBadRequest)
			return
		}
	}
	c := s.hub.subscribe(f)
	if c == nil {
		w.Header().Set("Retry-After", "10")
		http.Error(w, "too many open streams", http.StatusServiceUnavailable)
		return
	}
	defer s.hub.unsubscribe(c)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	var (
		buf      []byte
		batch    []*event
		reported uint64
		lastSeq  uint64
	)
	send := func(evs []*event, dropped uint64) bool {
		buf = buf[:0]
		for _, e := range evs {
			if e.seq <= lastSeq {
				continue // already sent with the recent ones
			}
			lastSeq = e.seq
			buf = append(buf, "id: "...)
			buf = strconv.AppendUint(buf, e.seq, 10)
			buf = append(buf, "\nevent: alert\ndata: "...)
			buf = append(buf, e.data...)
			buf = append(buf, "\n\n"...)
		}
		if dropped != reported {
			reported = dropped
			buf = append(buf, "event: dropped\ndata: {\"dropped\":"...)
			buf = strconv.AppendUint(buf, dropped, 10)
			buf = append(buf, "}\n\n"...)
		}
		if len(buf) == 0 {
			buf = append(buf, ": keepalive\n\n"...)
		}
		_ = rc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
		if _, err := w.Write(buf); err != nil {
			if isTimeout(err) {
				s.hub.stalled.Add(1)
			}
			return false
		}
		if err := rc.Flush(); err != nil {
			if isTimeout(err) {
				s.hub.stalled.Add(1)
			}
			return false
		}
		return true
	}
	first := append([]byte("retry: 2000\n"), ": borderwatch alert stream\n\n"...)
	_ = rc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	if _, err := w.Write(first); err != nil || rc.Flush() != nil {
		return
	}
	if recent > 0 {
		if !send(s.hub.recentEvents(f, recent), 0) {
			return
		}
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.wake:
		case <-tick.C:
		}
		var dropped uint64
		batch, dropped = s.hub.take(c, batch[:0])
		for i := 0; i == 0 || i < len(batch); i += maxStreamBatch {
			if !send(batch[i:min(i+maxStreamBatch, len(batch))], dropped) {
				return
			}
		}
		clear(batch)
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// Collector exports the console's counters to /metrics.
func (s *Server) Collector() prometheus.Collector { return (*collector)(s) }

type collector Server

var (
	dPublished = prometheus.NewDesc("borderwatch_console_alerts_published_total", "Alerts published to the console's live streams.", nil, nil)
	dClients   = prometheus.NewDesc("borderwatch_console_streams", "Live alert streams open now.", nil, nil)
	dDropped   = prometheus.NewDesc("borderwatch_console_stream_dropped_total", "Alerts a live stream lost because its client read too slowly (its ring of console.client_buffer alerts was full; the oldest went).", nil, nil)
	dStalled   = prometheus.NewDesc("borderwatch_console_stream_stalled_total", "Live streams closed because a write took longer than the stream write timeout.", nil, nil)
	dRefused   = prometheus.NewDesc("borderwatch_console_stream_refused_total", "Live streams refused because console.max_clients were open.", nil, nil)
	dAuthFail  = prometheus.NewDesc("borderwatch_console_auth_failures_total", "Console requests refused for missing or wrong credentials.", nil, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dPublished, dClients, dDropped, dStalled, dRefused, dAuthFail} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.hub.Stats()
	ch <- prometheus.MustNewConstMetric(dPublished, prometheus.CounterValue, float64(st.Published))
	ch <- prometheus.MustNewConstMetric(dClients, prometheus.GaugeValue, float64(st.Clients))
	ch <- prometheus.MustNewConstMetric(dDropped, prometheus.CounterValue, float64(st.ClientDrops))
	ch <- prometheus.MustNewConstMetric(dStalled, prometheus.CounterValue, float64(st.Stalled))
	ch <- prometheus.MustNewConstMetric(dRefused, prometheus.CounterValue, float64(st.Refused))
	ch <- prometheus.MustNewConstMetric(dAuthFail, prometheus.CounterValue, float64(c.authFail.Load()))
}
