package tail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
)

// Defaults and bounds.
const (
	// DefaultMaxLineBytes bounds a line: the sensor's alerts are about
	// 1 to 2 KiB.
	DefaultMaxLineBytes = 64 << 10
	// MaxMaxLineBytes is the largest line bound accepted.
	MaxMaxLineBytes = 16 << 20
	// DefaultLines is how many of the alerts already in a file are shown.
	DefaultLines = 10
	// All shows every alert already in the file.
	All = -1
	// MaxLines bounds Options.Lines.
	MaxLines = 1_000_000
	// MaxHeldBytes bounds the memory held for the last Lines alerts; when
	// they do not fit, the oldest are left out and counted.
	MaxHeldBytes = 64 << 20
	// DefaultPoll is how often a followed file is checked for new lines,
	// rotation and truncation.
	DefaultPoll = 250 * time.Millisecond
	// DefaultLinger is how long a file rotated away by rename is still
	// read after its last new line: the sensor writes to it until it
	// reopens (on SIGHUP, or its check every second).
	DefaultLinger = 5 * time.Second
	// maxNotes is how many skipped lines are noted one by one on the
	// notes writer; the rest are counted in the summary.
	maxNotes  = 10
	chunkSize = 64 << 10
)

// ParseLines parses the --lines value: a count of 0 to MaxLines, or
// "all" (All).
func ParseLines(s string) (int, error) {
	if s == "all" {
		return All, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxLines {
		return 0, fmt.Errorf("--lines %q: want 0 to %d, or all", s, MaxLines)
	}
	return n, nil
}

// Options says what Tail shows and how it reads.
type Options struct {
	Filter *Filter // nil shows every alert
	// JSON writes the matching lines unchanged, byte for byte, instead of
	// formatting them.
	JSON bool
	// Colour colours the formatted lines (ANSI).
	Colour bool
	// Lines is how many of the matching alerts already in the file (or
	// on the reader) are shown, the last ones; All shows every one.
	Lines int
	// Follow keeps reading the file as it grows (File only).
	Follow       bool
	MaxLineBytes int           // 0: DefaultMaxLineBytes
	Poll         time.Duration // 0: DefaultPoll
	Linger       time.Duration // 0: DefaultLinger
	// Notes receives one line per event worth telling (a skipped line, a
	// rotation, a truncation); nil discards them.
	Notes io.Writer
}

// Stats counts what Tail read.
type Stats struct {
	Lines     uint64 // non-empty lines read
	Alerts    uint64 // alert records read
	Shown     uint64 // alerts written
	NotJSON   uint64 // lines that are not a JSON object
	NotAlert  uint64 // JSON records that are not alerts
	BadAlert  uint64 // alert records with a field Tail cannot read
	TooLong   uint64 // lines over MaxLineBytes
	Partial   uint64 // partial lines dropped at a rotation or truncation
	LeftOut   uint64 // of the last Lines alerts, those over MaxHeldBytes
	Rotations uint64 // the followed path was replaced (rename, delete and create)
	Truncated uint64 // the followed file shrank (copytruncate)
}

// Skipped is the number of lines skipped as bad.
func (s *Stats) Skipped() uint64 { return s.NotJSON + s.NotAlert + s.BadAlert + s.TooLong }

// Tail reads alert lines and writes what matches. It is not safe for
// concurrent use.
type Tail struct {
	opt   Options
	out   *bufio.Writer
	stats Stats
	rec   Record
	buf   []byte // formatted line
	chunk []byte
	notes int

	ctx     context.Context // File's: an interrupt stops a long read too
	probe   bool            // reading a window of lastFromEnd: notes are kept
	probed  []string        // the notes of the window (at most maxNotes+1)
	holding bool            // collecting the last Lines alerts
	maxHeld int             // MaxHeldBytes (smaller in tests)
	matched int             // alerts that matched while holding
	ring    [][]byte
	head    int // index of the oldest held line
	held    int // lines held
	heldB   int // bytes held

	// checks counts the turns of File's follow loop, each marking the
	// read before it (the first read, or a check) done: the one field
	// read while File runs, by tests that wait for a check instead of
	// sleeping for "a few polls".
	checks atomic.Uint64
}

// New returns a Tail writing to w. It checks the options.
func New(w io.Writer, opt Options) (*Tail, error) {
	if opt.MaxLineBytes == 0 {
		opt.MaxLineBytes = DefaultMaxLineBytes
	}
	if opt.MaxLineBytes < 0 || opt.MaxLineBytes > MaxMaxLineBytes {
		return nil, fmt.Errorf("line bound %d: want 1 to %d bytes", opt.MaxLineBytes, MaxMaxLineBytes)
	}
	if opt.Lines < All || opt.Lines > MaxLines {
		return nil, fmt.Errorf("--lines %d: want 0 to %d, or all", opt.Lines, MaxLines)
	}
	if opt.Poll <= 0 {
		opt.Poll = DefaultPoll
	}
	if opt.Linger <= 0 {
		opt.Linger = DefaultLinger
	}
	if opt.Notes == nil {
		opt.Notes = io.Discard
	}
	t := &Tail{opt: opt, out: bufio.NewWriterSize(w, 64<<10), chunk: make([]byte, chunkSize), maxHeld: MaxHeldBytes}
	t.startHolding()
	return t, nil
}

// Stats returns the counts so far.
func (t *Tail) Stats() Stats { return t.stats }

// Reader shows the alerts of r (standard input, a decompressed file),
// named name in notes, until its end. Lines applies as for a file; Follow
// does not.
func (t *Tail) Reader(name string, r io.Reader) error {
	s := &source{name: name, r: r}
	err := t.drain(s, true)
	t.flushHeld()
	if ferr := t.out.Flush(); err == nil {
		err = ferr
	}
	return err
}

// File shows the alerts of the file at path: the last Lines, then, with
// Follow, every new one until ctx is done, across rotation and
// truncation, waiting for the file when it does not exist. Without
// Follow, a file that cannot be opened is an error; with it, only one
// that exists but is not a regular file or cannot be read.
func (t *Tail) File(ctx context.Context, path string) (err error) {
	t.ctx = ctx
	defer func() {
		t.ctx = nil
		if errors.Is(err, errStopped) {
			err = t.out.Flush() // interrupted: what was shown stays shown
		}
	}()
	cur, err := openSource(path)
	if err != nil && (!t.opt.Follow || !errors.Is(err, fs.ErrNotExist)) {
		return err
	}
	defer func() {
		if cur != nil {
			cur.f.Close()
		}
	}()
	if cur != nil {
		gz, err := cur.gzipped()
		switch {
		case err != nil:
			return err
		case gz && t.opt.Follow:
			return &fs.PathError{Op: "open", Path: path, Err: errors.New("gzip-compressed: --follow follows plain alert files only")}
		case gz:
			zr, err := gzip.NewReader(bufio.NewReaderSize(cur.f, chunkSize))
			if err != nil {
				return fmt.Errorf("reading %s: %w", path, err)
			}
			return t.Reader(path, zr)
		}
	}
	if cur == nil {
		t.note("%s: does not exist yet; waiting for it", path)
	} else if t.opt.Lines == 0 {
		if err := cur.skipToEnd(); err != nil {
			return err
		}
	} else if t.holding && cur.info.Size() > firstWindow {
		if err := t.lastFromEnd(cur); err != nil {
			return err
		}
	} else if err := t.drain(cur, !t.opt.Follow); err != nil {
		return err
	}
	t.flushHeld()
	if err := t.out.Flush(); err != nil || !t.opt.Follow {
		return err
	}
	var old *source   // the file rotated away, still read for Linger
	oddNoted := false // the path was noted as not a regular file
	openNoted := ""   // why the path could not be opened, as noted
	defer func() {
		if old != nil {
			old.f.Close()
		}
	}()
	tick := time.NewTicker(t.opt.Poll)
	defer tick.Stop()
	for {
		t.checks.Add(1) // the read before (the first read, or a check) is done
		if err := t.out.Flush(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := time.Now()
		if old != nil {
			n := old.off
			if err := t.drain(old, false); err != nil {
				return err
			}
			switch {
			case old.off > n:
				old.lastData = now
			case now.Sub(old.lastData) >= t.opt.Linger:
				t.drop(old)
				old.f.Close()
				old = nil
			}
		}
		if cur != nil {
			what, err := cur.check()
			if err != nil {
				return err
			}
			switch what {
			case rewound:
				t.note("%s: its last line, partly written, was cut back; reading on from there", path)
				if _, err := cur.f.Seek(cur.start, io.SeekStart); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if cur.skipping {
					cur.line-- // the long line is counted again when read again
				}
				t.drop(cur)
				cur.fp = cur.fp[:len(cur.fp)-int(min(cur.off-cur.start, int64(len(cur.fp))))]
				cur.off = cur.start
			case truncated:
				t.stats.Truncated++
				t.note("%s: truncated; reading from its start", path)
				if _, err := cur.f.Seek(0, io.SeekStart); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				t.drop(cur)
				cur.off, cur.line, cur.start, cur.middle, cur.fp = 0, 0, 0, false, cur.fp[:0]
			}
			if err := t.drain(cur, false); err != nil {
				return err
			}
		}
		st, err := os.Stat(path)
		switch {
		case err != nil:
			if cur != nil && !cur.gone {
				cur.gone = true
				t.note("%s: %s; reading the open file until the path is back", path, reason(err))
			} else if r := reason(err); cur == nil && !errors.Is(err, fs.ErrNotExist) && r != openNoted {
				openNoted = r
				t.note("%s: %s; retrying", path, r)
			}
		case !st.Mode().IsRegular():
			if !oddNoted {
				oddNoted = true
				t.note("%s: is %s; waiting for a regular file", path, boundedfile.Kind(st.Mode()))
			}
			if cur != nil {
				cur.gone = true
			}
		case cur == nil || !os.SameFile(st, cur.info):
			next, err := openSource(path)
			if err != nil {
				if r := reason(err); !errors.Is(err, fs.ErrNotExist) && r != openNoted {
					openNoted = r // once per reason, not at every check
					t.note("%s: %s; retrying", path, r)
				}
				continue
			}
			openNoted = ""
			if cur == nil {
				t.note("%s: appeared; following it", path)
			} else {
				t.stats.Rotations++
				t.note("%s: replaced (rotated); following the new file", path)
				if old != nil {
					if err := t.drain(old, false); err != nil {
						return err
					}
					t.drop(old)
					old.f.Close()
				}
				old = cur
				old.lastData = now
			}
			cur, oddNoted = next, false
			if err := t.drain(cur, false); err != nil {
				return err
			}
		default:
			cur.gone = false
		}
	}
}

// firstWindow is how much of the end of a file is read first for its
// last Lines alerts; when they are not all there, four times as much, and
// so on up to the whole file.
const firstWindow = 1 << 20

// lastFromEnd finds the last Lines alerts of the file of cur by reading
// growing windows at its end instead of the whole file, and leaves cur
// at the end, as drain would. Notes and counts are those of the window
// that held them all (or of the whole file); skipped lines are noted with
// their byte offset when the window began in the middle of the file.
func (t *Tail) lastFromEnd(cur *source) error {
	end := cur.info.Size()
	for window := int64(firstWindow); ; window *= 4 {
		begin := max(0, end-window)
		t.stats, t.notes, t.probe, t.probed = Stats{}, 0, true, t.probed[:0]
		t.resetHeld()
		s := &source{name: cur.name, r: io.NewSectionReader(cur.f, begin, end-begin), off: begin, start: begin, middle: begin > 0}
		if begin > 0 { // the line cut at begin is read with the window before
			var b [1]byte
			if _, err := cur.f.ReadAt(b[:], begin-1); err != nil {
				return fmt.Errorf("reading %s: %w", cur.name, err)
			}
			s.skipping = b[0] != '\n'
		}
		if err := t.drain(s, !t.opt.Follow); err != nil {
			return err
		}
		if t.matched < t.opt.Lines && begin > 0 {
			continue
		}
		t.probe = false
		for _, n := range t.probed {
			io.WriteString(t.opt.Notes, n)
		}
		t.probed = nil
		if err := cur.seekEnd(end); err != nil {
			return err
		}
		cur.start, cur.line, cur.middle = s.start, s.line, s.middle
		cur.pend, cur.skipping = append(cur.pend[:0], s.pend...), s.skipping
		return nil
	}
}

// resetHeld forgets the held alerts.
func (t *Tail) resetHeld() {
	t.ring = make([][]byte, min(t.opt.Lines, 1024))
	t.head, t.held, t.heldB, t.matched = 0, 0, 0, 0
}

// errStopped ends a read when File's context is done.
var errStopped = errors.New("stopped")

// drop forgets the partial line of s (its file is left or restarted).
func (t *Tail) drop(s *source) {
	if len(s.pend) > 0 {
		t.stats.Partial++
	}
	s.pend, s.skipping = s.pend[:0], false
}

// drain reads s to its current end. At the end, final treats a partial
// line as a whole one (a file that is not followed).
func (t *Tail) drain(s *source, final bool) error {
	for {
		if t.ctx != nil && t.ctx.Err() != nil {
			return errStopped
		}
		n, err := s.r.Read(t.chunk)
		if n > 0 {
			s.off += int64(n)
			if s.f != nil {
				s.remember(t.chunk[:n])
			}
			t.feed(s, t.chunk[:n], s.off-int64(n))
		}
		if errors.Is(err, io.EOF) || (err == nil && n == 0 && s.f != nil) {
			if final && !s.skipping && len(s.pend) > 0 {
				s.line++
				t.line(s, s.pend)
				s.pend = s.pend[:0]
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", s.name, err)
		}
	}
}

// feed splits p, read at offset pos, into lines, keeping the start of an
// unended one.
func (t *Tail) feed(s *source, p []byte, pos int64) {
	max := t.opt.MaxLineBytes
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if s.skipping {
				return
			}
			if len(s.pend)+len(p) > max {
				t.tooLong(s)
				return
			}
			s.pend = append(s.pend, p...)
			return
		}
		seg := p[:i+1]
		p = p[i+1:]
		pos += int64(len(seg))
		switch {
		case s.skipping:
			s.skipping = false
		case len(s.pend)+i > max:
			t.tooLong(s)
			s.skipping = false
		default:
			s.line++
			if len(s.pend) > 0 {
				s.pend = append(s.pend, seg...)
				t.line(s, s.pend)
				s.pend = s.pend[:0]
			} else {
				t.line(s, seg)
			}
		}
		s.start = pos
	}
}

// tooLong skips the line being read of s: it is counted and noted at
// once, and dropped up to its newline.
func (t *Tail) tooLong(s *source) {
	s.line++
	s.skipping = true
	s.pend = s.pend[:0]
	t.stats.TooLong++
	t.bad(s, fmt.Sprintf("longer than %d bytes", t.opt.MaxLineBytes))
}

// line handles one line (with its newline, if it has one).
func (t *Tail) line(s *source, b []byte) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return
	}
	t.stats.Lines++
	err := Parse(trimmed, &t.rec)
	if err != nil {
		var nj *NotJSONError
		switch {
		case errors.Is(err, ErrNotAlert):
			t.stats.NotAlert++
		case errors.As(err, &nj):
			t.stats.NotJSON++
			t.bad(s, err.Error())
		default:
			t.stats.BadAlert++
			t.bad(s, "unreadable alert: "+err.Error())
		}
		return
	}
	t.stats.Alerts++
	if !t.opt.Filter.Match(&t.rec) {
		return
	}
	out := b
	if !t.opt.JSON {
		t.buf = Format(t.buf[:0], &t.rec, t.opt.Colour)
		out = t.buf
	}
	if t.holding {
		t.hold(out)
		return
	}
	t.stats.Shown++
	t.out.Write(out) // an error stays in the writer and is returned by Flush
}

// bad notes a skipped line, the first maxNotes of them.
func (t *Tail) bad(s *source, reason string) {
	t.notes++
	switch {
	case t.notes <= maxNotes:
		if s.middle {
			t.note("%s: byte %d: skipped: %s", s.name, s.start, reason)
		} else {
			t.note("%s:%d: skipped: %s", s.name, s.line, reason)
		}
	case t.notes == maxNotes+1:
		t.note("further skipped lines are only counted")
	}
}

func (t *Tail) note(format string, a ...any) {
	if t.probe {
		t.probed = append(t.probed, fmt.Sprintf("tail: "+format+"\n", a...))
		return
	}
	fmt.Fprintf(t.opt.Notes, "tail: "+format+"\n", a...)
}

// reason is an error without the path it repeats.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// startHolding starts collecting the last Lines alerts.
func (t *Tail) startHolding() {
	if t.opt.Lines == All {
		return
	}
	t.holding = true
	t.ring = make([][]byte, min(t.opt.Lines, 1024))
}

// hold keeps a copy of b among the last Lines lines, within MaxHeldBytes.
func (t *Tail) hold(b []byte) {
	t.matched++
	if t.opt.Lines == 0 {
		return
	}
	if t.held == t.opt.Lines {
		t.evict()
	}
	for t.held > 0 && t.heldB+len(b) > t.maxHeld {
		t.evict()
	}
	if t.held == len(t.ring) { // grow the ring up to Lines entries
		grown := make([][]byte, min(max(2*len(t.ring), 1), t.opt.Lines))
		for i := range t.held {
			grown[i] = t.ring[(t.head+i)%len(t.ring)]
		}
		t.ring, t.head = grown, 0
	}
	i := (t.head + t.held) % len(t.ring)
	t.ring[i] = bytes.Clone(b) // a fresh copy: a slot never keeps a long line's capacity
	t.held++
	t.heldB += len(b)
}

func (t *Tail) evict() {
	t.heldB -= len(t.ring[t.head])
	t.ring[t.head] = nil
	t.head = (t.head + 1) % len(t.ring)
	t.held--
}

// flushHeld writes the held lines and stops holding.
func (t *Tail) flushHeld() {
	if !t.holding {
		return
	}
	for i := range t.held {
		t.out.Write(t.ring[(t.head+i)%len(t.ring)])
		t.stats.Shown++
	}
	t.stats.LeftOut = uint64(min(t.matched, t.opt.Lines) - t.held)
	if t.stats.LeftOut > 0 {
		t.note("only the last %d alerts fitted in %s; %d earlier ones were left out", t.held, boundedfile.FormatSize(uint64(t.maxHeld)), t.stats.LeftOut)
	}
	t.holding, t.ring, t.held, t.heldB = false, nil, 0, 0
}

// Summary is one line saying what was skipped, or "" when nothing was.
func (s *Stats) Summary() string {
	var parts []string
	add := func(n uint64, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(s.NotJSON, "not JSON")
	add(s.NotAlert, "not alerts")
	add(s.BadAlert, "unreadable alerts")
	add(s.TooLong, "too long")
	add(s.Partial, "partial at a rotation or truncation")
	if len(parts) == 0 {
		return ""
	}
	n := s.Skipped() + s.Partial
	word := "lines"
	if n == 1 {
		word = "line"
	}
	return fmt.Sprintf("skipped %d %s: %s", n, word, strings.Join(parts, ", "))
}
