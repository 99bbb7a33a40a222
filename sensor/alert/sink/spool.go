package sink

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// spool is a bounded on-disk queue of entries, one per line, for a remote
// that is down. It is appended at the end and replayed from an offset; once
// fully replayed the file is truncated. The offset is not persisted: after a
// crash during a replay, the already replayed part is sent again
// (at-least-once). Used only by its Output's goroutine, except sizeNow.
type spool struct {
	path string
	max  int64
	f    *os.File // append handle
	size atomic.Int64
	off  int64 // bytes already replayed

	r    *os.File
	br   *bufio.Reader
	buf  []byte // lines of the batch handed out by next
	ends []int
	lens []int64 // bytes of each line next handed out, with its newline
	adv  int64   // bytes next handed out
}

// openSpool opens or creates the spool file at path, capped at max bytes.
// A torn last line (a crash mid-write) is cut off.
func openSpool(path string, max int64) (*spool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening alert spool: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening alert spool: %w", err)
	}
	s := &spool{path: path, max: max, f: f}
	size := st.Size()
	if size > 0 {
		if size, err = cutTornLine(f, size); err != nil {
			f.Close()
			return nil, fmt.Errorf("opening alert spool %s: %w", oneLine(path), err)
		}
	}
	s.size.Store(size)
	return s, nil
}

// cutTornLine truncates f after its last '\n' and returns the new size.
func cutTornLine(f *os.File, size int64) (int64, error) {
	tail := min(size, 1<<16)
	b := make([]byte, tail)
	if _, err := f.ReadAt(b, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if b[len(b)-1] == '\n' {
		return size, nil
	}
	keep := int64(0)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		keep = size - tail + int64(i) + 1
	} else if size > tail {
		return size, errors.New("last line longer than 64 KiB")
	}
	return keep, f.Truncate(keep)
}

func (s *spool) sizeNow() int64 { return s.size.Load() }

func (s *spool) pending() bool { return s.off < s.size.Load() }

// append writes the entries that fit under the cap and returns how many.
func (s *spool) append(batch []*[]byte) (int, error) {
	size := s.size.Load()
	var buf []byte
	n := 0
	for _, e := range batch {
		need := int64(len(*e) + 1)
		if size+int64(len(buf))+need > s.max {
			continue
		}
		buf = append(buf, *e...)
		buf = append(buf, '\n')
		n++
	}
	if len(buf) == 0 {
		return 0, nil
	}
	w, err := s.f.Write(buf)
	if err != nil {
		// Keep the whole lines that made it and cut a torn one, so the
		// next append does not glue a line onto it.
		whole := bytes.LastIndexByte(buf[:w], '\n') + 1
		if whole < w {
			if terr := s.f.Truncate(size + int64(whole)); terr != nil {
				s.size.Store(size + int64(w))
				return bytes.Count(buf[:whole], []byte{'\n'}), fmt.Errorf("writing alert spool: %w (and cutting the partial line: %w)", err, terr)
			}
		}
		s.size.Store(size + int64(whole))
		return bytes.Count(buf[:whole], []byte{'\n'}), fmt.Errorf("writing alert spool: %w", err)
	}
	s.size.Store(size + int64(w))
	return n, nil
}

// next returns up to n entries from the replay offset, appended to dst.
// They stay valid until the next call; advance commits them.
func (s *spool) next(n int, dst [][]byte) ([][]byte, error) {
	if s.r == nil {
		r, err := os.Open(s.path)
		if err != nil {
			return dst, err
		}
		if _, err := r.Seek(s.off, io.SeekStart); err != nil {
			r.Close()
			return dst, err
		}
		s.r, s.br = r, bufio.NewReaderSize(r, 1<<16)
	}
	s.buf, s.ends, s.lens, s.adv = s.buf[:0], s.ends[:0], s.lens[:0], 0
	limit := s.size.Load() - s.off
	for len(s.ends) < n && s.adv < limit {
		line, err := s.br.ReadSlice('\n')
		if err != nil {
			// Appends are whole lines, so a short read is the end of what
			// was written when the reader looked.
			if errors.Is(err, io.EOF) && len(s.ends) > 0 {
				break
			}
			return dst, fmt.Errorf("reading alert spool: %w", err)
		}
		s.adv += int64(len(line))
		s.lens = append(s.lens, int64(len(line)))
		s.buf = append(s.buf, line[:len(line)-1]...)
		s.ends = append(s.ends, len(s.buf))
	}
	start := 0
	for _, end := range s.ends {
		dst = append(dst, s.buf[start:end])
		start = end
	}
	return dst, nil
}

// advance commits the first n entries next returned as delivered; when the
// whole spool is delivered it is truncated. With n below what next
// returned, the reader is reset so that the rest comes again.
func (s *spool) advance(n int) {
	var adv int64
	for _, l := range s.lens[:min(n, len(s.lens))] {
		adv += l
	}
	s.off += adv
	if adv != s.adv {
		s.closeReader()
	}
	s.adv = 0
	if s.off >= s.size.Load() {
		s.closeReader()
		if err := s.f.Truncate(0); err == nil {
			s.size.Store(0)
			s.off = 0
		}
	}
}

// discard empties the spool after a read error and returns the number of
// lines lost (counted from what is readable).
func (s *spool) discard() int {
	s.closeReader()
	lost := countLines(s.path, s.off)
	if err := s.f.Truncate(0); err == nil {
		s.size.Store(0)
	}
	s.off = 0
	return lost
}

func (s *spool) closeReader() {
	if s.r != nil {
		s.r.Close()
		s.r, s.br = nil, nil
	}
}

// close closes the spool. A partly replayed spool is compacted first, so
// the next start does not send the replayed part again.
func (s *spool) close() {
	s.closeReader()
	if s.off > 0 && s.off < s.size.Load() {
		// On a full disk the copy fails: the spool stays whole (the
		// replayed part comes again, at least once), and no partial copy
		// is left behind.
		tmp := s.path + ".tmp"
		if copyFrom(tmp, s.path, s.off) != nil || os.Rename(tmp, s.path) != nil {
			os.Remove(tmp)
		}
	}
	s.f.Close()
}

// countLines counts the lines of the file at path from offset off on,
// streaming: a spool may be gigabytes.
func countLines(path string, off int64) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0
	}
	n := 0
	buf := make([]byte, 64<<10)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err != nil {
			return n
		}
	}
}

// copyFrom writes the file at src from offset off on into a new file dst,
// streaming, and syncs it.
func copyFrom(dst, src string, off int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := in.Seek(off, io.SeekStart); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
