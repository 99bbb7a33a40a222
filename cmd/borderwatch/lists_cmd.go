package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/internal/strictyaml"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/rules/feeds"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

// listSources is the list sources of the configuration (lists.sources),
// opened from the cache on first use; nil when none are configured.
func (a *app) listSources() (*feeds.Manager, error) {
	if len(a.cfg.Lists.Sources) == 0 {
		return nil, nil
	}
	if a.lists == nil {
		m, err := feeds.New(a.cfg.Lists, a.logger("lists"))
		if err != nil {
			return nil, usageError{Err: err}
		}
		a.lists = m
	}
	return a.lists, nil
}

// feedLists are the lists of the list sources for rules.Load.
func (a *app) feedLists() (map[string]*rules.List, error) {
	m, err := a.listSources()
	if err != nil || m == nil {
		return nil, err
	}
	return m.Lists(), nil
}

// listCollectors are the list sources' metrics, if any.
func (a *app) listCollectors() []prometheus.Collector {
	if a.lists == nil {
		return nil
	}
	return []prometheus.Collector{a.lists}
}

// startLists refreshes the list sources in the background until ctx ends,
// reloading the rules (prepare, then commit, like SIGHUP) when a list
// changed. The returned function waits for the refresher to stop.
func (a *app) startLists(ctx context.Context, rl *reload.Reloader) (wait func()) {
	if a.lists == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.lists.Run(ctx, func() { _ = rl.Reload() }) // logged by the reloader
	}()
	return func() { <-done; a.lists.Close() }
}

func newListsCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "lists",
		Short: "Address lists fetched from URLs, TAXII collections and MISP feeds (lists.sources)",
		Long: `The list sources of the configuration (lists.sources) are address lists that
reputation rules name like the lists of rule files. The sensor fetches each on
its refresh interval and keeps the last good list in the state folder
(lists.state_dir), so that it starts with it when the network is down.`,
		Example: "  borderwatch lists update\n  borderwatch lists status",
	}
	c.AddCommand(newListsUpdateCmd(a), newListsStatusCmd(a))
	return c
}

func newListsUpdateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "update",
		Short: "Fetch every list source now and write the cache",
		Long: `update fetches every list source now (conditionally: an unchanged list is a 304)
and writes the good lists into the cache of the state folder. A running sensor
takes them on its next reload (SIGHUP, systemctl reload borderwatch). A failed
source keeps its last good list. Exit code 1 when a source failed.`,
		Example: "  borderwatch lists update\n  borderwatch -c /etc/borderwatch/borderwatch.yaml lists update",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.listSources()
			if err != nil {
				return err
			}
			if m == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "no list sources configured (lists.sources)")
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			res := m.Update(ctx)
			failed := printListUpdate(cmd.OutOrStdout(), res)
			if failed > 0 {
				return fmt.Errorf("%d of %d list sources failed; their last good lists stay", failed, len(res))
			}
			return nil
		},
	}
}

// printListUpdate prints one line per source and returns how many failed.
func printListUpdate(w io.Writer, res []feeds.Result) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LIST\tRESULT\tENTRIES\tTOOK\tDETAIL")
	failed := 0
	for _, r := range res {
		detail := r.Note
		result := strings.ReplaceAll(r.Outcome, "_", " ")
		switch {
		case r.Err != nil:
			failed++
			detail = r.Err.Error()
		case r.Outcome == feeds.OutcomeUpdated && !r.Changed:
			result = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Name, result, r.Entries, r.Took.Round(time.Millisecond), strictyaml.OneLine(detail))
	}
	_ = tw.Flush()
	return failed
}

func newListsStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each list source: entries, age, last error (from the cache)",
		Long: `status reads the cache of the state folder (no network): per list source its
entries, when it was last known current (age), when it last changed, the
failures since and the last error. The sources are shown with the secrets of
their URLs redacted.`,
		Example: "  borderwatch lists status",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(a.cfg.Lists.Sources) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no list sources configured (lists.sources)")
				return nil
			}
			m, err := feeds.New(a.cfg.Lists, a.logger("lists").Level(max(a.log.GetLevel(), zerolog.WarnLevel))) // the table says what the cache holds
			if err != nil {
				return usageError{Err: err}
			}
			defer m.Close()
			printListStatus(cmd.OutOrStdout(), m.Status(), time.Now())
			return nil
		},
	}
}

func printListStatus(w io.Writer, sts []feeds.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LIST\tFORMAT\tENTRIES\tAGE\tCHANGED\tFAILURES\tLAST ERROR\tSOURCE")
	for _, st := range sts {
		age, changed := "never", "never"
		if d := st.Age(now); d >= 0 {
			age = d.Round(time.Second).String()
		}
		if !st.Updated.IsZero() {
			changed = st.Updated.UTC().Format(time.RFC3339)
		}
		lastErr := "-"
		if st.LastError != "" {
			lastErr = st.LastErrorAt.UTC().Format(time.RFC3339) + " " + st.LastError
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", st.Name, st.Format, st.Entries, age, changed, st.Failures, strictyaml.OneLine(lastErr), st.Source)
	}
	_ = tw.Flush()
}
