//go:build !linux

package systemd

import "os"

// fileID: no journal outside Linux.
func fileID(*os.File) (dev, ino uint64, ok bool) { return 0, 0, false }

// monotonicUsec: not read outside Linux.
func monotonicUsec() (uint64, bool) { return 0, false }
