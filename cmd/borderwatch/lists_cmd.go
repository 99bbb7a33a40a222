package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/rules/feeds"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

// listSources is the list sources of the configuration (lists.sources),
// opened from the cache on first use; nil when none are configured.
func (a *app) listSources() (*feeds.Manager, error) {
	if a.lists == nil {
		m, err := feeds.Open(a.cfg.Lists, a.logger("lists"))
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
	// A reload with another lists section stages its sources: the
	// reload's commit (listsTarget) makes them the running sources.
	lists, err := m.ListsFor(a.cfg.Lists)
	if err != nil {
		return nil, usageError{Err: err}
	}
	return lists, nil
}

// listCollectors are the list sources' metrics, if any.
func (a *app) listCollectors() []prometheus.Collector {
	if a.lists == nil {
		return nil
	}
	return []prometheus.Collector{a.lists}
}

// listsTarget is the list sources' reload target: a reload's lists, and
// the sources of a changed lists section, are in force (status, metrics,
// refresh) once it committed. Without list sources at start, an empty
// manager takes those a reload adds.
func (a *app) listsTarget() reload.Target {
	if a.lists == nil {
		a.lists, _ = feeds.New(feeds.Configuration{StateDir: a.cfg.Lists.StateDir}, a.logger("lists")) // no source: no error
	}
	a.lists.Bind()
	return reload.Target{Name: "lists", Prepare: func(set *rules.Set, _ *geo.Table) (reload.Change, error) {
		return a.lists.Prepare(set)
	}, Failed: a.lists.ReloadFailed}
}

// startLists refreshes the list sources in the background until ctx ends,
// reloading through rl when a list changed. The returned function waits
// for the refresher to stop.
func (a *app) startLists(ctx context.Context, rl *reload.Reloader) (wait func()) {
	return a.lists.Start(ctx, rl.Reload) // a failed reload is logged by the reloader
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
			if err != nil || m == nil {
				return noSources(cmd, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return m.UpdateNow(ctx, cmd.OutOrStdout())
		},
	}
}

func newListsStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each list source: entries, age, last error (from the cache)",
		Long: `status reads the cache of the state folder (no network): per list source its
entries, when it was last known current (age), when it last changed, the
failures since and the last error. The sources are shown with the secrets of
their URLs redacted. The cache holds the last good lists, which a running
sensor takes at its next reload: ` + "`borderwatch status`" + ` shows the lists in force.`,
		Example: "  borderwatch lists status",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(a.cfg.Lists.Sources) == 0 {
				return noSources(cmd, nil)
			}
			if err := feeds.WriteCacheStatus(cmd.OutOrStdout(), a.cfg.Lists, a.logger("lists"), time.Now()); err != nil {
				return usageError{Err: err}
			}
			return nil
		},
	}
}

// noSources is err, or says that there are no list sources.
func noSources(cmd *cobra.Command, err error) error {
	if err == nil {
		fmt.Fprintln(cmd.OutOrStdout(), "no list sources configured (lists.sources)")
	}
	return err
}
