//go:build !unix

package capture

import "os"

// mapFile maps nothing on systems without mmap: files are read as streams.
func mapFile(*os.File) ([]byte, bool) { return nil, false }

func releasePages([]byte)            {}
func unmapLater(*fileSource, []byte) {}
func unmapNow([]byte) error          { return nil }

func unmap([]byte) error { return nil }
