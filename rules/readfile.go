package rules

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Limits on what rule loading reads. Documented in docs/rules.md and the
// README.
const (
	// MaxListFileSize is the largest address list file read (64 MiB: the
	// largest public lists, FireHOL level 4 and the like, are a few MB).
	MaxListFileSize = 64 << 20
	// MaxListLine is the longest line of a list file.
	MaxListLine = 4096
	// MaxListEntries is the most entries (addresses and CIDRs) one list holds.
	MaxListEntries = 4 << 20
	// MaxRuleFileSize is the largest rule file read.
	MaxRuleFileSize = 16 << 20
	// MaxRules is the most rules (enabled and disabled) one rule set holds.
	MaxRules = 4096
	// MaxNameLen is the longest rule name (the alert's signature), in bytes.
	MaxNameLen = 256
	// MaxDescriptionLen is the longest rule description, in bytes.
	MaxDescriptionLen = 4096
)

// errNotRegular is returned for a path that is not a regular file: a
// device such as /dev/zero reads without end, a FIFO blocks the reader
// forever.
var errNotRegular = errors.New("not a regular file")

// readBounded reads the regular file name, at most limit bytes. It refuses
// devices, FIFOs, sockets and folders before opening, and checks the opened
// file again (opened non-blocking, so that a FIFO swapped in between cannot
// hang the open). The error is an *fs.PathError naming name.
func readBounded(name string, limit int64) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open" // what the user asked for
		}
		return nil, err
	}
	if err := checkRegular(name, st, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err = f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkRegular(name, st, limit); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: tooLarge(limit)}
	}
	return b, nil
}

func checkRegular(name string, st fs.FileInfo, limit int64) error {
	if !st.Mode().IsRegular() {
		return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", errNotRegular, fileType(st.Mode()))}
	}
	if st.Size() > limit {
		return &fs.PathError{Op: "open", Path: name, Err: tooLarge(limit)}
	}
	return nil
}

func tooLarge(limit int64) error {
	return fmt.Errorf("file larger than the limit of %s", FormatSize(uint64(limit)))
}

func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "mode " + m.Type().String()
}

// FormatSize writes a size in binary units: 64 MiB, 1.5 GiB, 512 B.
func FormatSize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 || v == float64(uint64(v)) {
		return fmt.Sprintf("%d %s", uint64(v), units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}
