package geo

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// EmbeddedName is the Source.Name of the embedded database.
const EmbeddedName = "embedded:dbip-country-lite"

// Attribution must accompany output derived from the embedded database
// (CC BY 4.0, see data/README.md).
const Attribution = "IP Geolocation by DB-IP, https://db-ip.com"

// Names of the embedded registration and ASN tables (Source.Name).
const (
	EmbeddedRegistrationName = "embedded:geo-whois-asn-country"
	EmbeddedASNName          = "embedded:ip-location-db-asn"
)

// Licence lines of the embedded tables, for `geo info` and the docs (see
// data/README.md and NOTICE).
const (
	CountryLicence      = "CC BY 4.0; " + Attribution
	RegistrationLicence = "CC0-1.0 (@ip-location-db/geo-whois-asn-country-mmdb); WHOIS data from NRO statistics, https://www.nro.net (CC BY 4.0)"
	ASNLicence          = "CC BY 4.0; IP to ASN data by RouteViews, https://www.routeviews.org, DB-IP, https://db-ip.com and NRO, https://www.nro.net"
)

//go:embed data/dbip-country.mmdb
var embeddedDB []byte

//go:embed data/registered.bwgeo.zst
var embeddedReg []byte

//go:embed data/asn.bwgeo.zst
var embeddedASN []byte

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

// EmbeddedRegistration returns the registration-country table compiled into
// the binary (ip-location-db geo-whois-asn-country). Each call decodes it
// anew (tens of milliseconds), so that no copy stays in memory between
// table builds.
func EmbeddedRegistration() (*RegDB, error) {
	d, err := decodeEmbedded(EmbeddedRegistrationName, embeddedReg)
	if err != nil {
		return nil, err
	}
	d.schema = "registration"
	return &RegDB{d}, nil
}

// EmbeddedASN returns the ASN table compiled into the binary (ip-location-db
// asn: RouteViews, RIR and DB-IP ASN Lite data), decoded anew on each call.
func EmbeddedASN() (*ASNDB, error) {
	d, err := decodeEmbedded(EmbeddedASNName, embeddedASN)
	if err != nil {
		return nil, err
	}
	return &ASNDB{d: d}, nil
}

func decodeEmbedded(name string, z []byte) (*dbData, error) {
	b, err := decompress(z)
	if err == nil {
		var d *dbData
		if d, err = decodeCompact(name, b); err == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("opening %s: %w", name, err)
}

// decompress inflates zstd data of at most maxCompactLen bytes.
func decompress(z []byte) ([]byte, error) {
	dec, err := zstd.NewReader(bytes.NewReader(nil), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxCompactLen))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	b, err := dec.DecodeAll(z, nil)
	if err != nil {
		return nil, fmt.Errorf("decompressing: %w", err)
	}
	return b, nil
}
