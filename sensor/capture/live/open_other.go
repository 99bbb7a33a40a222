//go:build !linux

package live

import (
	"errors"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/geo"
)

// Open: live capture (XDP, AF_PACKET) is Linux-only.
func Open(_ Configuration, _ *geo.Table, _ *Rules, _ zerolog.Logger) (*Capture, error) {
	return nil, errors.New("live capture needs Linux (XDP or AF_PACKET)")
}
