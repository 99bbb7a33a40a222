//go:build unix

package capture

import (
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapFile maps the regular file f read-only into memory, for reading in
// sequence; ok is false (and nothing is mapped) for anything else (a pipe,
// a device, an empty file) or when the mapping fails: the caller reads f as
// a stream then.
func mapFile(f *os.File) (m []byte, ok bool) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() <= 0 || fi.Size() > maxMapped {
		return nil, false
	}
	m, err = unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	// Read-ahead for a sequential reader (a hint: its failure changes
	// nothing but speed).
	_ = unix.Madvise(m, unix.MADV_SEQUENTIAL)
	return m, true
}

// maxMapped bounds the size of a file mapped whole (1 TiB of address
// space); a larger one is read as a stream.
const maxMapped = 1 << 40

// releasePages hands consumed pages of a mapping back to the kernel, so
// that they leave the process's resident memory (they stay in the page
// cache). A hint: its failure changes nothing but memory.
func releasePages(m []byte) { _ = unix.Madvise(m, unix.MADV_DONTNEED) }

// unmapLater makes the file's pages inaccessible at once, and gives back
// the address range once s is unreachable. A Next in progress in another
// goroutine (Close may be called from one) then faults instead of reading
// the file's bytes or whatever else the range might be reused for, and
// returns ErrClosed; the slices a caller may still hold (a decoder's
// layers) never point into memory reused by something else.
func unmapLater(s *fileSource, m []byte) {
	runtime.AddCleanup(s, func(m []byte) { _ = unix.Munmap(m) }, m)
}

// unmapNow replaces the mapping m by inaccessible anonymous memory of the
// same range (an atomic replacement: no other mapping can take the range
// in between), which drops the file's pages; unmapLater gives the range
// back.
func unmapNow(m []byte) error {
	_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(m)), uintptr(len(m)), unix.PROT_NONE,
		unix.MAP_FIXED|unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	return err
}

// unmap gives a mapping back at once.
func unmap(m []byte) error { return unix.Munmap(m) }
