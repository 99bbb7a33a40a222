package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it the module version of the build info is used (see buildInfo).
var version = "dev"

// buildInfo is what the binary knows about how it was built.
type buildInfo struct {
	Version   string // -ldflags version, else the module version, else "dev"
	Commit    string // vcs.revision, "" when the build had no VCS information
	Modified  bool   // vcs.modified: the work tree had uncommitted changes
	GoVersion string
}

// readBuildInfo is the build information of this binary.
func readBuildInfo() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return buildInfoOf(version, bi)
}

// buildInfoOf combines the -ldflags version ldVersion ("dev" when none was
// given) with the Go build information bi (nil when unavailable): a plain
// `go build` in a git checkout has the module version (a pseudo-version
// with the commit) and the vcs.* settings.
func buildInfoOf(ldVersion string, bi *debug.BuildInfo) buildInfo {
	b := buildInfo{Version: ldVersion, GoVersion: runtime.Version()}
	if bi == nil {
		return b
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	if ldVersion == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the line `borderwatch version` and `--version` print:
// "borderwatch VERSION (commit REV[, modified]) GOVERSION OS/ARCH".
func (b buildInfo) String() string {
	s := "borderwatch " + b.Version
	if b.Commit != "" {
		rev := b.Commit
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (commit " + rev
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, b.GoVersion, runtime.GOOS, runtime.GOARCH)
}

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
			_, err := fmt.Fprintln(cmd.OutOrStdout(), readBuildInfo().String())
			return err
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), readBuildInfo().String())
			return err
		},
	}
}
