package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/inputerr"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"golang.org/x/term"
)

// openSources opens every input before any work, so that a missing file is
// an InputError and not a half-done replay. "-" is stdin. With read not nil
// (a progress line), the bytes read from the streams (compressed, as
// stored: gzip files, stdin) are added to read; a regular file read from
// its mapping tells its own position (capture.Positioner, see readSoFar).
func openSources(files []string, stdin io.Reader, read *atomic.Int64) ([]capture.Source, error) {
	sources := make([]capture.Source, 0, len(files))
	for _, name := range files {
		var (
			s   capture.Source
			err error
		)
		switch {
		case name == "-":
			s, err = capture.OpenReader("stdin", countReader(stdin, read))
		case read == nil:
			s, err = capture.OpenFile(name)
		default:
			s, err = openProgress(name, read)
		}
		if err != nil {
			closeSources(sources)
			return nil, &InputError{Err: err}
		}
		sources = append(sources, s)
	}
	return sources, nil
}

// openProgress opens a file whose reading a progress line follows: from
// its mapping when it has one (the source tells its position), else (gzip)
// as a stream through a byte counter.
func openProgress(name string, read *atomic.Int64) (capture.Source, error) {
	s, err := capture.OpenFile(name)
	if err != nil {
		return nil, err
	}
	if p, ok := s.(capture.Positioner); ok {
		if _, mapped := p.Position(); mapped {
			return s, nil
		}
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("opening capture: %w", err)
	}
	return openCounted(name, read)
}

// readSoFar returns the bytes of the inputs read so far, for the progress
// line: those counted through the streams' readers (read) and the
// positions of the sources reading from a mapping.
func readSoFar(sources []capture.Source, read *atomic.Int64) int64 {
	n := read.Load()
	for _, s := range sources {
		if p, ok := s.(capture.Positioner); ok {
			if pos, mapped := p.Position(); mapped {
				n += pos
			}
		}
	}
	return n
}

// countedFile reads a file through a byte counter; Close closes the file.
type countedFile struct {
	capture.Source
	f *os.File
}

// Truncation forwards to the file source.
func (c *countedFile) Truncation() error {
	if t, ok := c.Source.(capture.Truncator); ok {
		return t.Truncation()
	}
	return nil
}

// WireClamp forwards to the file source.
func (c *countedFile) WireClamp() error {
	if w, ok := c.Source.(capture.WireClamper); ok {
		return w.WireClamp()
	}
	return nil
}

// LinkTypes forwards to the file source, for the summary.
func (c *countedFile) LinkTypes() []uint32 {
	if l, ok := c.Source.(capture.LinkLister); ok {
		return l.LinkTypes()
	}
	return nil
}

func (c *countedFile) Close() error {
	err := c.Source.Close()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func openCounted(name string, read *atomic.Int64) (capture.Source, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening capture: %w", err)
	}
	s, err := capture.OpenReader(name, countReader(f, read))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &countedFile{Source: s, f: f}, nil
}

type counter struct {
	r io.Reader
	n *atomic.Int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func countReader(r io.Reader, n *atomic.Int64) io.Reader {
	if n == nil {
		return r
	}
	return &counter{r: r, n: n}
}

func closeSources(sources []capture.Source) {
	for _, s := range sources {
		s.Close()
	}
}

// Options is what Run replays and where to.
type Options struct {
	Pipeline pipeline.Config
	Geo      *geo.Holder
	Rules    *rules.Set
	Sink     pipeline.Sink
	// Files are the captures, read in order as one; "-" is Stdin
	// (os.Stdin when nil).
	Files []string
	Stdin io.Reader
	// Progress is where a progress line is drawn (a terminal), nil for none.
	Progress io.Writer
	// Warn is where a truncated final record is reported, nil for nowhere.
	Warn io.Writer
}

// InputError is a replay's input that cannot be read as a capture: a
// missing file or one that breaks its format (the error names the file and
// offset). The CLI exits 2 on it.
type InputError = inputerr.Error

// Run runs capture files, in order, through one pipeline writing to the
// sink, and returns the pipeline's counters. Every file is opened before
// any is read. Ending ctx stops it cleanly: what was read is processed and
// counted, and that is no error.
func Run(ctx context.Context, r Options) (pipeline.Stats, error) {
	var read *atomic.Int64
	if r.Progress != nil {
		read = new(atomic.Int64)
	}
	stdin := r.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	sources, err := openSources(r.Files, stdin, read)
	if err != nil {
		return pipeline.Stats{}, err
	}
	defer closeSources(sources)
	p, err := pipeline.New(r.Pipeline, r.Geo, r.Rules, r.Sink)
	if err != nil {
		return pipeline.Stats{}, err
	}
	if r.Progress != nil {
		done := make(chan struct{})
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			showProgress(r.Progress, p, func() int64 { return readSoFar(sources, read) }, totalSize(r.Files), done)
		}()
		defer func() { close(done); <-finished }()
	}
	var runErr error
	for _, s := range sources {
		err := p.Run(ctx, s)
		if t, ok := s.(capture.Truncator); ok && r.Warn != nil {
			if terr := t.Truncation(); terr != nil {
				fmt.Fprintf(r.Warn, "borderwatch: warning: %v\n", terr)
			}
		}
		if w, ok := s.(capture.WireClamper); ok && r.Warn != nil {
			if werr := w.WireClamp(); werr != nil {
				fmt.Fprintf(r.Warn, "borderwatch: warning: %v\n", werr)
			}
		}
		if err != nil {
			runErr = replayError(s, err)
			break
		}
	}
	// Whatever stopped the run, the alerts of what was read are written:
	// Close ends the open windows, the caller flushes the outputs.
	p.Close()
	return p.Stats(), runErr
}

// replayError is the error of a replay that stopped on err: a capture that
// breaks its format is an InputError, anything else (a read error, a bug)
// a runtime failure. An interrupted replay is no error.
func replayError(s capture.Source, err error) error {
	var fe *capture.FormatError
	switch {
	case errors.Is(err, context.Canceled):
		return nil
	case errors.As(err, &fe):
		return &InputError{Err: err}
	default:
		return fmt.Errorf("replaying %s: %w", s.Name(), err)
	}
}

// totalSize is the summed size of the files, 0 if any is unknown (stdin).
func totalSize(files []string) int64 {
	var n int64
	for _, f := range files {
		if f == "-" {
			return 0
		}
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() {
			return 0
		}
		n += st.Size()
	}
	return n
}

// Terminal is w when it is a terminal (where a progress line can be
// redrawn), else nil: Options.Progress of a command writing to w.
func Terminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return w
	}
	return nil
}

// showProgress redraws a progress line every half second, starting after
// a second (short replays show none), until done; then it clears it.
func showProgress(w io.Writer, p *pipeline.Pipeline, read func() int64, total int64, done <-chan struct{}) {
	start := time.Now()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	drawn := false
	for {
		select {
		case <-done:
			if drawn {
				fmt.Fprint(w, "\r\033[K")
			}
			return
		case now := <-t.C:
			el := now.Sub(start)
			if el < time.Second {
				continue
			}
			fmt.Fprint(w, "\r"+progressLine(p.Stats().Capture.Frames, read(), total, el)+"\033[K")
			drawn = true
		}
	}
}

// progressLine formats the progress: a bar and percentage when the total
// size is known, packets, packets/s and the estimated time left.
func progressLine(frames uint64, read, total int64, el time.Duration) string {
	rate := float64(frames) / el.Seconds()
	var b strings.Builder
	if total > 0 {
		frac := min(float64(read)/float64(total), 1)
		const width = 30
		fill := int(frac * width)
		b.WriteString("[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "]")
		fmt.Fprintf(&b, " %3.0f%%", frac*100)
	}
	fmt.Fprintf(&b, " %d packets, %.0f packets/s", frames, rate)
	if total > 0 && read > 0 && read < total {
		left := time.Duration(float64(el) * float64(total-read) / float64(read))
		fmt.Fprintf(&b, ", ETA %s", left.Round(time.Second))
	}
	return b.String()
}

// WriteSummary writes what was read and found, for people (on standard
// error): packets, decoding, link types not decoded, flows, alerts per
// kind, top countries, alerts lost and the traffic hint.
func WriteSummary(w io.Writer, s pipeline.Stats, took time.Duration) {
	rate := 0.0
	if sec := took.Seconds(); sec > 0 {
		rate = float64(s.Capture.Frames) / sec
	}
	fmt.Fprintf(w, "replayed %d packets (%d bytes) in %s, %.0f packets/s\n",
		s.Capture.Frames, s.Capture.Bytes, took.Round(time.Millisecond), rate)
	d := s.Decode
	c := s.Capture
	fmt.Fprintf(w, "decoded %d; skipped %d (non-IP %d, truncated %d, malformed %d, unsupported link %d); unreadable records %d (oversize %d, cut short %d)\n",
		d.Decoded, d.Skipped(), d.NonIP, d.Truncated, d.Malformed, d.UnsupportedLink, c.Errors, c.Oversize, c.Truncated)
	if u := unsupportedLinks(s.Sources); len(u) > 0 {
		fmt.Fprintf(w, "link types not decoded: %s\n", strings.Join(u, "; "))
	}
	fmt.Fprintf(w, "flows %d created, %d evicted\n", s.Flow.Created, s.Flow.Evicted)
	kinds := make([]string, 0, len(s.Alerts))
	total := uint64(0)
	for k, n := range s.Alerts {
		kinds = append(kinds, k)
		total += n
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "alerts %d", total)
	for _, k := range kinds {
		fmt.Fprintf(w, ", %s %d", k, s.Alerts[k])
	}
	fmt.Fprintln(w)
	if top := s.TopCountries(5); len(top) > 0 {
		fmt.Fprintf(w, "top countries (remote end) %s\n", strings.Join(top, ", "))
	}
	if s.SinkErrors > 0 {
		fmt.Fprintf(w, "alerts not written (sink errors): %d\n", s.SinkErrors)
	}
	if s.Capture.BadLength > 0 {
		fmt.Fprintf(w, "records skipped, captured length above the original length: %d\n", s.Capture.BadLength)
	}
	if s.Capture.BadTime > 0 {
		fmt.Fprintf(w, "records skipped, timestamp beyond its resolution or range: %d\n", s.Capture.BadTime)
	}
	if s.Capture.WireClamped > 0 {
		fmt.Fprintf(w, "original lengths above %d bytes counted as %d: %d\n", capture.MaxWireLen, capture.MaxWireLen, s.Capture.WireClamped)
	}
	if s.Panics > 0 {
		fmt.Fprintf(w, "packets dropped by a recovered panic (see the log): %d\n", s.Panics)
	}
	if hint := TrafficHint(s); hint != "" {
		fmt.Fprintf(w, "note: %s\n", hint)
	}
}

// unsupportedLinks names, per source, the link types of its file the
// decoder does not decode: "x.pcap: IEEE802_11_PRISM (119)".
func unsupportedLinks(ss []pipeline.SourceStats) []string {
	var out []string
	for _, src := range ss {
		var names []string
		for _, lt := range src.Links {
			if !decode.LinkSupported(lt) {
				names = append(names, decode.LinkName(lt))
			}
		}
		if len(names) > 0 {
			out = append(out, src.Name+": "+strings.Join(names, ", "))
		}
	}
	return out
}

// TrafficHint explains a replay whose traffic the default rules mostly do
// not look at: more than half of the packets internal (both ends home) or
// transit (neither end home). The default rules check inbound and outbound
// traffic only. Empty when there is nothing to say.
func TrafficHint(s pipeline.Stats) string {
	t := s.DirectionTotals()
	var all uint64
	for _, n := range t {
		all += n
	}
	if all == 0 {
		return ""
	}
	pct := func(n uint64) float64 { return 100 * float64(n) / float64(all) }
	switch {
	case t[geo.DirInternal]*2 > all:
		return fmt.Sprintf("%d of %d packets (%.0f%%) are internal: both ends are home, and the default rules check inbound and outbound traffic only. "+
			"Private and special ranges (RFC 1918, loopback, link-local, CGNAT, multicast, 0.0.0.0/8, 240.0.0.0/4, ULA; docs/rules.md) count as home: "+
			"run with --special-not-home and --home set to your own addresses or country to see such traffic as crossing the border",
			t[geo.DirInternal], all, pct(t[geo.DirInternal]))
	case t[geo.DirTransit]*2 > all:
		return fmt.Sprintf("%d of %d packets (%.0f%%) are transit: neither end is home, and the default rules check inbound and outbound traffic only. "+
			"Set --home to the country or addresses of the network the capture was taken in",
			t[geo.DirTransit], all, pct(t[geo.DirTransit]))
	}
	return ""
}
