package main

import (
	"fmt"
	"io"

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

// printRuleSummary writes the rules, their state and, if ok, the line
// saying the set is OK.
func printRuleSummary(w io.Writer, set *rules.Set, workers int, ok bool) error {
	if err := rules.WriteSummary(w, set); err != nil {
		return err
	}
	if err := detect.WriteState(w, set, workers); err != nil || !ok {
		return err
	}
	_, err := fmt.Fprintf(w, "%d %s enabled, %d disabled, from %d %s: OK\n",
		len(set.Rules), plural(len(set.Rules), "rule", "rules"), len(set.Disabled), len(set.Files), plural(len(set.Files), "file", "files"))
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
