package console

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// RecentAlerts is how many alerts the hub keeps for new pages and
// /api/alerts.
const RecentAlerts = 500

// event is one published alert: its EVE line and the fields filters use.
type event struct {
	seq      uint64
	kind     string
	src, dst string // countries, "" unknown
	dir      string // jurisdiction direction
	severity int
	data     []byte // EVE JSON, no newline
}

// Filter selects alerts of the stream; zero fields match everything.
type Filter struct {
	Kinds       []string // any of these kinds
	Country     string   // source or destination country
	Direction   string   // jurisdiction direction: inbound, outbound, internal, transit
	MinSeverity int      // severity 1 (highest) to MinSeverity; 0 is all
}

func (f *Filter) match(e *event) bool {
	if len(f.Kinds) > 0 {
		ok := false
		for _, k := range f.Kinds {
			ok = ok || k == e.kind
		}
		if !ok {
			return false
		}
	}
	if f.Country != "" && f.Country != e.src && f.Country != e.dst {
		return false
	}
	if f.Direction != "" && f.Direction != e.dir {
		return false
	}
	return f.MinSeverity == 0 || e.severity <= f.MinSeverity
}

// client is one open stream: a ring of at most cap events; when full the
// oldest is dropped and counted.
type client struct {
	filter  Filter
	ring    []*event
	head, n int
	dropped uint64        // under Hub.mu
	wake    chan struct{} // capacity 1
}

func (c *client) push(e *event) {
	if c.n == len(c.ring) {
		c.ring[c.head] = e // overwrite the oldest
		c.head = (c.head + 1) % len(c.ring)
		c.dropped++
		return
	}
	c.ring[(c.head+c.n)%len(c.ring)] = e
	c.n++
}

// CountryAlerts are the alerts of one remote country.
type CountryAlerts struct {
	In  uint64 `json:"in"`  // inbound alerts, the country is the source
	Out uint64 `json:"out"` // outbound alerts, the country is the destination
}

// Hub fans alerts out to the live streams. Publish never blocks on a
// client: each client has a bounded ring, and a slow or stalled one loses
// its oldest alerts (counted) while the pipeline goes on.
type Hub struct {
	bufLen, maxClients int

	mu        sync.Mutex
	seq       uint64
	recent    [RecentAlerts]*event
	rHead     int
	rLen      int
	clients   map[*client]struct{}
	countries map[string]*CountryAlerts // by remote country code
	kinds     map[string]uint64

	published   atomic.Uint64
	encodeErrs  atomic.Uint64
	clientDrops atomic.Uint64 // alerts dropped from full client rings
	stalled     atomic.Uint64 // clients disconnected because a write timed out
	refused     atomic.Uint64 // streams refused: MaxClients open
}

// NewHub returns a hub with cfg's client bounds.
func NewHub(cfg Configuration) *Hub {
	d := DefaultConfiguration()
	if cfg.ClientBuffer < 1 {
		cfg.ClientBuffer = d.ClientBuffer
	}
	if cfg.MaxClients < 1 {
		cfg.MaxClients = d.MaxClients
	}
	return &Hub{bufLen: cfg.ClientBuffer, maxClients: cfg.MaxClients, clients: map[*client]struct{}{},
		countries: map[string]*CountryAlerts{}, kinds: map[string]uint64{}}
}

// Wrap returns a pipeline sink that publishes each alert, then passes it
// on to next (nil: publish only). A nil hub (no console) returns next.
func (h *Hub) Wrap(next pipeline.Sink) pipeline.Sink {
	if h == nil {
		return next
	}
	return pipeline.SinkFunc(func(a *alert.Alert) error {
		h.Publish(a)
		if next == nil {
			return nil
		}
		return next.Write(a)
	})
}

// countryCode is a two-letter code or "" (the alert's strings are the
// sensor's own, but the hub keys maps by them: keep the keys bounded).
func countryCode(s string) string {
	if len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	return ""
}

// Publish encodes a (EVE) and hands it to every matching stream. It takes
// the hub's lock for a few map and ring updates per client and never
// waits for a client.
func (h *Hub) Publish(a *alert.Alert) {
	data, err := alert.AppendEVE(nil, a)
	if err != nil {
		h.encodeErrs.Add(1)
		return
	}
	if n := len(data); n > 0 && data[n-1] == '\n' {
		data = data[:n-1]
	}
	e := &event{kind: a.Kind, src: countryCode(a.Src.CountryISO), dst: countryCode(a.Dst.CountryISO), dir: a.GeoDir, severity: a.Severity, data: data}
	h.published.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.seq = h.seq
	h.recent[(h.rHead+h.rLen)%RecentAlerts] = e
	if h.rLen < RecentAlerts {
		h.rLen++
	} else {
		h.rHead = (h.rHead + 1) % RecentAlerts
	}
	if len(h.kinds) < 64 || h.kinds[e.kind] > 0 {
		h.kinds[e.kind]++
	}
	switch e.dir {
	case "inbound":
		h.country(e.src).In++
	case "outbound":
		h.country(e.dst).Out++
	}
	for c := range h.clients {
		if !c.filter.match(e) {
			continue
		}
		before := c.dropped
		c.push(e)
		if c.dropped != before {
			h.clientDrops.Add(1)
		}
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

func (h *Hub) country(code string) *CountryAlerts {
	if code == "" {
		code = "??"
	}
	c := h.countries[code]
	if c == nil {
		c = &CountryAlerts{}
		h.countries[code] = c
	}
	return c
}

// subscribe opens a stream; nil when MaxClients are open.
func (h *Hub) subscribe(f Filter) *client {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= h.maxClients {
		h.refused.Add(1)
		return nil
	}
	c := &client{filter: f, ring: make([]*event, h.bufLen), wake: make(chan struct{}, 1)}
	h.clients[c] = struct{}{}
	return c
}

func (h *Hub) unsubscribe(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// take moves the client's waiting events into dst and returns them with
// the client's drop count so far.
func (h *Hub) take(c *client, dst []*event) ([]*event, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c.n > 0 {
		dst = append(dst, c.ring[c.head])
		c.ring[c.head] = nil
		c.head = (c.head + 1) % len(c.ring)
		c.n--
	}
	return dst, c.dropped
}

// recentEvents are the last alerts, oldest first, that match f; at most n.
func (h *Hub) recentEvents(f Filter, n int) []*event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*event
	for i := h.rLen - 1; i >= 0 && len(out) < n; i-- {
		if e := h.recent[(h.rHead+i)%RecentAlerts]; f.match(e) {
			out = append(out, e)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// HubStats are the hub's counters.
type HubStats struct {
	Published   uint64 `json:"published"`
	Clients     int    `json:"clients"`
	ClientDrops uint64 `json:"client_drops"`
	Stalled     uint64 `json:"stalled_disconnects"`
	Refused     uint64 `json:"refused_streams"`
	EncodeErrs  uint64 `json:"encode_errors"`
	ClientBuf   int    `json:"client_buffer"`
	MaxClients  int    `json:"max_clients"`
}

// Stats returns the counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	n := len(h.clients)
	h.mu.Unlock()
	return HubStats{Published: h.published.Load(), Clients: n, ClientDrops: h.clientDrops.Load(), Stalled: h.stalled.Load(),
		Refused: h.refused.Load(), EncodeErrs: h.encodeErrs.Load(), ClientBuf: h.bufLen, MaxClients: h.maxClients}
}

// alertCounts copies the per-country and per-kind alert counts.
func (h *Hub) alertCounts() (map[string]CountryAlerts, map[string]uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := make(map[string]CountryAlerts, len(h.countries))
	for k, v := range h.countries {
		cs[k] = *v
	}
	ks := make(map[string]uint64, len(h.kinds))
	for k, v := range h.kinds {
		ks[k] = v
	}
	return cs, ks
}

// ParseFilter reads a filter from query values: kind (comma-separated),
// country, direction, min_severity. Bad values are an error naming the
// parameter.
func ParseFilter(get func(string) string) (Filter, error) {
	var f Filter
	if k := get("kind"); k != "" {
		if len(k) > 256 {
			return f, errParam("kind", "longer than 256 bytes")
		}
		for _, s := range strings.Split(k, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.Kinds = append(f.Kinds, s)
			}
		}
	}
	if c := get("country"); c != "" {
		c = strings.ToUpper(c)
		if countryCode(c) == "" {
			return f, errParam("country", "want a two-letter code")
		}
		f.Country = c
	}
	switch d := get("direction"); d {
	case "", "inbound", "outbound", "internal", "transit":
		f.Direction = d
	default:
		return f, errParam("direction", "want inbound, outbound, internal or transit")
	}
	if s := get("min_severity"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 255 {
			return f, errParam("min_severity", "want 1 to 255")
		}
		f.MinSeverity = n
	}
	return f, nil
}

type paramError struct{ name, why string }

func (e *paramError) Error() string { return "parameter " + e.name + ": " + e.why }

func errParam(name, why string) error { return &paramError{name, why} }
