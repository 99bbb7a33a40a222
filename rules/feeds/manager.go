package feeds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/internal/ratelog"
	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/borderwatch/borderwatch/rules"
)

// Retry and logging of failed updates.
const (
	minRetry = time.Minute // the first retry after a failure; it doubles up to the refresh
	// logEvery is how often the same failure of a source is logged again
	// (with the count of those not logged).
	logEvery = time.Hour
	// parallel is how many sources Update and Run fetch at once.
	parallel = 4
	// defaultSettle is how long Run waits, after an update changed a list,
	// for the other updates still running before it reloads: changes that
	// arrive together make one reload, and a slow source delays the
	// others' changes by this at most.
	defaultSettle = 2 * time.Second
)

// Outcomes of an update.
const (
	OutcomeUpdated     = "updated"      // a 200: the list was read (changed or not)
	OutcomeNotModified = "not_modified" // a 304: the list is current
	OutcomeFailed      = "failed"       // the last good list stays
)

// Manager keeps the lists of the configured sources. Its methods are safe
// for concurrent use.
type Manager struct {
	log zerolog.Logger
	now func() time.Time

	mu     sync.Mutex
	srcs   []*source     // the sources in force, in the configuration's order
	cfg    Configuration // their configuration
	staged *staged       // sources of another configuration, for the reload under way (ListsFor)
	wake   chan struct{} // tells Run that the sources changed
	// bound is set by Bind: the running rules take a changed list only
	// through a reload's commit (Prepare), so the list in force (status,
	// metrics) is the committed one. Unbound (lists update, lists status,
	// replay), the list in force is the last good one fetched or cached.
	bound atomic.Bool
	// settle is how long Run waits, after a change, for the updates
	// still running before it reloads anyway.
	settle time.Duration
	// withTimeout bounds an update (context.WithTimeout); tests replace
	// it, with now, by a clock of their own.
	withTimeout func(context.Context, time.Duration) (context.Context, context.CancelFunc)
	// handled, when set (tests), is told each source whose update Run
	// has taken in, so that a test knows what Run has seen.
	handled func(name string)
}

// source is one list source and its state.
type source struct {
	cfg    SourceConfig // with the defaults filled in
	u      *url.URL
	shown  string // the redacted URL
	id     string // sourceID: in memory only
	client *client
	cache  cache

	mu   sync.Mutex
	list *rules.List // the last good list; empty before the first
	meta meta
	// The list in force (bound managers; see Manager.bound): the one of
	// the running rules, when it was last known current and last changed,
	// and why the last good list is not in force yet.
	active                     *rules.List
	activeChecked, activeSince time.Time
	pendingWhy                 string
	data                       []byte    // the last good data (the TAXII or MISP state)
	metaMod                    time.Time // NAME.json's modification time when last read or written
	nextAt                     time.Time
	// scheduled: Run has set nextAt (a source a reload added has not)
	scheduled bool
	retry     time.Duration // the server's Retry-After of the last failure
	// counts for the metrics
	outcomes map[string]uint64
	reasons  map[string]uint64
	// failure logging
	loggedMsg string           // the failure last logged; "" after a success
	failLog   *ratelog.Limiter // of the failure lines: once per logEvery
}

// Result is what Update did for one source.
type Result struct {
	Name    string
	Source  string // the redacted URL
	Outcome string // OutcomeUpdated, OutcomeNotModified or OutcomeFailed
	Entries int    // of the list in force after the update
	Changed bool   // the list's addresses changed
	Note    string // what was skipped (bad lines, unsupported patterns…)
	Err     error
	Took    time.Duration
}

// New checks cfg, opens the state folder's cache and loads each source's
// last good list from it, without any network access: a source without
// a cached list has an empty one until its first update.
func New(cfg Configuration, log zerolog.Logger) (*Manager, error) {
	var errs []error
	for _, p := range cfg.Problems() {
		errs = append(errs, errors.New(p.Msg))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m := &Manager{log: log, now: time.Now, settle: defaultSettle, withTimeout: context.WithTimeout, cfg: cfg, wake: make(chan struct{}, 1)}
	srcs, err := m.open(cfg, nil)
	if err != nil {
		return nil, err
	}
	m.srcs = srcs
	return m, nil
}

// open makes the sources of cfg (checked), taking those of reuse that are
// configured alike (the same state folder, name and settings) and loading
// the others' lists from the cache, without any network access.
func (m *Manager) open(cfg Configuration, reuse *Manager) ([]*source, error) {
	var srcs, opened []*source
	for i, sc := range cfg.Sources {
		sc = sc.effective()
		if s := reuse.alike(cfg.StateDir, sc); s != nil {
			srcs = append(srcs, s)
			continue
		}
		u, _ := sc.parseURL() // checked by Problems
		c, err := newClient(sc)
		if err != nil {
			closeAll(opened)
			return nil, fmt.Errorf("lists.sources[%d] (%s): %w", i, sc.Name, err)
		}
		s := &source{cfg: sc, u: u, shown: redact.ForeignURL(sc.URL), id: sourceID(sc), client: c, cache: cache{dir: cfg.StateDir},
			outcomes: map[string]uint64{}, reasons: map[string]uint64{}, failLog: ratelog.New(logEvery)}
		s.list = rules.NewList(sc.Name, s.shown, listFormat(sc.Format), nil)
		srcs, opened = append(srcs, s), append(opened, s)
	}
	now := m.now()
	for _, s := range opened {
		l := m.log.With().Str("list", s.cfg.Name).Str("source", s.shown).Logger()
		if err := m.loadCached(s, now); err != nil {
			l.Warn().Err(err).Msg("list cache unusable: the list is empty until its first update")
			continue
		}
		if s.meta.DataSHA256 == "" {
			l.Info().Msg("no cached list yet: the list is empty until its first update")
			continue
		}
		l.Info().Int("entries", s.list.Len()).Time("checked", s.meta.Checked).Msg("list loaded from the cache")
	}
	return srcs, nil
}

// closeAll drops the idle connections of srcs.
func closeAll(srcs []*source) {
	for _, s := range srcs {
		s.client.close()
	}
}

// alike is m's source configured as sc in stateDir, if any (m may be nil).
func (m *Manager) alike(stateDir string, sc SourceConfig) *source {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.StateDir != stateDir {
		return nil
	}
	for _, s := range m.srcs {
		if s.cfg == sc {
			return s
		}
	}
	return nil
}

// sources are the sources in force.
func (m *Manager) sources() []*source {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.srcs
}

// listFormat is the rules.Format a list of the source reports.
func listFormat(f string) rules.Format {
	if rf, ok := rules.ParseFormat(f); ok && rf != rules.FormatAuto {
		return rf
	}
	return rules.Format(f)
}

// loadCached reads the source's cache and, when it holds a good list,
// makes it the source's list.
func (m *Manager) loadCached(s *source, now time.Time) error {
	var mod time.Time
	if st, err := os.Stat(s.cache.metaPath(s.cfg.Name)); err == nil {
		mod = st.ModTime()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: %w", err)
	}
	md, data, err := s.cache.load(s.cfg.Name, s.id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metaMod = mod
	if err != nil || md == nil {
		return err
	}
	if data == nil {
		s.meta = *md // failures only
		s.meta.DataSHA256 = ""
		return nil
	}
	l, _, err := s.listFrom(data, now)
	if err != nil {
		return fmt.Errorf("cache %s: %w", s.cache.dataPath(s.cfg.Name), err)
	}
	s.meta, s.list = *md, l
	if s.keepsData() {
		s.data = data
	}
	return nil
}

// listFrom builds the list of the source's data: a body as fetched, or
// the JSON state of a TAXII or MISP source (at now: valid_until and
// revoked apply). note says what was skipped.
func (s *source) listFrom(data []byte, now time.Time) (l *rules.List, note string, err error) {
	switch s.cfg.Format {
	case FormatTAXII:
		var st taxiiState
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, "", fmt.Errorf("bad TAXII state: %s", jsonReason(err))
		}
		return rules.NewList(s.cfg.Name, s.shown, FormatTAXII, st.prefixes(now)), "", nil
	case FormatMISPFeed:
		var st mispState
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, "", fmt.Errorf("bad MISP state: %s", jsonReason(err))
		}
		return rules.NewList(s.cfg.Name, s.shown, FormatMISPFeed, st.prefixes()), "", nil
	}
	f, _ := rules.ParseFormat(s.cfg.Format)
	l, bad := rules.ParseList(s.cfg.Name, s.shown, data, f)
	if len(bad) > 0 {
		return nil, "", lineErrors(bad)
	}
	return l, "", nil
}

// lineErrors is the bad lines of a list as one error: the first and how
// many more.
func lineErrors(bad []rules.LineError) error {
	msg := fmt.Sprintf("bad list: line %d: %s", bad[0].Line, bad[0].Reason)
	if len(bad) > 1 {
		more := len(bad) - 1
		last := bad[len(bad)-1]
		var n int
		if _, err := fmt.Sscanf(last.Reason, "%d more bad lines", &n); err == nil {
			more += n - 1
		}
		msg += fmt.Sprintf(" (and %d more bad lines)", more)
	}
	return errors.New(msg)
}

// Lists are the current lists by name, for rules.Options.Lists. A cache
// written since by another process (borderwatch lists update) is read
// first when it is newer than the list in memory.
func (m *Manager) Lists() map[string]*rules.List {
	if m == nil {
		return nil
	}
	return m.listsOf(m.sources())
}

// listsOf are the current lists of srcs by name.
func (m *Manager) listsOf(srcs []*source) map[string]*rules.List {
	now := m.now()
	out := make(map[string]*rules.List, len(srcs))
	for _, s := range srcs {
		m.readNewerCache(s, now)
		s.mu.Lock()
		out[s.cfg.Name] = s.list
		s.mu.Unlock()
	}
	return out
}

// readNewerCache takes the cache of s when another process wrote a newer
// good list into it.
func (m *Manager) readNewerCache(s *source, now time.Time) {
	st, err := os.Stat(s.cache.metaPath(s.cfg.Name))
	if err != nil {
		return
	}
	s.mu.Lock()
	same, checked := st.ModTime().Equal(s.metaMod), s.meta.Checked
	s.mu.Unlock()
	if same {
		return
	}
	md, data, err := s.cache.load(s.cfg.Name, s.id)
	if err != nil || md == nil || data == nil || !md.Checked.After(checked) {
		s.mu.Lock()
		s.metaMod = st.ModTime()
		s.mu.Unlock()
		return
	}
	l, _, err := s.listFrom(data, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metaMod = st.ModTime()
	if err != nil {
		return
	}
	s.meta, s.list = *md, l
	if s.keepsData() {
		s.data = data
	}
	s.current(md.Checked)
}

// current notes, for a bound manager, that the last good list was known
// current at checked: when it lists what the list in force lists, the
// list in force is current too (and stays the one of the running rules);
// otherwise it waits for a reload (s.mu held).
func (s *source) current(checked time.Time) {
	if s.active == nil {
		return // not bound
	}
	if s.list == s.active || samePrefixes(s.list, s.active) {
		s.list, s.activeChecked, s.pendingWhy = s.active, checked, ""
		return
	}
	if s.pendingWhy == "" {
		s.pendingWhy = "waiting for the reload"
	}
}

// keepsData tells whether the source keeps its data in memory: the state
// of a TAXII or MISP source, which the next update builds on; a body as
// fetched is not needed once parsed.
func (s *source) keepsData() bool {
	return s.cfg.Format == FormatTAXII || s.cfg.Format == FormatMISPFeed
}

// Update fetches every source now (a few at a time) and returns what
// happened to each, in the configuration's order.
func (m *Manager) Update(ctx context.Context) []Result {
	srcs := m.sources()
	out := make([]Result, len(srcs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			out[i] = m.update(ctx, s)
			<-sem
		}()
	}
	wg.Wait()
	return out
}

// fetched is a successful update's new state.
type fetched struct {
	notModified bool
	list        *rules.List
	data        []byte // what to cache
	etag        string
	lastMod     string
	addedLast   string
	note        string
}

// update fetches s once and installs the new list, or keeps the last good
// one and records the failure.
func (m *Manager) update(parent context.Context, s *source) Result {
	start := m.now()
	ctx, cancel := m.withTimeout(parent, s.cfg.Timeout)
	defer cancel()
	s.mu.Lock()
	prevMeta, prevData, prevList := s.meta, s.data, s.list
	s.mu.Unlock()
	res := Result{Name: s.cfg.Name, Source: s.shown}
	f, err := s.fetch(ctx, &prevMeta, prevData, start)
	now := m.now()
	res.Took = now.Sub(start)
	if err != nil {
		if parent.Err() != nil {
			// Shutting down: not a failure of the source.
			res.Outcome, res.Err, res.Entries = OutcomeFailed, err, prevList.Len()
			return res
		}
		// The deadline or the transport's header timeout (the same
		// duration) may fire first: both are the source's timeout.
		if ne := net.Error(nil); ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
			err = fmt.Errorf("%w (timeout %s)", err, s.cfg.Timeout)
		}
		m.failed(s, err, now)
		res.Outcome, res.Err, res.Entries = OutcomeFailed, err, prevList.Len()
		return res
	}
	md := prevMeta
	md.Source, md.Format = s.shown, s.cfg.Format
	md.Checked, md.Failures = now, 0
	if f.etag != "" || !f.notModified {
		md.ETag = f.etag
	}
	if f.lastMod != "" || !f.notModified {
		md.LastModified = f.lastMod
	}
	if f.addedLast != "" {
		md.AddedLast = f.addedLast
	}
	list := prevList
	var data []byte
	if f.notModified {
		res.Outcome = OutcomeNotModified
	} else {
		res.Outcome = OutcomeUpdated
		list, data = f.list, f.data
		if sha(data) == prevMeta.DataSHA256 {
			data = nil // the same bytes: keep the file
		}
		res.Changed = !samePrefixes(prevList, list) || prevMeta.DataSHA256 == ""
		if res.Changed {
			md.Updated = now
		}
	}
	md.Entries = list.Len()
	res.Entries, res.Note = list.Len(), f.note
	cerr := s.cache.save(s.cfg.Name, s.id, &md, data)
	s.mu.Lock()
	if s.keepsData() {
		s.data = f.dataOr(prevData)
	}
	s.meta, s.list, s.retry = md, list, 0
	s.current(now)
	if st, err := os.Stat(s.cache.metaPath(s.cfg.Name)); err == nil {
		s.metaMod = st.ModTime()
	}
	s.outcomes[res.Outcome]++
	recovered := s.loggedMsg != ""
	s.loggedMsg = ""
	s.failLog.Reset()
	if cerr != nil {
		s.reasons["cache"]++
	}
	s.mu.Unlock()
	l := m.log.With().Str("list", s.cfg.Name).Str("source", s.shown).Logger()
	if cerr != nil {
		l.Error().Err(cerr).Msg("list updated but not cached: the next start uses the previous cache")
	}
	ev := l.Debug()
	if res.Changed || recovered {
		ev = l.Info()
	}
	if res.Note != "" {
		ev = l.Warn().Str("skipped", res.Note)
	}
	ev.Str("outcome", res.Outcome).Int("entries", res.Entries).Bool("changed", res.Changed).Dur("took", res.Took).Msg("list updated")
	return res
}

func (f *fetched) dataOr(prev []byte) []byte {
	if f.data != nil {
		return f.data
	}
	return prev
}

// failed records a failure of s: counted, kept in the cache's metadata,
// logged at most once per logEvery unless the error changes.
func (m *Manager) failed(s *source, err error, now time.Time) {
	msg := err.Error()
	s.mu.Lock()
	s.meta.LastError, s.meta.LastErrorAt = msg, now
	s.meta.Failures++
	s.reasons[reason(err)]++
	s.outcomes[OutcomeFailed]++
	var he *HTTPError
	if errors.As(err, &he) {
		s.retry = he.RetryAfter
	}
	md := s.meta
	if md.Source == "" {
		md.Source, md.Format = s.shown, s.cfg.Format
		s.meta.Source, s.meta.Format = md.Source, md.Format
	}
	// A new error is logged at once, the same one once per logEvery.
	suppressed, logIt := uint64(0), true
	if msg != s.loggedMsg {
		suppressed, s.loggedMsg = s.failLog.PassAt(now), msg
	} else {
		suppressed, logIt = s.failLog.AllowAt(now)
	}
	entries, checked := s.list.Len(), s.meta.Checked
	s.mu.Unlock()
	cerr := s.cache.save(s.cfg.Name, s.id, &md, nil)
	if st, err := os.Stat(s.cache.metaPath(s.cfg.Name)); err == nil && cerr == nil {
		s.mu.Lock()
		s.metaMod = st.ModTime()
		s.mu.Unlock()
	}
	if !logIt {
		return
	}
	ev := m.log.Error().Err(err).Str("list", s.cfg.Name).Str("source", s.shown).Int("entries", entries).Int("failures", md.Failures)
	if suppressed > 0 {
		ev = ev.Uint64("not_logged", suppressed)
	}
	if !checked.IsZero() {
		ev = ev.Dur("age", now.Sub(checked))
	}
	ev.Msg("list update failed; keeping the last good list")
}

// reason classifies an error for the errors metric.
func reason(err error) string {
	var he *HTTPError
	msg := err.Error()
	switch {
	case errors.As(err, &he):
		return fmt.Sprintf("http_%d", he.Status)
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "timeout"):
		return "timeout"
	case strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") || strings.Contains(msg, "certificate"):
		return "tls"
	case strings.Contains(msg, "truncated"):
		return "truncated"
	case strings.Contains(msg, "max_bytes"):
		return "too_large"
	case strings.HasPrefix(msg, "bad list") || strings.Contains(msg, "not a TAXII") || strings.Contains(msg, "not a MISP"):
		return "bad_list"
	case strings.HasPrefix(msg, "cache"):
		return "cache"
	}
	return "network"
}

// samePrefixes tells whether a and b list the same prefixes.
func samePrefixes(a, b *rules.List) bool {
	if a.Len() != b.Len() {
		return false
	}
	next, stop := iter.Pull(b.Prefixes())
	defer stop()
	for p := range a.Prefixes() {
		q, ok := next()
		if !ok || p != q {
			return false
		}
	}
	return true
}

// fetch gets the source's list once.
func (s *source) fetch(ctx context.Context, prev *meta, prevData []byte, now time.Time) (*fetched, error) {
	b := &budget{left: s.cfg.MaxBytes}
	switch s.cfg.Format {
	case FormatTAXII:
		state := &taxiiState{Indicators: map[string]taxiiIndicator{}}
		addedAfter := ""
		if prevData != nil && prev.AddedLast != "" {
			var old taxiiState
			if err := json.Unmarshal(prevData, &old); err == nil && old.Indicators != nil {
				state.Indicators = old.Indicators // a copy follows
				addedAfter = prev.AddedLast
			}
		}
		state.Indicators = cloneMap(state.Indicators)
		var st taxiiStats
		addedLast, err := pullTAXII(ctx, s.client, s.u, addedAfter, b, state, &st)
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(state)
		if err != nil {
			return nil, err
		}
		f := &fetched{list: rules.NewList(s.cfg.Name, s.shown, FormatTAXII, state.prefixes(now)), data: data, addedLast: addedLast}
		var notes []string
		if st.unsupported > 0 {
			notes = append(notes, fmt.Sprintf("%d indicators with patterns other than ipv4-addr/ipv6-addr values", st.unsupported))
		}
		if st.bad > 0 {
			notes = append(notes, fmt.Sprintf("%d bad objects (first: %s)", st.bad, st.firstBad))
		}
		f.note = strings.Join(notes, "; ")
		return f, nil
	case FormatMISPFeed:
		base := feedBase(s.u)
		mu := *base
		mu.Path += "manifest.json"
		mu.RawPath = ""
		hdr := map[string]string{"Accept": "application/json"}
		var old mispState
		if prevData != nil {
			if err := json.Unmarshal(prevData, &old); err == nil {
				hdr["If-None-Match"], hdr["If-Modified-Since"] = prev.ETag, prev.LastModified
			}
		}
		resp, err := s.client.get(ctx, &mu, hdr, b)
		if err != nil {
			return nil, fmt.Errorf("manifest.json: %w", err)
		}
		if resp.notModified {
			return &fetched{notModified: true, etag: resp.etag, lastMod: resp.lastModified}, nil
		}
		var st mispStats
		state, err := pullMISP(ctx, s.client, base, resp.body, &old, b, &st)
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(state)
		if err != nil {
			return nil, err
		}
		f := &fetched{list: rules.NewList(s.cfg.Name, s.shown, FormatMISPFeed, state.prefixes()), data: data, etag: resp.etag, lastMod: resp.lastModified}
		if st.bad > 0 {
			f.note = fmt.Sprintf("%d bad address attributes (first: %s)", st.bad, st.firstBad)
		}
		return f, nil
	}
	hdr := map[string]string{}
	if prev.DataSHA256 != "" {
		hdr["If-None-Match"], hdr["If-Modified-Since"] = prev.ETag, prev.LastModified
	}
	resp, err := s.client.get(ctx, s.u, hdr, b)
	if err != nil {
		return nil, err
	}
	if resp.notModified {
		if prev.DataSHA256 == "" {
			return nil, errors.New("HTTP 304 Not Modified to a request that was not conditional")
		}
		return &fetched{notModified: true, etag: resp.etag, lastMod: resp.lastModified}, nil
	}
	l, _, err := s.listFrom(resp.body, now)
	if err != nil {
		return nil, err
	}
	return &fetched{list: l, data: resp.body, etag: resp.etag, lastMod: resp.lastModified}, nil
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Status is a source's state, for `borderwatch lists status`.
type Status struct {
	Name    string
	Source  string // the redacted URL
	Format  string
	Entries int // of the list in force
	// Updated is when the list in force last changed, Checked when it was
	// last known current; zero when never.
	Updated, Checked time.Time
	Failures         int // since the last success
	LastError        string
	LastErrorAt      time.Time
	// Pending is the entries of a good list fetched but not in force yet
	// (-1: none), and PendingWhy why not: waiting for the reload, or the
	// reload's error. Only a running sensor's manager (Bind) has one.
	Pending    int
	PendingWhy string
}

// Age is how long ago the list was last known current (-1 when never).
func (st Status) Age(now time.Time) time.Duration {
	if st.Checked.IsZero() {
		return -1
	}
	return now.Sub(st.Checked)
}

// Status is every source's state, in the configuration's order.
func (m *Manager) Status() []Status {
	srcs := m.sources()
	out := make([]Status, 0, len(srcs))
	for _, s := range srcs {
		s.mu.Lock()
		l, checked, updated := s.inForce()
		st := Status{Name: s.cfg.Name, Source: s.shown, Format: s.cfg.Format, Entries: l.Len(),
			Updated: updated, Checked: checked, Failures: s.meta.Failures,
			LastError: s.meta.LastError, LastErrorAt: s.meta.LastErrorAt, Pending: -1}
		if l != s.list {
			st.Pending, st.PendingWhy = s.list.Len(), s.pendingWhy
		}
		out = append(out, st)
		s.mu.Unlock()
	}
	return out
}

// Run updates each source when its refresh is due (a source whose cache
// is older than its refresh, or that has none, at once) until ctx ends,
// up to parallel sources at once, so that a slow source does not hold up
// the others. After a failure the source is tried again after minRetry,
// doubling up to its refresh (or after the server's Retry-After).
// changed is called (a reload) once no update that started before is
// still running, or at the latest settle after the first change it has not
// seen: changes that arrive together make one call. When it fails, the
// changed lists stay fetched but not in force, with its error as the
// reason (Status, the log). Run returns once its updates have ended.
func (m *Manager) Run(ctx context.Context, changed func() error) {
	type done struct {
		s *source
		r Result
	}
	results := make(chan done, parallel) // never blocks a sender: at most parallel run
	running := map[*source]bool{}
	var dirtySince time.Time // the first change changed has not seen
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		srcs := m.sources() // a reload may change them
		now := m.now()
		var next time.Time
		for _, s := range srcs {
			s.mu.Lock()
			if !s.scheduled {
				s.scheduled, s.nextAt = true, now
				if s.meta.Failures == 0 && !s.meta.Checked.IsZero() && s.meta.DataSHA256 != "" {
					s.nextAt = s.meta.Checked.Add(s.cfg.Refresh)
				}
			}
			at := s.nextAt
			s.mu.Unlock()
			if running[s] {
				continue
			}
			if !now.Before(at) && len(running) < parallel {
				running[s] = true
				go func() { results <- done{s, m.update(ctx, s)} }()
				continue
			}
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		if !dirtySince.IsZero() && (len(running) == 0 || !now.Before(dirtySince.Add(m.settle))) {
			dirtySince = time.Time{}
			if changed != nil {
				m.reloaded(changed())
			}
			continue
		}
		if !dirtySince.IsZero() && (next.IsZero() || dirtySince.Add(m.settle).Before(next)) {
			next = dirtySince.Add(m.settle)
		}
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(max(next.Sub(m.now()), 0))
		}
		select {
		case <-ctx.Done():
			for range running {
				<-results
			}
			return
		case d := <-results:
			delete(running, d.s)
			if d.r.Changed && dirtySince.IsZero() && ctx.Err() == nil {
				dirtySince = m.now()
			}
			d.s.mu.Lock()
			d.s.nextAt = m.now().Add(d.s.delay())
			d.s.mu.Unlock()
			if m.handled != nil {
				m.handled(d.s.cfg.Name)
			}
		case <-m.wake:
		case <-timer.C:
		}
	}
}

// ReloadFailed records a failed reload, whoever asked for it (the reload
// target's Failed hook): the lists fetched but not in force keep its error
// as the reason.
func (m *Manager) ReloadFailed(err error) { m.reloaded(err) }

// reloaded records the outcome of a reload Run asked for: when it failed,
// the lists fetched but not in force keep its error as the reason.
func (m *Manager) reloaded(err error) {
	if err == nil || !m.bound.Load() {
		return
	}
	why := "the reload failed: " + err.Error()
	for _, s := range m.sources() {
		s.mu.Lock()
		// Told once: by the reload target's Failed hook and by Run
		// when its own reload failed.
		pending := s.list != s.active && s.pendingWhy != why
		if pending {
			s.pendingWhy = why
		}
		entries, inForce := s.list.Len(), s.active.Len()
		s.mu.Unlock()
		if pending {
			m.log.Warn().Str("list", s.cfg.Name).Str("source", s.shown).Int("entries", entries).Int("entries_in_force", inForce).
				Str("reason", err.Error()).Msg("list fetched but not in force: the reload failed; the running rules keep the previous list")
		}
	}
}

// delay is the wait before the next update of s (s.mu held).
func (s *source) delay() time.Duration {
	if s.meta.Failures == 0 {
		return s.cfg.Refresh
	}
	d := minRetry
	for i := 1; i < s.meta.Failures && d < s.cfg.Refresh; i++ {
		d *= 2
	}
	d = min(d, s.cfg.Refresh)
	return max(d, min(s.retry, s.cfg.Refresh))
}

// Close drops the idle connections.
func (m *Manager) Close() {
	m.mu.Lock()
	st := m.staged
	m.staged = nil
	m.mu.Unlock()
	st.discard()
	closeAll(m.sources())
}

// Names are the sources' names, in order.
func (m *Manager) Names() []string {
	srcs := m.sources()
	out := make([]string, len(srcs))
	for i, s := range srcs {
		out[i] = s.cfg.Name
	}
	return slices.Clip(out)
}

// inForce is the list in force, when it was last known current and when
// it last changed (s.mu held): for a bound manager the list of the running
// rules, else the last good list.
func (s *source) inForce() (l *rules.List, checked, updated time.Time) {
	if s.active == nil {
		return s.list, s.meta.Checked, s.meta.Updated
	}
	return s.active, s.activeChecked, s.activeSince
}

// Bind is for a running sensor whose rules were just built from Lists:
// from now on a changed list is in force (Status, the metrics) only once
// a reload that took it committed (Prepare), and until then it is shown
// as fetched but not in force, with the reason.
func (m *Manager) Bind() {
	if m == nil || m.bound.Swap(true) {
		return
	}
	bind(m.sources())
}

// bind takes the last good lists of srcs as the lists in force.
func bind(srcs []*source) {
	for _, s := range srcs {
		s.mu.Lock()
		if s.active == nil {
			s.active, s.activeChecked, s.activeSince = s.list, s.meta.Checked, s.meta.Updated
		}
		s.mu.Unlock()
	}
}

// Change is the list sources' part of a reload (sensor/reload's Change):
// Commit makes the lists of the prepared rule set the lists in force.
type Change struct {
	m     *Manager
	take  []taken
	stage *staged // the sources of a changed configuration, if any
}

type taken struct {
	s       *source
	l       *rules.List
	checked time.Time // when l was last known current
}

// Prepare is the list sources' reload target: the lists the rule set set
// was built from (Lists) become the lists in force when the reload
// commits. It checks nothing: the rule set is checked by rules.Load.
func (m *Manager) Prepare(set *rules.Set) (*Change, error) {
	c := &Change{m: m}
	if m == nil || set == nil {
		return c, nil
	}
	m.mu.Lock()
	srcs := m.srcs
	c.stage, m.staged = m.staged, nil
	m.mu.Unlock()
	if c.stage != nil {
		srcs = c.stage.srcs
	}
	for _, s := range srcs {
		l := set.Lists[s.cfg.Name]
		if l == nil {
			continue
		}
		s.mu.Lock()
		checked := s.meta.Checked
		if l != s.list {
			checked = s.meta.Updated // an older list: current until the source changed
		}
		s.mu.Unlock()
		c.take = append(c.take, taken{s, l, checked})
	}
	return c, nil
}

// Commit makes the prepared lists the lists in force, and the sources of
// a changed configuration the sources in force.
func (c *Change) Commit() error {
	if c.m == nil {
		return nil
	}
	if c.stage != nil {
		c.m.install(c.stage)
	}
	if !c.m.bound.Load() {
		return nil
	}
	now := c.m.now()
	for _, t := range c.take {
		s := t.s
		s.mu.Lock()
		changed := t.l != s.active
		if changed {
			s.active, s.activeSince = t.l, now
		}
		if t.checked.After(s.activeChecked) {
			s.activeChecked = t.checked
		}
		if s.list == s.active {
			s.pendingWhy = ""
		}
		entries := t.l.Len()
		s.mu.Unlock()
		if changed {
			c.m.log.Info().Str("list", s.cfg.Name).Str("source", s.shown).Int("entries", entries).Msg("list in force")
		}
	}
	return nil
}

// Abort throws the prepared change away.
func (c *Change) Abort() error {
	c.stage.discard()
	return nil
}

// staged is the sources of another configuration than the one in force,
// made by ListsFor for the reload under way.
type staged struct {
	cfg    Configuration
	srcs   []*source
	opened []*source // not among the sources in force
}

// discard drops the connections of the sources st opened (st may be nil).
func (st *staged) discard() {
	if st != nil {
		closeAll(st.opened)
	}
}

// ListsFor are the lists by name for a rule set of a configuration whose
// lists section is cfg: for the configuration in force, Lists; for another
// one (a reload read a changed lists section: sources added, removed or
// changed), the lists of cfg's sources — those configured as before as
// they are, the others from the cache, without network access — which
// the reload's commit (Prepare) makes the sources in force; until then,
// and if the reload fails, the running sources stay.
func (m *Manager) ListsFor(cfg Configuration) (map[string]*rules.List, error) {
	m.mu.Lock()
	same := sameConfiguration(m.cfg, cfg)
	old := m.staged
	m.staged = nil
	m.mu.Unlock()
	old.discard()
	if same {
		return m.Lists(), nil
	}
	var errs []error
	for _, p := range cfg.Problems() {
		errs = append(errs, errors.New(p.Msg))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	srcs, err := m.open(cfg, m)
	if err != nil {
		return nil, err
	}
	st := &staged{cfg: cfg, srcs: srcs}
	inForce := m.sources()
	for _, s := range srcs {
		if !slices.Contains(inForce, s) {
			st.opened = append(st.opened, s)
		}
	}
	m.mu.Lock()
	m.staged = st
	m.mu.Unlock()
	return m.listsOf(srcs), nil
}

// install makes st's sources the sources in force, and tells Run.
func (m *Manager) install(st *staged) {
	m.mu.Lock()
	old := m.srcs
	m.srcs, m.cfg = st.srcs, st.cfg
	m.mu.Unlock()
	if m.bound.Load() {
		bind(st.opened)
	}
	var added, removed []string
	for _, s := range st.opened {
		added = append(added, s.cfg.Name)
	}
	var gone []*source
	for _, s := range old {
		if !slices.Contains(st.srcs, s) {
			gone = append(gone, s)
			removed = append(removed, s.cfg.Name)
		}
	}
	closeAll(gone)
	m.log.Info().Strs("added", added).Strs("removed", removed).Int("sources", len(st.srcs)).
		Msg("list sources reconfigured (a source whose settings changed is removed and added)")
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// sameConfiguration tells whether a and b configure the same sources (in
// effect) with the same state folder.
func sameConfiguration(a, b Configuration) bool {
	if a.StateDir != b.StateDir || len(a.Sources) != len(b.Sources) {
		return false
	}
	for i := range a.Sources {
		if a.Sources[i].effective() != b.Sources[i].effective() {
			return false
		}
	}
	return true
}
