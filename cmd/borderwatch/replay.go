package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

type replayOpts struct {
	alertsPath string
	format     string
	workers    int
	quiet      bool
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

Alerts go to standard output as JSON lines (or appended to --alerts FILE); a
summary of what was read goes to standard error. Several files are read in
order as one capture.`,
		Example: `  # Replay the sample on the embedded defaults (private addresses are home):
  borderwatch replay testdata/sample/scan-inbound.pcap

  # Home is Germany; alerts appended to a file for the SIEM shipper:
  borderwatch replay --home DE --alerts /var/log/borderwatch/alerts.json capture.pcapng

  # Read from a pipe:
  zcat capture.pcap.gz | borderwatch replay -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd, a, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.alertsPath, "alerts", "", "append alerts to this file instead of standard output")
	f.StringVar(&o.format, "format", "eve", "alert format: eve (Suricata EVE superset) or ecs (Elastic Common Schema)")
	f.IntVar(&o.workers, "workers", 1, "detection workers (flow-hash sharded); alerts from several workers may interleave")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not print the summary on standard error")
	return cmd
}

// lineSink encodes alerts as JSON lines onto a buffered writer.
type lineSink struct {
	enc *alert.Encoder
	w   *bufio.Writer
	buf []byte
}

func (s *lineSink) Write(a *alert.Alert) error {
	var err error
	s.buf, err = s.enc.Append(s.buf[:0], a)
	if err != nil {
		return err
	}
	_, err = s.w.Write(s.buf)
	return err
}

func runReplay(cmd *cobra.Command, a *app, o *replayOpts, files []string) error {
	format, err := alert.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	if o.workers < 1 {
		return usageErr("--workers must be at least 1")
	}
	set, err := a.loadRules()
	if err != nil {
		return err
	}
	start := time.Now()
	table, err := a.loadGeo(set.Zones)
	if err != nil {
		return err
	}
	a.log.Debug().Str("component", "geo").Str("database", table.Source().Name).Dur("load", time.Since(start)).Msg("geo table built")

	out := cmd.OutOrStdout()
	if o.alertsPath != "" {
		fh, err := os.OpenFile(o.alertsPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return usageErr("opening alerts file: %w", err)
		}
		defer fh.Close()
		out = fh
	}
	sink := &lineSink{enc: alert.NewEncoder(format), w: bufio.NewWriterSize(out, 64<<10)}
	stats, runErr := replayFiles(cmd.Context(), pipeline.Config{Workers: o.workers}, table, set, sink, files)
	if err := sink.w.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing alerts: %w", err)
	}
	if !o.quiet {
		printSummary(cmd.ErrOrStderr(), stats, time.Since(start))
	}
	return runErr
}

// openSources opens every input before any work, so that a missing file is a
// usage error (exit 2) and not a half-done replay. "-" is standard input.
func openSources(files []string) ([]capture.Source, error) {
	sources := make([]capture.Source, 0, len(files))
	for _, name := range files {
		var (
			s   capture.Source
			err error
		)
		if name == "-" {
			s, err = capture.OpenReader("stdin", os.Stdin)
		} else {
			s, err = capture.OpenFile(name)
		}
		if err != nil {
			closeSources(sources)
			return nil, usageError{err}
		}
		sources = append(sources, s)
	}
	return sources, nil
}

func closeSources(sources []capture.Source) {
	for _, s := range sources {
		s.Close()
	}
}

// replayFiles runs capture files, in order, through one pipeline writing to
// sink, and returns the pipeline's counters. SIGINT or SIGTERM stops it
// cleanly: what was read is processed and counted.
func replayFiles(ctx context.Context, cfg pipeline.Config, table *geo.Table, set *rules.Set, sink pipeline.Sink, files []string) (pipeline.Stats, error) {
	sources, err := openSources(files)
	if err != nil {
		return pipeline.Stats{}, err
	}
	defer closeSources(sources)
	p, err := pipeline.New(cfg, geo.NewHolder(table), set, sink)
	if err != nil {
		return pipeline.Stats{}, err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var runErr error
	for _, s := range sources {
		if err := p.Run(ctx, s); err != nil {
			if !errors.Is(err, context.Canceled) {
				runErr = fmt.Errorf("replaying %s: %w", s.Name(), err)
			}
			break
		}
	}
	p.Close()
	return p.Stats(), runErr
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
	fmt.Fprintf(w, "decoded %d; skipped %d (non-IP %d, truncated %d, malformed %d, unsupported link %d); unreadable records %d\n",
		d.Decoded, d.Skipped(), d.NonIP, d.Truncated, d.Malformed, d.UnsupportedLink, s.Capture.Errors)
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
	if s.SinkErrors > 0 {
		fmt.Fprintf(w, "alerts not written (sink errors): %d\n", s.SinkErrors)
	}
}
