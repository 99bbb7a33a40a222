//go:build amd64 || arm64

package prefetch

import "unsafe"

// Line starts loading the cache line holding p into every cache level
// and returns at once.
//
//go:noescape
func Line(p unsafe.Pointer)

// Lines3 is Line of a, b and c in one call. A nil pointer (address 0)
// is harmless: a prefetch never faults.
//
//go:noescape
func Lines3(a, b, c unsafe.Pointer)
