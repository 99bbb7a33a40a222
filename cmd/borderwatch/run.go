package main

import (
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/bpf"
	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/cli"
	"github.com/borderwatch/borderwatch/internal/config"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/agent"
	"github.com/borderwatch/borderwatch/sensor/capture/live"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

type runOpts struct {
	ifaces        []string
	egress        bool
	enforce       bool
	capture       string
	xdpMode       string
	egressMode    string
	workers       int
	metricsListen string
	out           outputFlags
}

func newRunCmd(a *app) *cobra.Command {
	var o runOpts
	cmd := &cobra.Command{
		Use:   "run --iface IF[,IF...] [flags]",
		Short: "Watch live traffic on gateway interfaces (XDP, or AF_PACKET) and write alerts",
		Long: `run watches the traffic of the given interfaces and runs it through the same
decode, flow, GeoIP and detection pipeline as replay.

By default the kernel stage (XDP on ingress, with --egress also TC on egress)
classifies every packet by jurisdiction, counts it, and hands the packets worth
decoding to the sensor through a ring buffer. Where XDP cannot be used (no
CAP_BPF, an old kernel, another XDP program on the interface) the sensor warns
why and falls back to AF_PACKET (TPACKET_V3 ring), which sees every packet of
both directions; --capture afpacket forces it.

Privileges: root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON for XDP and
CAP_NET_RAW for AF_PACKET (the systemd unit in deploy/ grants exactly these).

Enforcement (--enforce, capture.enforce; XDP only, off by default): rules
with ` + "`action: drop`" + ` are compiled into kernel maps and XDP (and TC egress) drops
their packets from the first one, in both directions, counted per rule in
borderwatch_kernel_dropped_packets_total{rule="ID"}; their alerts say action
"blocked". Only reputation rules (the list's prefixes) and policy rules whose
foreign side (the from or to that is not home or any) is made of countries,
groups, zones of those and CIDRs can drop; a drop rule with anything else (AS
numbers, "!" negations, any, protocol or port matchers, another kind) stops
the sensor at start, or a reload, with the rule and the reason. Without
--enforce the sensor never drops: drop rules alert like the others, with
action "allowed". AF_PACKET cannot drop: --enforce with --capture afpacket is
an error, and a failed XDP load is not an AF_PACKET fallback.

Signals: SIGHUP reloads the rule files, lists, zones and GeoIP databases (a bad
file keeps the running state and is logged with file:line) and reopens the
alert files (logrotate); SIGUSR1 logs the counters; SIGINT and SIGTERM detach,
flush the alerts and exit. Prometheus metrics are served on --metrics-listen
(default ` + metrics.DefaultListen + `); ` + "`borderwatch status`" + ` reads them. The live
console (map, alert feed, health; docs/console.md) is at / of the same address.`,
		Example: `  # Watch eth0 and eth1 for Germany, XDP with egress, alerts to a file:
  borderwatch run --home DE --iface eth0,eth1 --egress --alerts /var/log/borderwatch/alerts.json

  # Drop the traffic of the rules with action: drop (XDP only):
  borderwatch run --home DE --iface eth0 --rules /etc/borderwatch/rules.d --enforce

  # AF_PACKET, alerts to syslog:
  borderwatch run --home DE --iface eth0 --capture afpacket --output syslog+tcp://127.0.0.1:514

  # Everything from the configuration file:
  borderwatch --config /etc/borderwatch/borderwatch.yaml run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(cmd, a, &o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.ifaces, "iface", "i", nil, "interfaces to watch, comma-separated (capture.interfaces)")
	f.BoolVar(&o.egress, "egress", false, "also watch the egress of the interfaces (XDP mode: TC egress program)")
	f.BoolVar(&o.enforce, "enforce", false, `drop the packets of rules with "action: drop" in the kernel (XDP only; capture.enforce)`)
	def := live.DefaultConfiguration()
	f.StringVar(&o.capture, "capture", def.Mode, "capture mode: "+bpf.Words(live.Modes)+" (xdp falls back to afpacket when unavailable)")
	f.StringVar(&o.xdpMode, "xdp-mode", def.XDPMode, "XDP attach mode: "+bpf.Words(live.XDPModes)+" (native: the driver's)")
	f.StringVar(&o.egressMode, "egress-mode", def.EgressMode, "TC egress attach: "+bpf.Words(live.EgressModes)+" (auto: TCX, clsact before Linux 6.6)")
	f.IntVar(&o.workers, "workers", pipeline.DefaultLiveWorkers, "detection workers (capture.workers)")
	o.out.bind(f)
	f.StringVar(&o.metricsListen, "metrics-listen", metrics.DefaultListen, `Prometheus metrics address host:port, "off" to disable (metrics.listen)`)
	return cmd
}

// apply puts the run flags the user set over the configuration and checks
// the capture and metrics settings and the interfaces.
func (o *runOpts) apply(cmd *cobra.Command, c *config.Config) error {
	o.override(cmd, c)
	return usage(c.CheckRun())
}

// override puts the run flags the user set over c: at start, and over
// the configuration a reload reads again, which is compared with the one
// in force (config.RestartOnly) as the start made it.
func (o *runOpts) override(cmd *cobra.Command, c *config.Config) {
	cc := &c.Capture
	cli.SetChanged(cmd.Flags(), map[string]func(){
		"iface":          func() { cc.Interfaces = cli.NonEmpty(o.ifaces) },
		"egress":         func() { cc.Egress = o.egress },
		"capture":        func() { cc.Mode = o.capture },
		"enforce":        func() { cc.Enforce = o.enforce },
		"xdp-mode":       func() { cc.XDPMode = o.xdpMode },
		"egress-mode":    func() { cc.EgressMode = o.egressMode },
		"workers":        func() { cc.Workers = o.workers },
		"metrics-listen": func() { c.Metrics.Listen = o.metricsListen },
	})
}

func runLive(cmd *cobra.Command, a *app, o *runOpts) error {
	// SIGHUP and SIGUSR1 during the start-up below (rules, GeoIP) are
	// held for the agent, not the end of the process.
	held := agent.HoldSignals()
	defer signal.Stop(held)
	if err := o.apply(cmd, &a.cfg); err != nil {
		return err
	}
	if err := a.cfg.Console.Check(a.cfg.Metrics.Listen); err != nil {
		return err
	}
	openOutputs, err := o.out.opener(a, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	set, err := a.loadRules()
	if err != nil {
		return err
	}
	cc := a.cfg.Capture
	kr, err := live.CompileRules(set, cc.Enforce)
	if err != nil {
		return usageError{Err: err}
	}
	a.noteHome()
	table, err := a.loadGeo(set.Zones)
	if err != nil {
		return err
	}
	bi := buildInfo()
	lists := a.listsTarget() // before listCollectors: it opens an empty manager a reload can fill
	rebuild, reloaded := reloadState(a, cmd, o)
	return agent.Run(cmd.Context(), agent.Config{
		Capture: cc.Live(),
		Pipeline: pipeline.Config{Workers: cc.Workers, BatchSize: cc.BatchSize, QueueSize: cc.QueueSize, Enforce: cc.Enforce,
			SensorName: a.cfg.SensorName},
		Metrics: a.cfg.Metrics.Listen, Console: a.cfg.Console,
		Build: metrics.BuildInfo{Version: bi.Version, Commit: bi.Commit, GoVersion: bi.GoVersion},
		Rules: set, Geo: table, Kernel: kr,
		OpenOutputs:     openOutputs,
		Rebuild:         rebuild,
		ReloadedConsole: reloaded,
		Targets:         []reload.Target{lists},
		Collectors:      a.listCollectors(),
		Background:      a.startLists,
		Logger:          a.logger,
		Held:            held,
	})
}

// reloadState returns run's Rebuild and the console section the last
// Rebuild that succeeded read (the start's before any). Reloads run one at
// a time (Rebuild, then the targets' Prepare), so no lock. o, when not
// nil, is run's flags (cmd's): they override the file read again too.
func reloadState(a *app, cmd *cobra.Command, o *runOpts) (build func() (*rules.Set, *geo.Table, error), reloaded func() console.Configuration) {
	cons := a.cfg.Console
	build = func() (*rules.Set, *geo.Table, error) {
		set, table, c, err := rebuild(a, cmd, o)
		if err == nil {
			cons = c
		}
		return set, table, err
	}
	return build, func() console.Configuration { return cons }
}

// rebuild reads the configuration file again (the flags still override it,
// run's o among them when not nil) and loads the rules and the geo table
// from its geo and rules sections, as at start; it returns the console
// section read too (the console's reload target takes its authentication).
func rebuild(a *app, cmd *cobra.Command, o *runOpts) (*rules.Set, *geo.Table, console.Configuration, error) {
	fresh := *a
	if a.cfgRead {
		if err := fresh.loadConfig(cmd, a.cfgPath, true); err != nil {
			return nil, nil, console.Configuration{}, err
		}
		if o != nil {
			// as at start: a section a run flag set is not "changed"
			o.override(cmd, &fresh.cfg)
			if len(o.out.outputs) > 0 || o.out.alertsPath != "" {
				// --output and --alerts replace the file's outputs
				fresh.cfg.Outputs = a.cfg.Outputs
			}
		}
		if names := a.cfg.RestartOnly(&fresh.cfg); len(names) > 0 {
			l := a.logger("reload")
			l.Warn().Strs("settings", names).Msg("changed settings a reload does not apply: they take effect at the next restart")
		}
	}
	set, table, err := fresh.loadState()
	return set, table, fresh.cfg.Console, err
}
