package geo

// ReservedPrefixes exposes reservedPrefixes to the external tests.
var ReservedPrefixes = reservedPrefixes
