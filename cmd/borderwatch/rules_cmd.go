package main

import (
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
			set, err := rules.Load(rules.Options{Paths: paths, NoDefaults: a.noDefaultRules, Geo: a.cfg.GeoConfig(), Lists: lists})
			if err != nil {
				return usageErr("%s in rule files", rules.ErrorCount(rules.WriteErrors(cmd.ErrOrStderr(), err)))
			}
			workers, w := max(a.cfg.Capture.Workers, 1), cmd.OutOrStdout()
			stateErr := detect.CheckState(set.Rules, detect.Config{}, workers, 0)
			if err := rules.WriteSummary(w, set); err != nil {
				return err
			}
			if err := detect.WriteState(w, set, workers); err != nil {
				return err
			}
			if stateErr != nil {
				return usageErr("%v", stateErr)
			}
			return rules.WriteOK(w, set)
		},
	}
}
