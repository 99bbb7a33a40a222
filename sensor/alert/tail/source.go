package tail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
)

// source is one file (or reader) being read line by line.
type source struct {
	name     string
	r        io.Reader
	f        *os.File    // nil for a reader
	info     fs.FileInfo // of f
	off      int64       // bytes read from f
	pend     []byte      // the start of a line not yet ended
	skipping bool        // inside a line over the bound: drop up to its newline
	line     int         // lines ended so far
	start    int64       // offset of the line being read
	// middle: reading began in the middle of the file, so line numbers
	// are unknown and notes give byte offsets.
	middle   bool
	lastData time.Time // a rotated-away file: when it last gave data
	// fp is the last bytes read (at most fpSize), compared with what the
	// file holds there to tell a file truncated and grown again past off
	// (copytruncate) from one that only grew.
	fp       []byte
	lastSize int64 // size and modification time at the last check
	lastMod  time.Time
	gone     bool // its path no longer names it (noted once)
}

// openFile is os.OpenFile; tests make it fail.
var openFile = os.OpenFile

// openSource opens path for reading if it is a regular file: non-blocking
// (a FIFO swapped in cannot hang the open), checked again once open.
func openSource(path string) (*source, error) {
	st, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open" // what the user asked for
		}
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", boundedfile.ErrNotRegular, boundedfile.Kind(st.Mode()))}
	}
	f, err := openFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", boundedfile.ErrNotRegular, boundedfile.Kind(st.Mode()))}
		}
		return nil, err
	}
	return &source{name: path, r: f, f: f, info: st}, nil
}

// seekEnd moves s to offset end of its file, keeping the bytes before it
// to detect a truncation.
func (s *source) seekEnd(end int64) error {
	if _, err := s.f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("reading %s: %w", s.name, err)
	}
	fp := make([]byte, min(end, fpSize))
	if _, err := s.f.ReadAt(fp, end-int64(len(fp))); err != nil {
		return fmt.Errorf("reading %s: %w", s.name, err)
	}
	s.off, s.fp = end, fp
	return nil
}

// skipToEnd moves s to the end of its file without reading it (no alert
// already there is shown); a line cut at the end is skipped up to its
// newline.
func (s *source) skipToEnd() error {
	end := s.info.Size()
	if err := s.seekEnd(end); err != nil {
		return err
	}
	s.start, s.middle = end, end > 0
	s.skipping = len(s.fp) > 0 && s.fp[len(s.fp)-1] != '\n'
	return nil
}

// gzipped reports whether the file of s starts with gzip's magic bytes.
func (s *source) gzipped() (bool, error) {
	var b [2]byte
	n, err := s.f.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading %s: %w", s.name, err)
	}
	return n == 2 && b[0] == 0x1f && b[1] == 0x8b, nil
}

// fpSize is how many of the last bytes read are kept to detect a
// truncation: more than an alert line's usual length.
const fpSize = 2048

// remember keeps the last fpSize bytes read.
func (s *source) remember(p []byte) {
	if len(p) >= fpSize {
		s.fp = append(s.fp[:0], p[len(p)-fpSize:]...)
		return
	}
	if over := len(s.fp) + len(p) - fpSize; over > 0 {
		s.fp = append(s.fp[:0], s.fp[over:]...)
	}
	s.fp = append(s.fp, p...)
}

// What check found.
const (
	unchanged = iota // the file only grew, or did not change
	rewound          // the line being read was cut back (sensor: a crash, a full disk)
	truncated        // the file was truncated (copytruncate)
)

// check tells what happened to the open file since it was read. It is
// truncated when it is shorter than what was read or, when it changed,
// the bytes before the read offset are no longer those read (truncated and
// grown again past that offset). When only the line being read changed —
// the file still holds the bytes read up to that line's start, and no
// less — it is rewound there: the sensor cuts a partial line back to its
// last whole line. A file rewritten with the same bytes up to there
// cannot be told apart; nor can one only touched, which is unchanged.
func (s *source) check() (int, error) {
	st, err := s.f.Stat()
	if err != nil {
		return unchanged, fmt.Errorf("reading %s: %w", s.name, err)
	}
	size, mod := st.Size(), st.ModTime()
	same := size == s.lastSize && mod.Equal(s.lastMod)
	s.lastSize, s.lastMod = size, mod
	if size >= s.off && (s.off == 0 || len(s.fp) == 0 || same) {
		return unchanged, nil
	}
	if size >= s.off {
		ok, err := s.holds(s.off)
		if err != nil || ok {
			return unchanged, err
		}
	}
	if size >= s.start && s.start < s.off {
		ok, err := s.holds(s.start)
		if err != nil || ok {
			return rewound, err
		}
	}
	return truncated, nil
}

// holds reports whether the file still holds, just before offset at (at
// most s.off), the bytes read there (those of s.fp before at, when there
// are any).
func (s *source) holds(at int64) (bool, error) {
	n := len(s.fp) - int(s.off-at)
	if n <= 0 {
		return false, nil
	}
	var buf [fpSize]byte
	b := buf[:n]
	if _, err := s.f.ReadAt(b, at-int64(n)); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("reading %s: %w", s.name, err)
	}
	return bytes.Equal(b, s.fp[:n]), nil
}
