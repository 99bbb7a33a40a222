//go:build unix

package feeds

import (
	"os"
	"syscall"
)

// chownLike gives path the owner of like when run as root: `borderwatch
// lists update` run by root writes a cache that the service's own user
// (the unit's DynamicUser, owner of its StateDirectory) can read and
// replace.
func chownLike(path, like string) {
	if os.Geteuid() != 0 {
		return
	}
	st, err := os.Stat(like)
	if err != nil {
		return
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = os.Chown(path, int(sys.Uid), int(sys.Gid))
	}
}
