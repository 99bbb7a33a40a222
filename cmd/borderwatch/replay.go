package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/replay"
	"github.com/spf13/cobra"
)

type replayOpts struct {
	workers int
	quiet   bool
	read    []string // -r/--read files, before the FILE arguments
	out     outputFlags
	report  string // --report FILE.html
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
	o.out.bind(f)
	f.IntVar(&o.workers, "workers", 1, "detection workers (flow-hash sharded); alerts from several workers may interleave")
	f.StringArrayVarP(&o.read, "read", "r", nil, "capture file to read, as with suricata -r and zeek -r (repeatable; read before the FILE arguments)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not print the progress and summary on standard error")
	f.StringVar(&o.report, "report", "", "also write a self-contained HTML report (map, timeline, traffic per country, alert table) to FILE")
	return cmd
}

func runReplay(cmd *cobra.Command, a *app, o *replayOpts, files []string) error {
	openOutputs, err := o.out.opener(a, cmd.OutOrStdout())
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

	rep, err := console.CreateReport(o.report)
	if err != nil {
		return err
	}
	out, err := openOutputs()
	if err != nil {
		return err
	}
	var prog io.Writer
	if !o.quiet {
		prog = replay.Terminal(cmd.ErrOrStderr())
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	stats, runErr := replay.Run(ctx, replay.Options{
		Pipeline: pipeline.Config{Workers: o.workers, SensorName: a.cfg.SensorName, Log: a.logger("pipeline")}, Geo: geo.NewHolder(table), Rules: set, Sink: rep.Wrap(out), Files: files,
		Progress: prog, Warn: cmd.ErrOrStderr(),
	})
	if err := out.Close(); err != nil && runErr == nil {
		runErr = err
	}
	stats.SinkErrors += out.Lost()
	if err := rep.Write(files, stats, table, buildInfo().Version, a.cfg.SensorName); err != nil && runErr == nil {
		runErr = err
	}
	if hint := replay.TrafficHint(stats); hint != "" {
		l := a.logger("replay")
		l.Warn().Msg(hint)
	}
	if !o.quiet {
		replay.WriteSummary(cmd.ErrOrStderr(), stats, time.Since(start))
	}
	return runErr
}

// interruptible is ctx, also ended by SIGINT and SIGTERM: they stop a
// replay cleanly, what was read is processed and counted.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}
