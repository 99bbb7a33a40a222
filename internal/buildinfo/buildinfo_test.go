package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestBuildInfo: without -ldflags the module version and the commit come
// from the build information; a -ldflags version wins.
func TestBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/borderwatch/borderwatch",
		Version: "v0.3.1-0.20261205163702-ad5f506fdec6+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "ad5f506fdec6cbcea20ee860418c2cedccc06ecc"},
			{Key: "vcs.modified", Value: "true"}}}
	plat := " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		ld   string
		bi   *debug.BuildInfo
		want string
	}{
		{"dev", bi, "borderwatch v0.3.1-0.20261205163702-ad5f506fdec6+dirty (commit ad5f506fdec6, modified) go1.26.8" + plat},
		{"1.4.0", bi, "borderwatch 1.4.0 (commit ad5f506fdec6, modified) go1.26.8" + plat},
		{"dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "borderwatch dev go1.26.8" + plat},
		{"dev", nil, "borderwatch dev " + runtime.Version() + plat},
	} {
		if got := Of(tc.ld, tc.bi).String(); got != tc.want {
			t.Errorf("Of(%q):\n got %q\nwant %q", tc.ld, got, tc.want)
		}
	}
	if b := Of("dev", bi); b.Commit != "ad5f506fdec6cbcea20ee860418c2cedccc06ecc" || !b.Modified {
		t.Errorf("commit %q modified %v", b.Commit, b.Modified)
	}
}
