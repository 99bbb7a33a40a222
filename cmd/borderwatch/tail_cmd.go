package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/internal/config"
	"github.com/borderwatch/borderwatch/internal/systemd"
	"github.com/borderwatch/borderwatch/sensor/alert/tail"
)

// newTailCmd is `borderwatch tail`: the alert log, one readable line per
// alert (sensor/alert/tail).
func newTailCmd(a *app) *cobra.Command {
	var (
		follow    bool
		kinds     []string
		countries []string
		minSev    int
		asJSON    bool
		lines     string
	)
	cmd := &cobra.Command{
		Use:   "tail [flags] [FILE]",
		Short: "Show the alert log, one line per alert, and follow it",
		Long: `tail shows the alerts of an alert file (EVE or ECS lines, as the sensor writes
them; both may be mixed) one line each: time (UTC), severity, kind, rule id,
jurisdiction direction, source → destination with their countries, protocol,
the jurisdictions of each end, what the detector counted and the rule message.

FILE is by default the first file output of the configuration (outputs: in
` + config.DefaultPath + ` or --config); - reads standard input. A
gzip-compressed FILE (logrotate's compress) is read decompressed.
It shows the last --lines alerts that match, then with --follow every new one,
like tail -F: across rotation by rename (logrotate's create; what the sensor
still writes to the renamed file until it reopens is shown too) and by
truncation (copytruncate), and waiting for a file that does not exist yet.

Filters combine; each takes a comma-separated list or is repeated:
  --kind K         detector kinds: scan, sweep, flood, bruteforce,
                   amplification, reputation, policy, volume
  --country CC     the source or the destination is in CC
  --min-severity N severities 1 (the highest) to N, as an output's
                   min_severity: --min-severity 1 shows only the most severe,
                   --min-severity 2 severities 1 and 2; 0 (default) all

--json writes the matching lines unchanged, byte for byte, for jq and scripts.
Colour only when standard output is a terminal and NO_COLOR is not set.
Lines longer than 64 KiB, lines that are not JSON and unreadable alerts are
skipped, counted and noted on standard error (the first 10), never quoted;
records that are not alerts are skipped and counted. A summary of what was
skipped ends the output on standard error.`,
		Example: `  borderwatch tail -f
  borderwatch tail -f --kind scan,sweep --country CN /var/log/borderwatch/alerts.json
  borderwatch tail -n all --min-severity 1 --json alerts.json | jq .src_ip
  borderwatch tail -n all --country RU /var/log/borderwatch/alerts.json.2.gz
  ssh gw1 cat /var/log/borderwatch/alerts.json | borderwatch tail -n all -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := tail.NewFilter(kinds, countries, minSev)
			if err != nil {
				return usageError{Err: err}
			}
			n, err := tail.ParseLines(lines)
			if err != nil {
				return usageError{Err: err}
			}
			path := ""
			if len(args) == 1 {
				path = args[0]
			} else if path, err = a.alertFile(); err != nil {
				return err
			}
			ctx := cmd.Context()
			if path != "-" { // SIGINT and SIGTERM end a followed file cleanly; standard input ends at its end
				c, stop := interruptible(ctx)
				defer stop()
				ctx = c
			}
			out := cmd.OutOrStdout()
			return tail.Show(ctx, out, cmd.InOrStdin(), path, tail.Options{Filter: f, JSON: asJSON, Colour: !asJSON && systemd.Colourful(out),
				Lines: n, Follow: follow, Notes: cmd.ErrOrStderr()})
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&follow, "follow", "f", false, "keep showing new alerts, across rotation, like tail -F")
	fl.StringSliceVar(&kinds, "kind", nil, "only these detector kinds (comma-separated or repeated)")
	fl.StringSliceVar(&countries, "country", nil, "only alerts whose source or destination is in these countries (ISO codes)")
	fl.IntVar(&minSev, "min-severity", 0, "only severities 1 (highest) to N; 0 shows all")
	fl.BoolVar(&asJSON, "json", false, "write the matching lines unchanged")
	fl.StringVarP(&lines, "lines", "n", strconv.Itoa(tail.DefaultLines), "how many of the alerts already in the file to show (the last ones), or all")
	return cmd
}

// alertFile is the path of the first file output of the configuration.
func (a *app) alertFile() (string, error) {
	path, ok, err := a.cfg.AlertFile()
	if err != nil || ok {
		return path, usage(err)
	}
	where := a.cfgPath
	if !a.cfgRead {
		where += ", not found"
	}
	return "", usageErr("no FILE given and the configuration (%s) has no file output: name the alert file", where)
}
