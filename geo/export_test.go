package geo

// ReservedPrefixes exposes reservedPrefixes to the external tests.
var ReservedPrefixes = reservedPrefixes

// SetRes4Pack lowers res4Pack (the first res an IPv4 range keeps outside
// its packed word) to r until the returned function restores it.
func SetRes4Pack(r uint64) (restore func()) {
	old := res4Pack
	res4Pack = r
	return func() { res4Pack = old }
}
