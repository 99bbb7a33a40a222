package main

import (
	"fmt"

	"github.com/borderwatch/borderwatch/internal/buildinfo"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it the module version of the build info is used (see buildinfo.Of).
var version = "dev"

// buildInfo is the build information of this binary.
func buildInfo() buildinfo.Info { return buildinfo.Read(version) }

// addVersionFlag gives root --version and -V (Suricata's flag), which
// print the version line and exit 0 without reading the configuration.
// Root prints it itself rather than through cobra's Version field: cobra
// prints that through a text/template, and a binary that links
// text/template keeps every exported method of every type (the linker
// cannot tell which ones a template calls), 10 MB more.
func addVersionFlag(root *cobra.Command) {
	root.Flags().BoolP("version", "V", false, "print the version and exit")
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		if v, _ := cmd.Flags().GetBool("version"); v {
			return printVersion(cmd, nil)
		}
		return cmd.Help()
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: "  borderwatch version\n  borderwatch --version",
		Args:    cobra.NoArgs,
		RunE:    printVersion,
	}
}

func printVersion(cmd *cobra.Command, _ []string) error {
	_, err := fmt.Fprintln(cmd.OutOrStdout(), buildInfo().String())
	return err
}
