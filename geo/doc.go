// Package geo maps IP addresses to countries, continents, autonomous systems and
// jurisdictions (home, built-in groups such as EU or NATO, user zones).
//
// A database (MaxMind GeoIP2/GeoLite2 Country or City, DB-IP Lite, or
// ip-location-db's flat country_code schema; optionally an ASN database) is read
// completely into memory by Open, then Build merges it with the zones into an
// immutable Table whose Lookup takes a few nanoseconds and never allocates.
// Holder and Reload swap tables atomically.
package geo
