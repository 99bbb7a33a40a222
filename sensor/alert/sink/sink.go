// Package sink delivers encoded alerts to their destinations: a file, stdout,
// syslog (RFC 5424 over UDP, TCP or TLS), Redis (list, channel or stream)
// and Kafka.
//
// Each destination is an Output with its own format, minimum severity, and a
// bounded in-memory queue drained by its own goroutine. Write never blocks:
// when the queue is full the alert is dropped and counted. While a remote
// destination is down, the drain goroutine reconnects with exponential
// backoff and, when a spool is configured, appends what it cannot deliver
// to a bounded spool file that it replays, oldest first, once the remote is
// back. Without a spool, the batch that failed is held and retried, and new
// alerts wait in the queue until it overflows. A Writer fans one alert out
// to several Outputs.
package sink

import (
	"cmp"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/rs/zerolog"
)

// backend is one destination, driven only by its Output's goroutine.
type backend interface {
	// frame appends the queue entry for a to dst; rec is its encoded JSON
	// without the trailing newline. An entry never contains '\n'.
	frame(dst []byte, a *alert.Alert, rec []byte) []byte
	// connect makes the destination ready; it is called after an error and
	// before the first write.
	connect() error
	// write delivers all entries or returns an error; after an error the
	// Output calls disconnect and then connect before the next write.
	write(entries [][]byte) error
	// disconnect drops a broken connection.
	disconnect()
	// close flushes and releases everything; it is called once, last.
	close() error
}

// reopener is a backend that reopens its file on request (SIGHUP).
type reopener interface{ reopen() }

// syncer is a backend that wants sync called every interval.
type syncer interface {
	syncInterval() time.Duration
	sync() error
}

// Stats are an Output's counters, for metrics. Counters only grow.
type Stats struct {
	Name        string // output name, e.g. "syslog+tcp://127.0.0.1:6514"
	Type        string // file, stdout, syslog, redis, kafka
	Written     uint64 // alerts delivered
	Filtered    uint64 // alerts below the output's minimum severity (not drops)
	Dropped     Drops  // alerts lost, by reason
	Errors      uint64 // failed connects and writes
	Spooled     uint64 // alerts written to the spool
	Replayed    uint64 // alerts replayed from the spool and delivered
	QueueDepth  int    // alerts in the in-memory queue now
	QueueCap    int    // queue capacity
	SpoolBytes  int64  // spool file size now, 0 without a spool
	Connected   bool   // the last connect or write succeeded
	LastErrorAt int64  // unix ns of the last error, 0 if none
}

// Drops counts lost alerts by reason.
type Drops struct {
	QueueFull uint64 // the in-memory queue was full
	SpoolFull uint64 // the remote was down and the spool was full (or failed)
	Failed    uint64 // the remote was down at shutdown and there was no spool
	Closed    uint64 // written after Close
	Encode    uint64 // could not be encoded
}

// Each calls fn for every drop reason, in a fixed order, with its count.
// Reasons: queue_full, spool_full, failed, closed, encode.
func (d Drops) Each(fn func(reason string, n uint64)) {
	fn("queue_full", d.QueueFull)
	fn("spool_full", d.SpoolFull)
	fn("failed", d.Failed)
	fn("closed", d.Closed)
	fn("encode", d.Encode)
}

// Total is the sum of all drops.
func (d Drops) Total() uint64 {
	return d.QueueFull + d.SpoolFull + d.Failed + d.Closed + d.Encode
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

	written, filtered, errors, spooled, replayed atomic.Uint64
	dQueueFull, dSpoolFull, dFailed, dClosed     atomic.Uint64
	dEncode                                      atomic.Uint64
	connected                                    atomic.Bool
	lastErrorAt                                  atomic.Int64

	// Owned by the run goroutine.
	up      bool
	outage  bool // an error was logged and no recovery since
	backoff time.Duration
	held    []*[]byte
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
		b:           b,
		log:         log.With().Str("component", "alert-sink").Str("output", name).Logger(),
		queue:       make(chan *[]byte, cmp.Or(c.QueueSize, DefaultQueueSize)),
		quit:        make(chan struct{}),
		wake:        make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	o.backoff = o.backoffMin
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

// Close stops accepting alerts, delivers everything queued (to the spool
// when the remote is down, dropped and counted as failed without one),
// closes the destination and returns its error. It waits for the
// delivery, which for a dead remote includes one last connect attempt.
func (o *Output) Close() error {
	o.mu.Lock()
	already := o.closed
	o.closed = true
	o.mu.Unlock()
	if !already {
		close(o.quit)
	}
	<-o.done
	return o.closeErr
}

// Stats returns the output's counters.
func (o *Output) Stats() Stats {
	s := Stats{
		Name:     o.name,
		Type:     o.typ,
		Written:  o.written.Load(),
		Filtered: o.filtered.Load(),
		Dropped: Drops{
			QueueFull: o.dQueueFull.Load(),
			SpoolFull: o.dSpoolFull.Load(),
			Failed:    o.dFailed.Load(),
			Closed:    o.dClosed.Load(),
			Encode:    o.dEncode.Load(),
		},
		Errors:      o.errors.Load(),
		Spooled:     o.spooled.Load(),
		Replayed:    o.replayed.Load(),
		QueueDepth:  len(o.queue),
		QueueCap:    cap(o.queue),
		Connected:   o.connected.Load(),
		LastErrorAt: o.lastErrorAt.Load(),
	}
	if o.spool != nil {
		s.SpoolBytes = o.spool.sizeNow()
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

// fail records an error. Only the first error of an outage is logged; the
// recovery is logged too, so a dead remote gives two lines, not thousands.
func (o *Output) fail(op string, err error) {
	o.errors.Add(1)
	o.lastErrorAt.Store(time.Now().UnixNano())
	if !o.outage {
		o.outage = true
		o.log.Warn().Err(err).Str("op", op).Msg("alert output down; retrying with backoff")
	}
	o.connected.Store(false)
	if o.up {
		o.b.disconnect()
	}
	o.up = false
}

// run is the output's goroutine.
func (o *Output) run() {
	defer close(o.done)
	batch := make([]*[]byte, 0, o.batchSize)
	entries := make([][]byte, 0, o.batchSize)
	var tick <-chan time.Time
	if s, ok := o.b.(syncer); ok && s.syncInterval() > 0 {
		t := time.NewTicker(s.syncInterval())
		defer t.Stop()
		tick = t.C
	}
	for {
		closing := o.closing()
		if o.reopen.Swap(false) {
			o.b.(reopener).reopen()
			o.up = false
		}
		if !o.up {
			if err := o.b.connect(); err != nil {
				o.fail("connect", err)
				if closing {
					o.shutdownDown()
					return
				}
				o.waitBackoff()
				continue
			}
			if o.outage {
				o.outage = false
				o.log.Info().Msg("alert output recovered")
			}
			o.up = true
			o.connected.Store(true)
			o.backoff = o.backoffMin
		}
		if len(o.held) > 0 {
			if !o.send(o.held, entries) {
				continue
			}
			o.release(o.held)
			o.held = o.held[:0]
		}
		if o.spool != nil && o.spool.pending() {
			if !o.replay(entries) {
				continue
			}
		}
		batch = o.collect(batch[:0], !closing, tick)
		if len(batch) == 0 {
			if closing {
				o.closeErr = o.b.close()
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
		if o.send(batch, entries) {
			o.release(batch)
			continue
		}
		if o.spool != nil {
			o.toSpool(batch)
			o.release(batch)
		} else {
			o.held = append(o.held[:0], batch...)
		}
	}
}

// collect gathers up to batchSize queued entries. With block it waits for
// the first one, returning empty on quit, wake or a sync tick.
func (o *Output) collect(batch []*[]byte, block bool, tick <-chan time.Time) []*[]byte {
	if block {
		select {
		case e := <-o.queue:
			batch = append(batch, e)
		case <-o.quit:
			return batch
		case <-o.wake:
			return batch
		case <-tick:
			if err := o.b.(syncer).sync(); err != nil {
				o.fail("sync", err)
			}
			return batch
		}
	}
	for len(batch) < o.batchSize {
		select {
		case e := <-o.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// send writes batch; on error it marks the output down and returns false.
func (o *Output) send(batch []*[]byte, entries [][]byte) bool {
	entries = entries[:0]
	for _, e := range batch {
		entries = append(entries, *e)
	}
	if err := o.b.write(entries); err != nil {
		o.fail("write", err)
		return false
	}
	o.written.Add(uint64(len(batch)))
	return true
}

func (o *Output) release(batch []*[]byte) {
	for i, e := range batch {
		putEntry(e)
		batch[i] = nil
	}
}

// replay delivers the spool in batches; false when the remote failed.
func (o *Output) replay(entries [][]byte) bool {
	for o.spool.pending() {
		lines, err := o.spool.next(o.batchSize, entries[:0])
		if err != nil {
			o.log.Error().Err(err).Msg("reading alert spool; discarding it")
			o.dSpoolFull.Add(uint64(o.spool.discard()))
			return true
		}
		if err := o.b.write(lines); err != nil {
			o.fail("replay", err)
			return false
		}
		o.spool.advance()
		o.written.Add(uint64(len(lines)))
		o.replayed.Add(uint64(len(lines)))
	}
	return true
}

// toSpool appends batch to the spool, counting what does not fit.
func (o *Output) toSpool(batch []*[]byte) {
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

// waitBackoff waits the current backoff and doubles it. Meanwhile, with a
// spool, it moves queued alerts to the spool so the queue does not
// overflow; without one, they stay queued. Close cuts the wait short.
func (o *Output) waitBackoff() {
	t := time.NewTimer(o.backoff)
	defer t.Stop()
	o.backoff = min(o.backoff*2, o.backoffMax)
	var q chan *[]byte
	if o.spool != nil {
		q = o.queue
	}
	one := make([]*[]byte, 1)
	for {
		select {
		case <-t.C:
			return
		case <-o.quit:
			return
		case e := <-q:
			one[0] = e
			o.toSpool(one)
			o.release(one)
		}
	}
}

// shutdownDown handles Close while the remote is down: everything held and
// queued goes to the spool, or is dropped and counted as failed.
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
	o.closeErr = errors.Join(errUnavailable(o.name, len(rest), o.spool != nil), o.b.close())
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
	return "alert output " + e.Output + ": destination down at close, " + strconv.Itoa(e.Alerts) + " alerts dropped"
}
