package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules/verify"
	"github.com/borderwatch/borderwatch/sensor/replay"
)

// errMismatch is returned when `rules test` sees other alerts than expected
// (exit 1: the run worked, the rules do not do what their author expects).
var errMismatch = errors.New("alerts differ from the expectations")

func newRulesTestCmd(a *app) *cobra.Command {
	var pcaps []string
	var expectPath string
	cmd := &cobra.Command{
		Use:   "test --pcap FILE --expect FILE.json",
		Short: "Run the rules over a capture and compare the alerts with the expected ones",
		Long: `test replays one or more captures through the rules (the default pack plus
--rules, as for replay) and compares the alerts with an expectations file:

  {"alerts": [
    {"kind": "scan", "signature_id": 8100101, "src_ip": "198.51.100.7",
     "dest_ip": "192.0.2.10", "src_country": "CN", "geo_direction": "inbound",
     "distinct_ports": 15, "count": 1}
  ]}

Each expectation checks only the fields it sets; count (default 1) is how many
alerts must match it. Every alert must be expected: {"alerts": []} expects
none. Fields: kind, signature_id, src_ip, dest_ip, src_port, dest_port, proto,
src_country, dest_country, geo_direction, action, packets, distinct_ports,
distinct_hosts, min_distinct_sources, count.

The differences are printed one per line, "-" for expected and missing, "+"
for seen and not expected. Exit status 0 when they match, 1 when they differ,
2 for unreadable input (a capture that breaks its format is reported as
"FILE: offset N: reason"; a truncated final record is a warning).`,
		Example: `  borderwatch rules test --home DE --geoip lab.mmdb --rules my-rules.yaml \
      --pcap scan.pcap --expect scan.expect.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(pcaps) == 0 || expectPath == "" {
				return usageErr("rules test needs --pcap and --expect")
			}
			want, err := verify.Load(expectPath)
			if err != nil {
				return usageError{Err: err}
			}
			set, table, err := a.loadState()
			if err != nil {
				return err
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			res, n, err := verify.Replay(ctx, want, replay.Options{Geo: geo.NewHolder(table), Rules: set, Files: pcaps, Warn: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !res.OK() {
				fmt.Fprint(out, res.String())
				return fmt.Errorf("%s: %w", expectPath, errMismatch)
			}
			fmt.Fprintf(out, "ok: %d alerts as expected\n", n)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&pcaps, "pcap", nil, "capture file to replay (repeatable; read in order as one capture)")
	cmd.Flags().StringVar(&expectPath, "expect", "", "expectations file (JSON)")
	return cmd
}
