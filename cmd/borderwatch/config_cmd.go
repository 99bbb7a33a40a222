package main

import (
	"github.com/borderwatch/borderwatch/internal/config"
	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/spf13/cobra"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the configuration file",
		Example: `  borderwatch config check /etc/borderwatch/borderwatch.yaml
  borderwatch --config deploy/borderwatch.example.yaml config check`,
	}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a configuration file and print the effective configuration",
		Long: `check reads the configuration file (FILE, else --config, else
` + config.DefaultPath + ` when it exists), rejects unknown keys and bad values
with FILE:LINE: reason (every problem of the file in one run), applies the
global flags over it, checks that the rule files load, and prints the
effective configuration as YAML with passwords and URL credentials shown as
` + redact.Marker + `. The file must be a regular file of at most 1 MiB; see the
README for the limits of every setting.`,
		Example: `  borderwatch config check /etc/borderwatch/borderwatch.yaml
  borderwatch --home DE,AT config check deploy/borderwatch.example.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if err := a.loadConfig(cmd, args[0], true); err != nil {
					return err
				}
			}
			if _, err := a.loadRules(); err != nil {
				return err
			}
			if err := a.cfg.CheckGeoFiles(); err != nil {
				return usageError{Err: err}
			}
			return a.cfg.WriteEffective(cmd.OutOrStdout(), a.cfgPath, a.cfgRead)
		},
	}
	cmd.AddCommand(check)
	return cmd
}
