//go:build !linux

package main

import (
	"errors"

	"github.com/borderwatch/borderwatch/geo"
)

// openCapture: live capture (XDP, AF_PACKET) is Linux-only.
func openCapture(_ *app, _ *geo.Table, _ *kernelRules) (*liveCapture, error) {
	return nil, errors.New("live capture needs Linux (XDP or AF_PACKET)")
}
