//go:build !amd64 && !arm64

package prefetch

import "unsafe"

// Line does nothing on this architecture.
func Line(p unsafe.Pointer) {}

// Lines3 does nothing on this architecture.
func Lines3(a, b, c unsafe.Pointer) {}
