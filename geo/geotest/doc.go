// Package geotest builds small, deterministic MaxMind-format databases for tests
// and the lab: a GeoIP2-Country-schema country database and a GeoLite2-ASN-schema
// ASN database, written with mmdbwriter from a list of entries.
//
// Typical use in a test:
//
//	b, err := geotest.Build(geotest.LabEntries())
//	db, err := geo.OpenBytes("lab", b)
//	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
//	t, err := geo.Build(db, nil, z)
//
// The package does not import geo, so geo's own tests can use it.
package geotest
