package sink

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/rs/zerolog"
)

// FileConfig configures a JSON-lines file output.
//
// Durability: each batch of alerts is written with one write(2) on a file
// opened with O_APPEND, so nothing is buffered in the process after a batch
// is written; the kernel's page cache holds it. fsync(2) is called on Close,
// on rotation and reopen, and every FsyncInterval when set. Close delivers
// everything queued before returning, within the drain timeout.
//
// Whole lines only: a write cut short (a full disk) is truncated back to its
// last whole line, and the lines before it count as written; the rest is
// retried with backoff. A file that ends in a partial line when it is opened
// (a crash in the middle of a write) is cut back to its last whole line.
//
// Every second the path is checked: when the file was deleted or replaced
// (logrotate without SIGHUP), it is reopened; alerts written to a deleted
// file since the previous check are copied to the new one.
type FileConfig struct {
	Common `yaml:",inline"`
	// Path of the alert file, created 0640 if missing.
	Path string `yaml:"path"`
	// MaxBytes rotates the file when a batch would take it past this size:
	// Path.N-1 is renamed Path.N and so on, Path becomes Path.1. 0 disables
	// rotation (leave it to logrotate and Reopen).
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxBackups is how many rotated files are kept (default 5).
	MaxBackups int `yaml:"max_backups"`
	// FsyncInterval calls fsync this often when something was written; 0
	// fsyncs only on close, rotation and reopen.
	FsyncInterval time.Duration `yaml:"fsync_interval"`
}

// Validate checks the settings.
func (c *FileConfig) Validate() error {
	what := "file output"
	if c.Path == "" {
		return errors.New("file output: path is empty")
	}
	what = "file output " + oneLine(c.Path)
	if err := c.Common.validate(what); err != nil {
		return err
	}
	if c.MaxBytes < 0 || c.MaxBackups < 0 || c.FsyncInterval < 0 {
		return fmt.Errorf("%s: max_bytes, max_backups and fsync_interval must not be negative", what)
	}
	if c.MaxBackups > 0 && c.MaxBytes == 0 {
		return fmt.Errorf("%s: max_backups set without max_bytes", what)
	}
	return nil
}

// Open validates c and starts the output. The file is opened (and created)
// now, so a bad path is reported here.
func (c *FileConfig) Open(log zerolog.Logger) (*Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b := &fileBackend{path: c.Path, maxBytes: c.MaxBytes, backups: cmp.Or(c.MaxBackups, DefaultMaxBackups), every: c.FsyncInterval}
	if err := b.connect(context.Background()); err != nil {
		return nil, err
	}
	return newOutput("file", "file:"+c.Path, &c.Common, b, SpoolConfig{}, log)
}

// fileCheckInterval is how often a file output checks its path.
const fileCheckInterval = time.Second

// maxLineBytes bounds how far back a torn last line is looked for.
const maxLineBytes = 1 << 16

// StdoutConfig configures the stdout output.
type StdoutConfig struct {
	Common `yaml:",inline"`
}

// Validate checks the settings.
func (c *StdoutConfig) Validate() error { return c.Common.validate("stdout output") }

// Open validates c and starts the output.
func (c *StdoutConfig) Open(log zerolog.Logger) (*Output, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return newOutput("stdout", "stdout", &c.Common, &streamBackend{w: os.Stdout}, SpoolConfig{}, log)
}

// parseFileURL parses file:/path or file:///path.
func parseFileURL(s string) (Config, error) {
	rest := strings.TrimPrefix(s, "file:")
	rest = strings.TrimPrefix(rest, "//")
	path, query, _ := strings.Cut(rest, "?")
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("output %q: %w", s, err)
	}
	c := &FileConfig{Path: path}
	p := params{out: s, q: q}
	p.common(&c.Common)
	p.int64To("max_bytes", &c.MaxBytes)
	p.intTo("max_backups", &c.MaxBackups)
	p.durTo("fsync", &c.FsyncInterval)
	if err := p.done(); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// lineBatch joins entries into newline-terminated lines in buf.
func lineBatch(buf []byte, entries [][]byte) []byte {
	for _, e := range entries {
		buf = append(buf, e...)
		buf = append(buf, '\n')
	}
	return buf
}

// fileBackend appends to a file, with reopen and size rotation.
type fileBackend struct {
	path     string
	maxBytes int64
	backups  int
	every    time.Duration

	f       *os.File
	st      os.FileInfo // of f, to notice the path now names another file
	size    int64
	checked int64 // size at the last check that found f at path
	// checks counts the checks done (check), the one field read from
	// another goroutine: by tests waiting for a check instead of
	// sleeping past one.
	checks   atomic.Uint64
	dirty    bool // written since the last fsync
	readable bool // f is open for reading too
	buf      []byte
}

func (b *fileBackend) frame(dst []byte, _ *alert.Alert, rec []byte) []byte {
	return append(dst, rec...)
}

func (b *fileBackend) connect(context.Context) error {
	if b.f != nil {
		return nil
	}
	// Read access is for cutting a torn last line and for copying alerts
	// out of a deleted file; without it (a write-only device), neither.
	f, err := os.OpenFile(b.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o640)
	readable := err == nil
	if err != nil {
		f, err = os.OpenFile(b.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	}
	if err != nil {
		return fmt.Errorf("opening alert file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening alert file: %w", err)
	}
	size := st.Size()
	if size > 0 && readable && st.Mode().IsRegular() {
		if size, err = endWholeLine(f, size); err != nil {
			f.Close()
			return fmt.Errorf("opening alert file: %w", err)
		}
	}
	b.f, b.st, b.size, b.checked, b.readable = f, st, size, size, readable
	return nil
}

// endWholeLine makes f, of size bytes, end with a whole line: a torn last
// line is cut off, or, when no newline is within maxLineBytes of the end,
// ended with one. It returns the new size.
func endWholeLine(f *os.File, size int64) (int64, error) {
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return 0, err
	}
	if last[0] == '\n' {
		return size, nil
	}
	tail := min(size, maxLineBytes)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 || size <= tail {
		keep := size - tail + int64(i) + 1
		return keep, f.Truncate(keep)
	}
	_, err := f.Write([]byte{'\n'})
	return size + 1, err
}

// write appends the entries as lines with one write(2). On a short write
// the file is truncated back to the last whole line written, and the
// number of whole lines is returned with the error.
func (b *fileBackend) write(_ context.Context, entries [][]byte) (int, error) {
	b.buf = lineBatch(b.buf[:0], entries)
	if b.maxBytes > 0 && b.size > 0 && b.size+int64(len(b.buf)) > b.maxBytes {
		if err := b.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := b.f.Write(b.buf)
	b.dirty = true
	if err == nil {
		b.size += int64(n)
		return len(entries), nil
	}
	// Keep the whole lines that made it, cut the torn one.
	whole := bytes.LastIndexByte(b.buf[:n], '\n') + 1
	lines := bytes.Count(b.buf[:whole], []byte{'\n'})
	if whole < n && b.st.Mode().IsRegular() {
		if terr := b.f.Truncate(b.size + int64(whole)); terr != nil {
			// The torn line stays until the file is reopened, which cuts
			// it; fail restarts the output with a reopen.
			return lines, fmt.Errorf("writing alert file: %w (and cutting the partial line: %w)", err, terr)
		}
	}
	b.size += int64(whole)
	return lines, fmt.Errorf("writing alert file: %w", err)
}

// rotate renames path.N-1 → path.N … path → path.1 and opens a new path.
func (b *fileBackend) rotate() error {
	b.closeFile()
	for i := b.backups - 1; i >= 1; i-- {
		err := os.Rename(b.path+"."+strconv.Itoa(i), b.path+"."+strconv.Itoa(i+1))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotating alert file: %w", err)
		}
	}
	if err := os.Rename(b.path, b.path+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotating alert file: %w", err)
	}
	return b.connect(context.Background())
}

func (b *fileBackend) closeFile() error {
	if b.f == nil {
		return nil
	}
	err := b.f.Sync()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	b.f, b.st, b.dirty = nil, nil, false
	return err
}

func (b *fileBackend) reopen() { b.closeFile() }

func (b *fileBackend) disconnect() { b.closeFile() }

func (b *fileBackend) close(context.Context) error { return b.closeFile() }

func (b *fileBackend) syncInterval() time.Duration { return b.every }

func (b *fileBackend) sync() error {
	if b.f == nil || !b.dirty {
		return nil
	}
	b.dirty = false
	return b.f.Sync()
}

func (b *fileBackend) checkInterval() time.Duration { return fileCheckInterval }

// check reopens the file when its path is gone or names another file.
// When the old file was deleted, what was written to it since the last
// check is copied to the new file, so no alert is left in a deleted
// inode; a renamed file keeps its alerts. It reports whether it reopened.
func (b *fileBackend) check() (bool, error) {
	defer b.checks.Add(1)
	if b.f == nil || !b.st.Mode().IsRegular() {
		return false, nil
	}
	st, err := os.Stat(b.path)
	if err == nil && os.SameFile(st, b.st) {
		b.checked = b.size
		return false, nil
	}
	old, oldReadable, from, to := b.f, b.readable, b.checked, b.size
	deleted := false
	if ost, err := old.Stat(); err == nil {
		deleted = unlinked(ost)
	}
	b.f, b.st = nil, nil
	defer old.Close()
	old.Sync()
	if err := b.connect(context.Background()); err != nil {
		return true, err
	}
	if deleted && to > from && oldReadable {
		n, err := io.Copy(b.f, io.NewSectionReader(old, from, to-from))
		b.size += n
		b.dirty = true
		if err != nil {
			return true, fmt.Errorf("copying alerts from the deleted alert file: %w", err)
		}
	}
	return true, nil
}

// streamBackend writes lines to a stream it does not own (stdout).
type streamBackend struct {
	w    io.Writer
	buf  []byte
	rest []byte // the unwritten end of a torn line, with its newline
}

func (b *streamBackend) frame(dst []byte, _ *alert.Alert, rec []byte) []byte {
	return append(dst, rec...)
}

func (b *streamBackend) connect(context.Context) error { return nil }

// write writes the entries as lines. After a short write the rest of the
// torn line is kept and written first next time, so that the stream never
// holds a broken line; that entry then counts as delivered.
func (b *streamBackend) write(_ context.Context, entries [][]byte) (int, error) {
	done := 0
	if len(b.rest) > 0 {
		n, err := b.w.Write(b.rest)
		b.rest = b.rest[n:]
		if err != nil {
			return 0, err
		}
		done, entries = 1, entries[1:] // the line whose rest that was
	}
	b.buf = lineBatch(b.buf[:0], entries)
	n, err := b.w.Write(b.buf)
	if err == nil {
		return done + len(entries), nil
	}
	whole := bytes.LastIndexByte(b.buf[:n], '\n') + 1
	if whole < n {
		b.rest = append(b.rest[:0], b.buf[n:bytes.IndexByte(b.buf[n:], '\n')+n+1]...)
	}
	return done + bytes.Count(b.buf[:whole], []byte{'\n'}), err
}

func (b *streamBackend) disconnect() {}

func (b *streamBackend) close(context.Context) error { return nil }
