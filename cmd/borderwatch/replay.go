package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

type replayOpts struct {
	alertsPath string
	format     string
	outputs    []string
	workers    int
	quiet      bool
	read       []string // -r/--read files, before the FILE arguments
	report     string   // --report FILE.html (console_cmd.go)
}

func newReplayCmd(a *app) *cobra.Command {
	var o replayOpts
	cmd := &cobra.Command{
		Use:   "replay [flags] FILE...",
		Short: "Replay capture files (pcap, pcapng, gzip) through the sensor and print alerts",
		Long: `replay reads capture files — pcap or pcapng, optionally gzip-compressed, "-" for
standard input — through the same decode, flow, GeoIP and detection pipeline as
live capture, in capture time: windows and timeouts follow the timestamps in the
file, so an old capture gives the alerts it would have given live.

Alerts go to standard output as JSON lines, to the outputs given with --output
(or, without --output and --alerts, the outputs of the configuration file), or
appended to --alerts FILE. A summary of what was read goes to standard error;
on a terminal a progress line shows packets/s and the time left.
Several files are read in order as one capture.`,
		Example: `  # Replay the sample on the embedded defaults (private addresses are home):
  borderwatch replay testdata/sample/scan-inbound.pcap

  # Home is Germany; alerts appended to a file for the SIEM shipper:
  borderwatch replay --home DE --alerts /var/log/borderwatch/alerts.json capture.pcapng

  # Alerts to syslog (severity 1 and 2 only) and to a file in ECS:
  borderwatch replay --output 'syslog+tcp://127.0.0.1:514?min_severity=2' \
      --output 'file:/var/log/borderwatch/alerts.ecs.json?format=ecs' capture.pcap

  # Suricata's and Zeek's -r:
  borderwatch replay -r capture.pcap

  # Read from a pipe:
  zcat capture.pcap.gz | borderwatch replay -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && len(o.read) == 0 {
				return errors.New("requires at least 1 arg(s), only received 0: a capture FILE, or -r FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd, a, &o, append(slices.Clone(o.read), args...))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.alertsPath, "alerts", "", "append alerts to this file instead of standard output (shorthand for --output file:FILE)")
	f.StringVar(&o.format, "format", "eve", "alert format of standard output and --alerts: eve (Suricata EVE superset) or ecs (Elastic Common Schema)")
	f.StringArrayVar(&o.outputs, "output", nil, "alert output URL (repeatable): stdout, file:PATH, syslog+udp|tcp|tls://, redis://, kafka://, taxii://; see the sink documentation")
	f.IntVar(&o.workers, "workers", 1, "detection workers (flow-hash sharded); alerts from several workers may interleave")
	f.StringArrayVarP(&o.read, "read", "r", nil, "capture file to read, as with suricata -r and zeek -r (repeatable; read before the FILE arguments)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not print the progress and summary on standard error")
	addReportFlag(f, &o.report)
	return cmd
}

// outputConfigs returns the alert outputs and the --format of standard
// output and --alerts: --output and --alerts replace the configuration's
// outputs; no outputs means standard output (the caller's).
func (a *app) outputConfigs(urls []string, alertsPath, format string) ([]sink.Config, alert.Format, error) {
	f, err := alert.ParseFormat(format)
	if err != nil {
		return nil, f, usageError{err}
	}
	if len(urls) == 0 && alertsPath == "" {
		cs, err := a.cfg.sinkConfigs()
		if err != nil {
			return nil, f, usageError{err}
		}
		return cs, f, nil
	}
	var cs []sink.Config
	for _, u := range urls {
		c, err := sink.ParseURL(u)
		if err != nil {
			return nil, f, usageError{err}
		}
		cs = append(cs, c)
	}
	if alertsPath != "" {
		c := &sink.FileConfig{Path: alertsPath, Common: sink.Common{Format: format}}
		if err := c.Validate(); err != nil {
			return nil, f, usageError{err}
		}
		cs = append(cs, c)
	}
	return cs, f, nil
}

// openOutputs starts the outputs; on error the ones started are closed.
func (a *app) openOutputs(cs []sink.Config) (*sink.Writer, error) {
	var outs []*sink.Output
	for _, c := range cs {
		o, err := c.Open(a.log)
		if err != nil {
			sink.NewWriter(outs...).Close()
			return nil, usageErr("opening alert output: %w", err)
		}
		outs = append(outs, o)
	}
	return sink.NewWriter(outs...), nil
}

// alertOutput is where a command's alerts go: the outputs, or else JSON
// lines on standard output, blocking and lossless (see sink.Lines for why
// standard output is not a queued sink.Output here).
type alertOutput struct {
	writer *sink.Writer // the outputs; nil for standard output
	lines  *sink.Lines  // standard output; nil with outputs
}

// openAlertOutput starts the outputs cs or, when there are none, encodes
// the alerts in format onto stdout.
func (a *app) openAlertOutput(cs []sink.Config, stdout io.Writer, format alert.Format) (*alertOutput, error) {
	if len(cs) == 0 {
		return &alertOutput{lines: sink.NewLines(stdout, format)}, nil
	}
	w, err := a.openOutputs(cs)
	if err != nil {
		return nil, err
	}
	return &alertOutput{writer: w}, nil
}

// sink is the pipeline's side of the output. A sink.Writer never blocks
// nor fails: losses are counted per output.
func (o *alertOutput) sink() pipeline.Sink {
	if o.lines != nil {
		return o.lines
	}
	return pipeline.SinkFunc(func(a *alert.Alert) error {
		o.writer.Write(a)
		return nil
	})
}

// close flushes standard output, or drains and closes the outputs.
func (o *alertOutput) close() error {
	var err error
	if o.lines != nil {
		err = o.lines.Flush()
	} else {
		err = o.writer.Close()
	}
	if err != nil {
		return fmt.Errorf("writing alerts: %w", err)
	}
	return nil
}

func runReplay(cmd *cobra.Command, a *app, o *replayOpts, files []string) error {
	cs, format, err := a.outputConfigs(o.outputs, o.alertsPath, o.format)
	if err != nil {
		return err
	}
	if o.workers < 1 {
		return usageErr("--workers must be at least 1")
	}
	set, err := a.loadRules()
	if err != nil {
		return err
	}
	start := time.Now()
	a.noteHome()
	table, err := a.loadGeo(set.Zones)
	if err != nil {
		return err
	}
	glog := a.logger("geo")
	glog.Debug().Str("database", table.Source().Name).Dur("load", time.Since(start)).Msg("geo table built")

	rep, err := newReplayReport(o.report)
	if err != nil {
		return err
	}
	out, err := a.openAlertOutput(cs, cmd.OutOrStdout(), format)
	if err != nil {
		return err
	}
	var prog io.Writer
	if !o.quiet && cmd.ErrOrStderr() == os.Stderr && term.IsTerminal(int(os.Stderr.Fd())) {
		prog = os.Stderr
	}
	stats, runErr := replay(cmd.Context(), replayRun{
		cfg: pipeline.Config{Workers: o.workers, SensorName: a.cfg.SensorName}, holder: geo.NewHolder(table), set: set, sink: rep.wrap(out.sink()), files: files,
		progress: prog, warn: cmd.ErrOrStderr(),
	})
	if err := out.close(); err != nil && runErr == nil {
		runErr = err
	}
	if out.writer != nil {
		stats.SinkErrors += sinkLosses(out.writer.Stats())
	}
	if err := rep.write(a, files, stats, table); err != nil && runErr == nil {
		runErr = err
	}
	if hint := trafficHint(stats); hint != "" {
		l := a.logger("replay")
		l.Warn().Msg(hint)
	}
	if !o.quiet {
		printSummary(cmd.ErrOrStderr(), stats, time.Since(start))
	}
	return runErr
}

// sinkLosses is the alerts the outputs lost.
func sinkLosses(ss []sink.Stats) uint64 {
	var n uint64
	for _, s := range ss {
		n += s.Dropped.Total()
	}
	return n
}

// openSources opens every input before any work, so that a missing file is a
// usage error (exit 2) and not a half-done replay. "-" is standard input.
func openSources(files []string) ([]capture.Source, error) {
	return openSourcesCounting(files, nil)
}

// openSourcesCounting is openSources that adds the bytes read from the files
// (compressed, as stored) to read when it is not nil.
func openSourcesCounting(files []string, read *atomic.Int64) ([]capture.Source, error) {
	sources := make([]capture.Source, 0, len(files))
	for _, name := range files {
		var (
			s   capture.Source
			err error
		)
		switch {
		case name == "-":
			s, err = capture.OpenReader("stdin", countReader(os.Stdin, read))
		case read == nil:
			s, err = capture.OpenFile(name)
		default:
			s, err = openCounted(name, read)
		}
		if err != nil {
			closeSources(sources)
			return nil, usageError{err}
		}
		sources = append(sources, s)
	}
	return sources, nil
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

// replayFiles runs capture files, in order, through one pipeline writing to
// sink, and returns the pipeline's counters. SIGINT or SIGTERM stops it
// cleanly: what was read is processed and counted. A truncated final record
// is a warning line on warn.
func replayFiles(ctx context.Context, cfg pipeline.Config, table *geo.Table, set *rules.Set, sink pipeline.Sink, files []string, warn io.Writer) (pipeline.Stats, error) {
	return replay(ctx, replayRun{cfg: cfg, holder: geo.NewHolder(table), set: set, sink: sink, files: files, warn: warn})
}

// replayRun is what replay runs.
type replayRun struct {
	cfg      pipeline.Config
	holder   *geo.Holder
	set      *rules.Set
	sink     pipeline.Sink
	files    []string
	progress io.Writer // progress line destination (a terminal), nil for none
	warn     io.Writer // where a truncated final record is reported, even with -q; nil for nowhere
}

func replay(ctx context.Context, r replayRun) (pipeline.Stats, error) {
	var (
		read    atomic.Int64
		sources []capture.Source
		err     error
	)
	if r.progress != nil {
		sources, err = openSourcesCounting(r.files, &read)
	} else {
		sources, err = openSources(r.files)
	}
	if err != nil {
		return pipeline.Stats{}, err
	}
	defer closeSources(sources)
	p, err := pipeline.New(r.cfg, r.holder, r.set, r.sink)
	if err != nil {
		return pipeline.Stats{}, err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if r.progress != nil {
		done := make(chan struct{})
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			showProgress(r.progress, p, &read, totalSize(r.files), done)
		}()
		defer func() { close(done); <-finished }()
	}
	var runErr error
	for _, s := range sources {
		err := p.Run(ctx, s)
		if t, ok := s.(capture.Truncator); ok && r.warn != nil {
			if terr := t.Truncation(); terr != nil {
				fmt.Fprintf(r.warn, "borderwatch: warning: %v\n", terr)
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
// breaks its format is invalid input (exit 2, the error names the file and
// offset), anything else (a read error, a bug) a runtime failure (exit 1).
// An interrupted replay is no error.
func replayError(s capture.Source, err error) error {
	var fe *capture.FormatError
	switch {
	case errors.Is(err, context.Canceled):
		return nil
	case errors.As(err, &fe):
		return usageError{err}
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

// showProgress redraws a progress line every half second, starting after
// a second (short replays show none), until done; then it clears it.
func showProgress(w io.Writer, p *pipeline.Pipeline, read *atomic.Int64, total int64, done <-chan struct{}) {
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
			fmt.Fprint(w, "\r"+progressLine(p.Stats().Capture.Frames, read.Load(), total, el)+"\033[K")
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

// printSummary writes what was read and found, for people, on standard error.
func printSummary(w io.Writer, s pipeline.Stats, took time.Duration) {
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
	if top := topCountries(s.CountryTotals(), 5); len(top) > 0 {
		fmt.Fprintf(w, "top countries (remote end) %s\n", strings.Join(top, ", "))
	}
	if s.SinkErrors > 0 {
		fmt.Fprintf(w, "alerts not written (sink errors): %d\n", s.SinkErrors)
	}
	if hint := trafficHint(s); hint != "" {
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

// trafficHint explains a replay whose traffic the default rules mostly do
// not look at: more than half of the packets internal (both ends home) or
// transit (neither end home). The default rules check inbound and outbound
// traffic only. Empty when there is nothing to say.
func trafficHint(s pipeline.Stats) string {
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

// topCountries returns the n largest non-zero counts as "CC N", largest
// first, ties by code; unknown is "??".
func topCountries(counts [pipeline.CountrySlots]uint64, n int) []string {
	type cc struct {
		id geo.CountryID
		n  uint64
	}
	var all []cc
	for id, c := range counts {
		if c > 0 {
			all = append(all, cc{geo.CountryID(id), c})
		}
	}
	slices.SortFunc(all, func(a, b cc) int {
		if a.n != b.n {
			if a.n > b.n {
				return -1
			}
			return 1
		}
		return int(a.id) - int(b.id)
	})
	var out []string
	for _, c := range all[:min(n, len(all))] {
		name := c.id.String()
		if name == "" {
			name = "??"
		}
		out = append(out, fmt.Sprintf("%s %d", name, c.n))
	}
	return out
}
