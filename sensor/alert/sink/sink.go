package sink

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/internal/ratelog"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/rs/zerolog"
)

// backend is one destination, driven only by its Output's goroutine.
type backend interface {
	// frame appends the queue entry for a to dst; rec is its encoded JSON
	// without the trailing newline. An entry never contains '\n'.
	frame(dst []byte, a *alert.Alert, rec []byte) []byte
	// connect makes the destination ready; it is called after an error and
	// before the first write. ctx ends at the drain deadline after Close.
	connect(ctx context.Context) error
	// write delivers entries and returns how many of the first entries
	// were delivered whole: all of them, or fewer with an error. Those are
	// never sent again; after an error the Output calls disconnect and
	// then connect before it writes the rest. ctx ends at the drain
	// deadline after Close.
	write(ctx context.Context, entries [][]byte) (int, error)
	// disconnect drops a broken connection.
	disconnect()
	// close flushes and releases everything; it is called once, last.
	close(ctx context.Context) error
}

// checker is a backend that wants check called every checkInterval, to
// notice a destination that changed under it (a deleted alert file).
type checker interface {
	checkInterval() time.Duration
	// check reports whether it reconnected (reopened the file); after an
	// error the backend is down and the Output reconnects with backoff.
	check() (bool, error)
}

// ErrorLogInterval is the least time between two log lines of one failing
// output: the first error of an outage is logged at once, the next ones at
// most once per interval, with the count of errors since the last line.
var ErrorLogInterval = 10 * time.Second

// lingerer is a backend that wants a batch to wait up to linger after its
// first entry for more (TAXII: one envelope for many alerts).
type lingerer interface{ linger() time.Duration }

// rejecter is a backend that may refuse single entries for good (TAXII: an
// alert whose objects alone are over the server's size limit). write
// counts them among the entries it handled; takeRejected returns how many
// of those were refused, and resets the count: the Output counts them
// dropped (rejected), not written.
type rejecter interface{ takeRejected() int }

// retryAfterer is a backend whose destination may ask for a wait (HTTP 429
// Retry-After); retryAfter returns it once, 0 when there is none. The
// Output waits the longer of it and its backoff, at most backoff_max.
type retryAfterer interface{ retryAfter() time.Duration }

// withholder is a backend that takes alerts it has nothing to send for
// (TAXII: no foreign address to share); they count as written.
type withholder interface{ withheld() uint64 }

// refuser is a backend whose destination reports objects it did not take
// in a reply to a delivered write (TAXII status failures).
type refuser interface{ refusedObjects() uint64 }

// reopener is a backend that reopens its file on request (SIGHUP).
type reopener interface{ reopen() }

// syncer is a backend that wants sync called every interval.
type syncer interface {
	syncInterval() time.Duration
	sync() error
}

// Stats are an Output's counters, for metrics. Counters only grow.
type Stats struct {
	Name     string // output name, e.g. "syslog+tcp://127.0.0.1:6514"
	Type     string // file, stdout, syslog, redis, kafka, taxii
	Accepted uint64 // alerts handed to the output past its minimum severity
	Written  uint64 // alerts delivered, including those Replayed
	Filtered uint64 // alerts below the output's minimum severity (not drops)
	// Withheld counts written alerts the output had nothing to send for
	// (taxii: no foreign address to share); they are in Written.
	Withheld uint64
	// RefusedObjects counts objects a destination's reply to a delivered
	// write says it did not take (taxii: status failures).
	RefusedObjects uint64
	Dropped        Drops  // alerts lost, by reason
	Errors         uint64 // failed connects and writes
	Spooled        uint64 // alerts written to the spool
	Replayed       uint64 // alerts replayed from the spool and delivered
	// SpoolDiscarded counts alerts lost from a spool that could not be read
	// back; they were counted Spooled (in this run or an earlier one), so
	// they are not in Dropped.
	SpoolDiscarded uint64
	QueueDepth     int    // alerts in the in-memory queue now
	QueueCap       int    // queue capacity
	SpoolBytes     int64  // spool file size now, 0 without a spool
	Reopens        uint64 // alert file reopened because it was deleted or replaced
	Connected      bool   // the last connect or write succeeded
	LastErrorAt    int64  // unix ns of the last error, 0 if none
}

// Drops counts lost alerts by reason.
type Drops struct {
	QueueFull uint64 // the in-memory queue was full
	SpoolFull uint64 // the remote was down and the spool was full (or failed)
	Failed    uint64 // undelivered when the drain timeout ran out at Close, without a spool
	Closed    uint64 // written after Close
	Encode    uint64 // could not be encoded
	Rejected  uint64 // refused for good by the destination (taxii: too large alone)
}

// Each calls fn for every drop reason, in a fixed order, with its count.
// Reasons: queue_full, spool_full, failed, closed, encode, rejected.
func (d Drops) Each(fn func(reason string, n uint64)) {
	fn("queue_full", d.QueueFull)
	fn("spool_full", d.SpoolFull)
	fn("failed", d.Failed)
	fn("closed", d.Closed)
	fn("encode", d.Encode)
	fn("rejected", d.Rejected)
}

// Total is the sum of all drops.
func (d Drops) Total() uint64 {
	return d.QueueFull + d.SpoolFull + d.Failed + d.Closed + d.Encode + d.Rejected
}

// Output is one destination with its own format, minimum severity, queue
// and goroutine. Its methods are safe for concurrent use.
type Output struct {
	name, typ   string
	format      alert.Format
	minSeverity int
	batchSize   int
	backoffMin  time.Duration
	backoffMax  time.Duration
	drain       time.Duration
	clk         clock
	b           backend
	spool       *spool
	log         zerolog.Logger

	mu       sync.RWMutex // guards closed against enqueues racing Close
	closed   bool
	queue    chan *[]byte
	quit     chan struct{}
	wake     chan struct{}
	done     chan struct{}
	reopen   atomic.Bool
	closeErr error
	// ctx is cancelled at the drain deadline (Close + drain timeout); the
	// backends bound their connects and writes with it.
	ctx    context.Context
	cancel context.CancelFunc

	accepted, written, filtered, errors, spooled atomic.Uint64
	replayed, reopens, spoolDiscarded            atomic.Uint64
	dQueueFull, dSpoolFull, dFailed, dClosed     atomic.Uint64
	dEncode, dRejected                           atomic.Uint64
	connected                                    atomic.Bool
	lastErrorAt                                  atomic.Int64

	// Owned by the run goroutine.
	up         bool
	outage     bool // an error was logged and no delivery since
	backoff    time.Duration
	held       []*[]byte
	errLog     *ratelog.Limiter // of the error log lines; Reset when an outage ends
	outageErrs uint64           // errors in this outage
}

// entryPool recycles queue entries.
var entryPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func getEntry() *[]byte { return entryPool.Get().(*[]byte) }

func putEntry(b *[]byte) {
	if cap(*b) > 1<<16 {
		return
	}
	*b = (*b)[:0]
	entryPool.Put(b)
}

// newOutput starts an Output over b. spoolCfg.Path "" means no spool.
func newOutput(typ, name string, c *Common, b backend, spoolCfg SpoolConfig, log zerolog.Logger) (*Output, error) {
	f, err := alert.ParseFormat(c.Format)
	if err != nil {
		return nil, err
	}
	o := &Output{
		name:        name,
		typ:         typ,
		format:      f,
		minSeverity: c.MinSeverity,
		batchSize:   cmp.Or(c.BatchSize, DefaultBatchSize),
		backoffMin:  cmp.Or(c.BackoffMin, DefaultBackoffMin),
		backoffMax:  cmp.Or(c.BackoffMax, DefaultBackoffMax),
		drain:       cmp.Or(c.DrainTimeout, DefaultDrainTimeout),
		clk:         c.clock,
		b:           b,
		log:         log.With().Str("component", "alert-sink").Str("output", name).Logger(),
		errLog:      ratelog.New(ErrorLogInterval),
		queue:       make(chan *[]byte, cmp.Or(c.QueueSize, DefaultQueueSize)),
		quit:        make(chan struct{}),
		wake:        make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	if o.clk == nil {
		o.clk = realClock{}
	}
	o.backoff = o.backoffMin
	o.ctx, o.cancel = context.WithCancel(context.Background())
	if spoolCfg.Path != "" {
		s, err := openSpool(spoolCfg.Path, cmp.Or(spoolCfg.MaxBytes, DefaultSpoolMaxBytes))
		if err != nil {
			return nil, err
		}
		o.spool = s
	}
	go o.run()
	return o, nil
}

// Name returns the output's name.
func (o *Output) Name() string { return o.name }

// Format returns the output's alert format.
func (o *Output) Format() alert.Format { return o.format }

// Accepts reports whether a passes the output's minimum severity: severity
// 1 is the highest, so MinSeverity N accepts severities 1 to N; 0 accepts
// everything.
func (o *Output) Accepts(a *alert.Alert) bool {
	return o.minSeverity == 0 || (a.Severity >= 1 && a.Severity <= o.minSeverity)
}

// Write encodes a and queues it without blocking. An alert below the
// minimum severity is counted as filtered; a full queue drops it.
func (o *Output) Write(a *alert.Alert) {
	if !o.Accepts(a) {
		o.filtered.Add(1)
		return
	}
	o.accepted.Add(1)
	e := getEntry()
	var err error
	if *e, err = appendAlert(o.format, (*e)[:0], a); err != nil {
		putEntry(e)
		o.dEncode.Add(1)
		return
	}
	o.enqueueEncoded(a, e)
}

// appendAlert appends a in format f.
func appendAlert(f alert.Format, dst []byte, a *alert.Alert) ([]byte, error) {
	if f == alert.FormatECS {
		return alert.AppendECS(dst, a)
	}
	return alert.AppendEVE(dst, a)
}

// enqueueEncoded frames the encoded line in enc (which it takes over) and
// queues the entry.
func (o *Output) enqueueEncoded(a *alert.Alert, enc *[]byte) {
	rec := *enc
	if n := len(rec); n > 0 && rec[n-1] == '\n' {
		rec = rec[:n-1]
	}
	e := getEntry()
	*e = o.b.frame((*e)[:0], a, rec)
	putEntry(enc)
	o.enqueue(e)
}

func (o *Output) enqueue(e *[]byte) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.closed {
		putEntry(e)
		o.dClosed.Add(1)
		return
	}
	select {
	case o.queue <- e:
	default:
		putEntry(e)
		o.dQueueFull.Add(1)
	}
}

// Reopen asks the output to reopen its file (logrotate's convention after
// SIGHUP); it is a no-op for other outputs. It does not block.
func (o *Output) Reopen() {
	if _, ok := o.b.(reopener); !ok {
		return
	}
	o.reopen.Store(true)
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting alerts, delivers everything queued, closes the
// destination and returns its error. It takes at most the drain timeout: a
// failing destination is retried with backoff until then; what is left at
// the deadline, or at the first failure when there is a spool, goes to the
// spool, or is dropped and counted as failed, and Close returns an
// UndeliveredError. A write that cannot be cut short (stdout blocked by its
// reader, a hung disk) gets closeGrace more; then Close returns a
// StuckError and leaves the output's goroutine behind.
func (o *Output) Close() error {
	o.mu.Lock()
	already := o.closed
	o.closed = true
	o.mu.Unlock()
	if !already {
		t := o.clk.AfterFunc(o.drain, o.cancel)
		close(o.quit)
		defer t.Stop()
	}
	stuck := o.clk.NewTimer(o.drain + closeGrace)
	defer stuck.Stop()
	select {
	case <-o.done:
		return o.closeErr
	case <-stuck.C():
		return &StuckError{Output: o.name, Queued: len(o.queue)}
	}
}

// closeGrace is how long Close waits past the drain timeout for a write
// that ignores the deadline.
const closeGrace = time.Second

// StuckError is returned by Close when the output was still blocked in a
// write past its drain timeout; its alerts are not accounted for.
type StuckError struct {
	Output string
	Queued int // alerts still queued, besides the batch being written
}

func (e *StuckError) Error() string {
	return "alert output " + e.Output + ": still blocked in a write after the drain timeout; " +
		strconv.Itoa(e.Queued) + " queued alerts and the batch in progress left undelivered"
}

// Stats returns the output's counters.
func (o *Output) Stats() Stats {
	s := Stats{
		Name:     o.name,
		Type:     o.typ,
		Accepted: o.accepted.Load(),
		Written:  o.written.Load(),
		Filtered: o.filtered.Load(),
		Dropped: Drops{
			QueueFull: o.dQueueFull.Load(),
			SpoolFull: o.dSpoolFull.Load(),
			Failed:    o.dFailed.Load(),
			Closed:    o.dClosed.Load(),
			Encode:    o.dEncode.Load(),
			Rejected:  o.dRejected.Load(),
		},
		Errors:         o.errors.Load(),
		Spooled:        o.spooled.Load(),
		Replayed:       o.replayed.Load(),
		SpoolDiscarded: o.spoolDiscarded.Load(),
		QueueDepth:     len(o.queue),
		QueueCap:       cap(o.queue),
		Reopens:        o.reopens.Load(),
		Connected:      o.connected.Load(),
		LastErrorAt:    o.lastErrorAt.Load(),
	}
	if o.spool != nil {
		s.SpoolBytes = o.spool.sizeNow()
	}
	if w, ok := o.b.(withholder); ok {
		s.Withheld = w.withheld()
	}
	if r, ok := o.b.(refuser); ok {
		s.RefusedObjects = r.refusedObjects()
	}
	return s
}

func (o *Output) closing() bool {
	select {
	case <-o.quit:
		return true
	default:
		return false
	}
}

// fail records an error and marks the output down. The first error of an
// outage is logged; after that at most one line per ErrorLogInterval, with
// the count of errors since the last line, so a dead or refusing
// destination gives a few lines, not thousands.
func (o *Output) fail(op string, err error) {
	o.errors.Add(1)
	now := o.clk.Now()
	o.lastErrorAt.Store(now.UnixNano())
	o.outageErrs++
	// The first error of an outage passes: the limiter was Reset when
	// the last one ended (or never used).
	if skipped, ok := o.errLog.AllowAt(now); ok {
		if !o.outage {
			o.log.Warn().Err(err).Str("op", op).Msg("alert output down; retrying with backoff")
		} else {
			o.log.Warn().Err(err).Str("op", op).Uint64("errors", skipped+1).Dur("backoff", o.backoff).
				Msg("alert output still down; errors since the last line")
		}
	}
	o.outage = true
	o.connected.Store(false)
	if o.up {
		o.b.disconnect()
	}
	o.up = false
}

// delivered records a successful write: it ends an outage and resets the
// backoff. A successful connect alone does not: a destination that accepts
// connections and refuses writes stays in its outage and backs off.
func (o *Output) delivered() {
	o.connected.Store(true)
	o.backoff = o.backoffMin
	if o.outage {
		o.outage = false
		o.log.Info().Uint64("errors", o.outageErrs).Msg("alert output recovered")
		o.outageErrs = 0
		o.errLog.Reset()
	}
}

// expired reports whether Close was called and the drain timeout ran out.
func (o *Output) expired() bool { return o.closing() && o.ctx.Err() != nil }

// run is the output's goroutine.
func (o *Output) run() {
	defer close(o.done)
	batch := make([]*[]byte, 0, o.batchSize)
	entries := make([][]byte, 0, o.batchSize)
	var syncTick, checkTick <-chan time.Time
	if s, ok := o.b.(syncer); ok && s.syncInterval() > 0 {
		t := time.NewTicker(s.syncInterval())
		defer t.Stop()
		syncTick = t.C
	}
	if c, ok := o.b.(checker); ok && c.checkInterval() > 0 {
		t := time.NewTicker(c.checkInterval())
		defer t.Stop()
		checkTick = t.C
	}
	for {
		closing := o.closing()
		if o.expired() {
			o.shutdownDown()
			return
		}
		if o.reopen.Swap(false) {
			o.b.(reopener).reopen()
			o.up = false
		}
		if !o.up {
			if err := o.b.connect(o.ctx); err != nil {
				o.fail("connect", err)
				if o.afterFailure(closing) {
					return
				}
				continue
			}
			o.up = true
			if !o.outage {
				o.connected.Store(true)
			}
		}
		if len(o.held) > 0 {
			n, ok := o.send("write", o.held, entries)
			o.release(o.held[:n])
			o.held = append(o.held[:0], o.held[n:]...)
			if !ok {
				if o.afterFailure(closing) {
					return
				}
				continue
			}
		}
		if o.spool != nil && o.spool.pending() {
			if !o.replay(entries) {
				if o.afterFailure(closing) {
					return
				}
				continue
			}
		}
		batch = o.collect(batch[:0], !closing, syncTick, checkTick)
		if len(batch) == 0 {
			if closing {
				o.closeErr = o.b.close(o.ctx)
				if o.spool != nil {
					o.spool.close()
				}
				return
			}
			continue
		}
		if o.reopen.Load() {
			// A reopen was asked for before these were written: they
			// belong in the new file.
			o.held = append(o.held[:0], batch...)
			continue
		}
		n, ok := o.send("write", batch, entries)
		o.release(batch[:n])
		if ok {
			continue
		}
		if rest := batch[n:]; o.spool != nil {
			o.toSpool(rest)
			o.release(rest)
		} else {
			o.held = append(o.held[:0], rest...)
		}
		if o.afterFailure(closing) {
			return
		}
	}
}

// afterFailure runs after a failed connect or write. Closing with a spool,
// or past the drain deadline, it hands everything left to shutdownDown and
// returns true: the goroutine is done. Otherwise it waits the backoff.
func (o *Output) afterFailure(closing bool) bool {
	if closing && (o.spool != nil || o.ctx.Err() != nil) {
		o.shutdownDown()
		return true
	}
	o.waitBackoff(closing)
	return false
}

// collect gathers up to batchSize queued entries. With block it waits for
// the first one, returning empty on quit, wake or a tick.
func (o *Output) collect(batch []*[]byte, block bool, syncTick, checkTick <-chan time.Time) []*[]byte {
	if block {
		select {
		case e := <-o.queue:
			batch = append(batch, e)
		case <-o.quit:
			return batch
		case <-o.wake:
			return batch
		case <-syncTick:
			if err := o.b.(syncer).sync(); err != nil {
				o.fail("sync", err)
			}
			return batch
		case <-checkTick:
			reopened, err := o.b.(checker).check()
			if reopened {
				o.reopens.Add(1)
				o.log.Warn().Msg("alert file deleted or replaced; reopened it")
			}
			if err != nil {
				o.fail("reopen", err)
			}
			return batch
		}
	}
	var linger <-chan time.Time
	if l, ok := o.b.(lingerer); ok && block && l.linger() > 0 && len(batch) > 0 {
		t := o.clk.NewTimer(l.linger())
		defer t.Stop()
		linger = t.C()
	}
	for len(batch) < o.batchSize {
		if linger == nil {
			select {
			case e := <-o.queue:
				batch = append(batch, e)
			default:
				return batch
			}
			continue
		}
		// Lingering: wait for more until the batch is full, the linger
		// time is up, or Close (which flushes what is here at once).
		select {
		case e := <-o.queue:
			batch = append(batch, e)
		case <-linger:
			linger = nil
		case <-o.quit:
			linger = nil
		}
	}
	return batch
}

// send writes batch and returns how many of its first entries were
// delivered; ok is false after an error, which marks the output down.
func (o *Output) send(op string, batch []*[]byte, entries [][]byte) (n int, ok bool) {
	entries = entries[:0]
	for _, e := range batch {
		entries = append(entries, *e)
	}
	n, err := o.b.write(o.ctx, entries)
	n = max(0, min(n, len(batch)))
	if err == nil {
		n = len(batch)
	}
	o.written.Add(uint64(n - o.takeRejected(n)))
	if err != nil {
		o.fail(op, err)
		return n, false
	}
	o.delivered()
	return n, true
}

// takeRejected counts as dropped (rejected) the entries among the n just
// handled that the backend refused for good, and returns how many.
func (o *Output) takeRejected(n int) int {
	rj, ok := o.b.(rejecter)
	if !ok {
		return 0
	}
	r := min(rj.takeRejected(), n)
	o.dRejected.Add(uint64(r))
	return r
}

func (o *Output) release(batch []*[]byte) {
	for i, e := range batch {
		putEntry(e)
		batch[i] = nil
	}
}

// replay delivers the spool in batches; false when the remote failed or
// the drain deadline passed.
func (o *Output) replay(entries [][]byte) bool {
	for o.spool.pending() {
		if o.expired() {
			return false
		}
		lines, err := o.spool.next(o.batchSize, entries[:0])
		if err != nil {
			n := o.spool.discard()
			o.spoolDiscarded.Add(uint64(n))
			o.log.Error().Err(err).Int("alerts", n).Msg("reading alert spool; discarding it")
			return true
		}
		n, err := o.b.write(o.ctx, lines)
		if err == nil {
			n = len(lines)
		}
		n = max(0, min(n, len(lines)))
		o.spool.advance(n)
		r := o.takeRejected(n)
		o.written.Add(uint64(n - r))
		o.replayed.Add(uint64(n - r))
		if err != nil {
			o.fail("replay", err)
			return false
		}
		o.delivered()
	}
	return true
}

// toSpool appends batch to the spool, counting what does not fit.
func (o *Output) toSpool(batch []*[]byte) {
	if len(batch) == 0 {
		return
	}
	n, err := o.spool.append(batch)
	o.spooled.Add(uint64(n))
	if lost := len(batch) - n; lost > 0 {
		o.dSpoolFull.Add(uint64(lost))
	}
	if err != nil {
		o.errors.Add(1)
		o.log.Error().Err(err).Msg("writing alert spool")
	}
}

// nextBackoff returns the wait before the next attempt, with jitter (half
// the backoff plus a random part of the other half, so that outputs that
// failed together do not retry together), and doubles the backoff, capped.
func (o *Output) nextBackoff() time.Duration {
	d := o.backoff/2 + rand.N(o.backoff/2+1)
	o.backoff = min(o.backoff*2, o.backoffMax)
	return d
}

// waitBackoff waits the backoff. Meanwhile, with a spool, it moves queued
// alerts to the spool so the queue does not overflow; without one, they
// stay queued. The drain deadline ends the wait; so does Close (once, for
// a prompt last attempt: closing is false) and a Reopen request.
func (o *Output) waitBackoff(closing bool) {
	d := o.nextBackoff()
	if ra, ok := o.b.(retryAfterer); ok {
		d = max(d, min(ra.retryAfter(), o.backoffMax))
	}
	t := o.clk.NewTimer(d)
	defer t.Stop()
	var q chan *[]byte
	if o.spool != nil {
		q = o.queue
	}
	quit := o.quit
	if closing {
		quit = nil
	}
	one := make([]*[]byte, 1)
	for {
		select {
		case <-t.C():
			return
		case <-quit:
			return
		case <-o.ctx.Done():
			return
		case <-o.wake:
			return
		case e := <-q:
			one[0] = e
			o.toSpool(one)
			o.release(one)
		}
	}
}

// shutdownDown handles Close while the destination is down or the drain
// timeout ran out: everything held and queued goes to the spool, or is
// dropped and counted as failed.
func (o *Output) shutdownDown() {
	rest := o.held
	o.held = nil
	for {
		select {
		case e := <-o.queue:
			rest = append(rest, e)
			continue
		default:
		}
		break
	}
	if o.spool != nil {
		o.toSpool(rest)
		o.spool.close()
	} else {
		o.dFailed.Add(uint64(len(rest)))
	}
	o.release(rest)
	if len(rest) > 0 {
		o.log.Warn().Int("alerts", len(rest)).Bool("spooled", o.spool != nil).Dur("drain_timeout", o.drain).
			Msg("alert output closed with alerts undelivered")
	}
	o.closeErr = errors.Join(errUnavailable(o.name, len(rest), o.spool != nil), o.b.close(o.ctx))
}

// errUnavailable reports what Close could not deliver.
func errUnavailable(name string, n int, spooled bool) error {
	if n == 0 {
		return nil
	}
	if spooled {
		return nil
	}
	return &UndeliveredError{Output: name, Alerts: n}
}

// UndeliveredError is returned by Close when the destination was down and
// alerts were dropped for want of a spool.
type UndeliveredError struct {
	Output string
	Alerts int
}

func (e *UndeliveredError) Error() string {
	return "alert output " + e.Output + ": destination failing at close, " + strconv.Itoa(e.Alerts) + " alerts dropped"
}
