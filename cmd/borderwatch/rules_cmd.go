package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/detect"
)

// newRulesCmd is `borderwatch rules`: check (here) and test rule files.
func newRulesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check and test rule files",
		Long: `Rule files are YAML: zones, address lists and rules. See docs/rules.md for the
schema, the default rule pack and the thresholds it uses.`,
		Example: `  borderwatch rules check                      # the embedded default pack
  borderwatch --home DE rules check my-rules/  # the pack plus a folder
  borderwatch rules test --pcap scan.pcap --expect scan.expect.json`,
	}
	cmd.AddCommand(newRulesCheckCmd(a))
	cmd.AddCommand(newRulesTestCmd(a))
	return cmd
}

func newRulesCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Validate rule files and summarise the rules",
		Long: `check loads the default rule pack (unless --no-default-rules) and every PATH
(a rule file, or a folder whose *.yaml and *.yml files are read in name order),
exactly as the sensor would, and prints a table of the rules and their count
per kind. With no PATH it checks the default pack and the --rules paths.

Zones are resolved with --home and --special-not-home. Every problem is printed
as FILE:LINE:COL: rule ID: reason; the exit status is 2 when there is one.`,
		Example: `  borderwatch rules check
  borderwatch rules check my-rules.yaml rules.d/
  borderwatch --home DE,AT rules check --no-default-rules site.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := args
			if len(paths) == 0 {
				paths = a.rulePaths
			}
			if len(paths) == 0 && a.noDefaultRules {
				return usageErr("nothing to check: give a PATH, or drop --no-default-rules")
			}
			lists, err := a.feedLists() // the list sources' cached lists, by name
			if err != nil {
				return err
			}
			set, err := rules.Load(rules.Options{Paths: paths, NoDefaults: a.noDefaultRules, Geo: a.geoConfig(), Lists: lists})
			if err != nil {
				n := printRuleErrors(cmd.ErrOrStderr(), err)
				return usageErr("%d %s in rule files", n, plural(n, "error", "errors"))
			}
			workers := max(a.cfg.Capture.Workers, 1)
			stateErr := detect.CheckState(set.Rules, detect.Config{}, workers, 0)
			if err := printRuleSummary(cmd.OutOrStdout(), set, workers, stateErr == nil); err != nil {
				return err
			}
			if stateErr != nil {
				return usageErr("%v", stateErr)
			}
			return nil
		},
	}
}

// printRuleErrors prints each error rules.Load joined on its line and counts them.
func printRuleErrors(w io.Writer, err error) int {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
	return len(errs)
}

// printRuleSummary writes the table of rules, the counts per kind, the
// lists, the worst-case detection state of each rule and in all, then, if
// ok, the line saying the set is OK.
func printRuleSummary(w io.Writer, set *rules.Set, workers int, ok bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tNAME\tFROM→TO\tTHRESHOLD\tSUPPRESS\tSEV")
	row := func(r *rules.Rule, disabled bool) {
		name := r.Name
		if disabled {
			name += " (disabled)"
		}
		fromTo := strings.Join(r.FromTerms, ",") + "→" + strings.Join(r.ToTerms, ",")
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.Kind, name, fromTo, r.Threshold, rules.FormatDuration(r.Suppress), r.Severity)
	}
	for _, r := range set.Rules {
		row(r, false)
	}
	for _, r := range set.Disabled {
		row(r, true)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := map[rules.Kind]int{}
	for _, r := range set.Rules {
		counts[r.Kind]++
	}
	var parts []string
	for _, k := range rules.Kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	fmt.Fprintf(w, "\nper kind: %s\n", strings.Join(parts, ", "))
	for _, name := range slices.Sorted(maps.Keys(set.Lists)) {
		l := set.Lists[name]
		fmt.Fprintf(w, "list %s: %d %s from %s (%s)", name, l.Len(), plural(l.Len(), "prefix", "prefixes"), l.Source(), l.Format())
		if l.Masked() > 0 {
			fmt.Fprintf(w, ", %d with host bits set (masked)", l.Masked())
		}
		fmt.Fprintln(w)
	}
	if err := printRuleState(w, set, workers); err != nil || !ok {
		return err
	}
	_, err := fmt.Fprintf(w, "%d %s enabled, %d disabled, from %d %s: OK\n",
		len(set.Rules), plural(len(set.Rules), "rule", "rules"), len(set.Disabled), len(set.Files), plural(len(set.Files), "file", "files"))
	return err
}

// printRuleState writes the memory each enabled rule's state takes in one
// detection worker once its tables are full (they start empty and grow with
// the keys seen), and the total for the configured workers.
func printRuleState(w io.Writer, set *rules.Set, workers int) error {
	if len(set.Rules) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\ndetection state per worker, worst case (every table full; tables start empty and grow with the traffic):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKEYS\tDISTINCT\tSKETCH\tTOTAL")
	var total int64
	for _, s := range detect.RuleState(set.Rules, detect.Config{}) {
		total += s.Total
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", s.ID, rules.FormatSize(uint64(s.Keys)), rules.FormatSize(uint64(s.Distinct)),
			rules.FormatSize(uint64(s.Sketch)), rules.FormatSize(uint64(s.Total)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "state: up to %s per worker, %s with %d %s (capture.workers); limit %s\n",
		rules.FormatSize(uint64(total)), rules.FormatSize(uint64(total)*uint64(workers)), workers, plural(workers, "worker", "workers"),
		rules.FormatSize(detect.DefaultMaxState))
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
