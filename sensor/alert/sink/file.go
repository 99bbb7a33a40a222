package sink

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
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
// everything queued before returning.
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
	what = "file output " + c.Path
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
	if err := b.connect(); err != nil {
		return nil, err
	}
	return newOutput("file", "file:"+c.Path, &c.Common, b, SpoolConfig{}, log)
}

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

	f     *os.File
	size  int64
	dirty bool // written since the last fsync
	buf   []byte
}

func (b *fileBackend) frame(dst []byte, _ *alert.Alert, rec []byte) []byte {
	return append(dst, rec...)
}

func (b *fileBackend) connect() error {
	if b.f != nil {
		return nil
	}
	f, err := os.OpenFile(b.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("opening alert file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening alert file: %w", err)
	}
	b.f, b.size = f, st.Size()
	return nil
}

func (b *fileBackend) write(entries [][]byte) error {
	b.buf = lineBatch(b.buf[:0], entries)
	if b.maxBytes > 0 && b.size > 0 && b.size+int64(len(b.buf)) > b.maxBytes {
		if err := b.rotate(); err != nil {
			return err
		}
	}
	n, err := b.f.Write(b.buf)
	b.size += int64(n)
	b.dirty = true
	if err != nil {
		return fmt.Errorf("writing alert file: %w", err)
	}
	return nil
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
	return b.connect()
}

func (b *fileBackend) closeFile() error {
	if b.f == nil {
		return nil
	}
	err := b.f.Sync()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	b.f, b.dirty = nil, false
	return err
}

func (b *fileBackend) reopen() { b.closeFile() }

func (b *fileBackend) disconnect() { b.closeFile() }

func (b *fileBackend) close() error { return b.closeFile() }

func (b *fileBackend) syncInterval() time.Duration { return b.every }

func (b *fileBackend) sync() error {
	if b.f == nil || !b.dirty {
		return nil
	}
	b.dirty = false
	return b.f.Sync()
}

// streamBackend writes lines to a stream it does not own (stdout).
type streamBackend struct {
	w   io.Writer
	buf []byte
}

func (b *streamBackend) frame(dst []byte, _ *alert.Alert, rec []byte) []byte {
	return append(dst, rec...)
}

func (b *streamBackend) connect() error { return nil }

func (b *streamBackend) write(entries [][]byte) error {
	b.buf = lineBatch(b.buf[:0], entries)
	_, err := b.w.Write(b.buf)
	return err
}

func (b *streamBackend) disconnect() {}

func (b *streamBackend) close() error { return nil }
