package main

// PLACEHOLDER owned by the rules implementer: `rules check`, `rules test`.

import "github.com/spf13/cobra"

func newRulesCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "rules", Short: "Check and test rule files"}
}
