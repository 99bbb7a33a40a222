// Package buildinfo is what a borderwatch binary knows about how it was
// built: version, commit and Go version, for `borderwatch version` and the
// borderwatch_build_info metric.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Info is what the binary knows about how it was built.
type Info struct {
	Version   string // -ldflags version, else the module version, else "dev"
	Commit    string // vcs.revision, "" when the build had no VCS information
	Modified  bool   // vcs.modified: the work tree had uncommitted changes
	GoVersion string
}

// Read is the build information of this binary; ldVersion is the version
// set with -ldflags ("dev" when none was given).
func Read(ldVersion string) Info {
	bi, _ := debug.ReadBuildInfo()
	return Of(ldVersion, bi)
}

// Of combines the -ldflags version ldVersion ("dev" when none was
// given) with the Go build information bi (nil when unavailable): a plain
// `go build` in a git checkout has the module version (a pseudo-version
// with the commit) and the vcs.* settings.
func Of(ldVersion string, bi *debug.BuildInfo) Info {
	b := Info{Version: ldVersion, GoVersion: runtime.Version()}
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
func (b Info) String() string {
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
