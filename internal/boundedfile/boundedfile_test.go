package boundedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRead: regular files up to the limit are read; devices, FIFOs, folders
// and files over the limit are refused with the path and the reason, without
// blocking and without reading them.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 1025), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(big, 1025); err != nil || len(b) != 1025 {
		t.Errorf("at the limit: %d bytes, %v", len(b), err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, want string
		is         error
	}{
		{big, "open " + big + ": file larger than the limit of 1 KiB", ErrTooLarge},
		{dir, "open " + dir + ": not a regular file (a folder)", ErrNotRegular},
		{fifo, "open " + fifo + ": not a regular file (a FIFO)", ErrNotRegular},
		{"/dev/zero", "open /dev/zero: not a regular file (a character device)", ErrNotRegular},
		{filepath.Join(dir, "none"), "open " + filepath.Join(dir, "none") + ": no such file or directory", fs.ErrNotExist},
	} {
		done := make(chan error, 1)
		go func() { _, err := Read(c.path, 1024); done <- err }()
		select {
		case err := <-done:
			if err == nil || err.Error() != c.want || !errors.Is(err, c.is) {
				t.Errorf("Read(%s) = %v, want %q", c.path, err, c.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Read(%s) blocks", c.path)
		}
	}
	// A file that grew after the size check is cut at the limit.
	if err := os.WriteFile(big, []byte("0123456789abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(big, 12); err == nil || err.Error() != "open "+big+": file larger than the limit of 12 B" {
		t.Errorf("Read: %v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[uint64]string{512: "512 B", 1024: "1 KiB", 64 << 20: "64 MiB", 3 << 29: "1.5 GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
