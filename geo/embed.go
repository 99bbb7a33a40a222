package geo

import (
	_ "embed"
	"sync"
)

// EmbeddedName is the Source.Name of the embedded database.
const EmbeddedName = "embedded:dbip-country-lite"

// Attribution must accompany output derived from the embedded database
// (CC BY 4.0, see data/README.md).
const Attribution = "IP Geolocation by DB-IP, https://db-ip.com"

//go:embed data/dbip-country.mmdb
var embeddedDB []byte

var embedded = sync.OnceValues(func() (*DB, error) {
	d, err := decode(EmbeddedName, embeddedDB)
	if err != nil {
		return nil, err
	}
	return &DB{d}, nil
})

// Embedded returns the default database compiled into the binary: DB-IP Lite
// country (ip-location-db flat schema, IPv4 and IPv6). It is decoded once and
// shared; a DB is immutable.
func Embedded() (*DB, error) { return embedded() }
