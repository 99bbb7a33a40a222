//go:build unix

package feeds

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCacheOwner: run as root (`lists update` by an operator), the cache
// files and a new state folder take the owner of the folder above, the
// service's user, so that the service can read and replace them.
func TestCacheOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files are given another owner")
	}
	parent := filepath.Join(t.TempDir(), "borderwatch")
	if err := os.Mkdir(parent, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(parent, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	fs := &feedServer{}
	srv, ca := startTLS(t, fs)
	fs.set("/list", snapshot(t, "feodo_ipblocklist.txt"), `"v1"`)
	state := filepath.Join(parent, "lists")
	m := newManager(t, Configuration{StateDir: state, Sources: []SourceConfig{{Name: "l1", URL: srv.URL + "/list", CAFile: ca}}}, nil)
	if r := m.Update(context.Background())[0]; r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, p := range []string{state, filepath.Join(state, "l1.data"), filepath.Join(state, "l1.json")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 65534 || sys.Gid != 65534 {
			t.Errorf("%s owned by %d:%d, want 65534:65534 (the folder's owner)", p, sys.Uid, sys.Gid)
		}
	}
}
