//go:build linux

package systemd

import (
	"os"

	"golang.org/x/sys/unix"
)

// fileID is the device and inode of f.
func fileID(f *os.File) (dev, ino uint64, ok bool) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, 0, false
	}
	return st.Dev, st.Ino, true
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds.
func monotonicUsec() (uint64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, false
	}
	return uint64(ts.Sec)*1e6 + uint64(ts.Nsec)/1e3, true
}
