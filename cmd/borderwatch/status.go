package main

import (
	"errors"

	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/spf13/cobra"
)

func newStatusCmd(a *app) *cobra.Command {
	var addr, serverName string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the counters of a running sensor (from its metrics endpoint)",
		Long: `status reads the Prometheus endpoint of a running ` + "`borderwatch run`" + ` (--addr,
else metrics.listen of the configuration, else 127.0.0.1:9467; over https when
console.tls is set, trusting its certificate) and prints, per
capture source (interface), the packets, hand-offs and drops, the kernel
stage's counters when XDP is used (in total and per interface and hook), the pipeline's counters, the top
countries of inbound and outbound traffic, and the list sources (lists.sources:
entries and age of the list in force, failures, last error, and whether a
fetched list is not in force yet).

A listener on every address (0.0.0.0:9467, [::]:9467) is read on loopback
(127.0.0.1, ::1); over https its certificate is verified against
--server-name, else the first name of console.tls.cert_file's certificate,
never skipped.`,
		Example: `  borderwatch status
  borderwatch status --addr 127.0.0.1:9467
  borderwatch status --addr 0.0.0.0:9467 --server-name gw1.example.net`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("addr") && a.cfg.Metrics.Listen != "off" {
				addr = a.cfg.Metrics.Listen
			}
			// The listener serves HTTPS when console.tls is set.
			opt := metrics.FetchOptions{TLS: a.cfg.Console.TLS.CertFile != "", RootCAs: a.cfg.Console.RootCAs(),
				ServerName: serverName, CertNames: a.cfg.Console.CertNames()}
			fams, err := metrics.Fetch(cmd.Context(), addr, opt)
			if errors.Is(err, metrics.ErrBadAddress) || errors.Is(err, metrics.ErrNoServerName) {
				return usageError{Err: err}
			}
			if err != nil {
				return err
			}
			return metrics.WriteStatus(cmd.OutOrStdout(), addr, fams)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:9467", "metrics address (host:port) or URL of the running sensor")
	cmd.Flags().StringVar(&serverName, "server-name", "", "name the listener's TLS certificate must be valid for (default: the address's host; for 0.0.0.0 or [::], the first name of console.tls.cert_file)")
	return cmd
}
