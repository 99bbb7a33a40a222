//go:build !linux

package geo_test

import "time"

// threadCPU is not available here: benchmarks report wall-clock time alone.
func threadCPU() (time.Duration, bool) { return 0, false }
