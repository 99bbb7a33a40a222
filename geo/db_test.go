package geo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

// testData returns the path of a MaxMind test database, skipping when ../shared
// is absent.
func testData(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "geo-testdata", "test-data", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("MaxMind test data not available (%v); CI has ../shared", err)
	}
	return p
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		file, want string
	}{
		{"GeoIP2-City-Test-Broken-Double-Format.mmdb", `opening geoip database %s: corrupt record of 2.125.160.216/29: at offset 155, path /location/latitude: the MaxMind DB file's data section contains bad data (float 64 size of 5)`},
		{"GeoIP2-City-Test-Invalid-Node-Count.mmdb", `opening geoip database %s: corrupt: the MaxMind DB contains invalid metadata`},
		{"MaxMind-DB-test-broken-pointers-24.mmdb", `opening geoip database %s: corrupt record of 1.1.1.16/28: at offset 0: unexpected end of database`},
		{"MaxMind-DB-test-broken-search-tree-24.mmdb", `opening geoip database %s: corrupt: invalid search tree at 128.128.128.128/32`},
		{"GeoIP2-Connection-Type-Test.mmdb", `opening geoip database %s: database_type "GeoIP2-Connection-Type" has no country data (unsupported database)`},
		{"GeoLite2-ASN-Test.mmdb", `opening geoip database %s: database_type "GeoLite2-ASN" has no country data (unsupported database; it is an ASN database, give it with --asn-db)`},
		{"MaxMind-DB-no-ipv4-search-tree.mmdb", `opening geoip database %s: unsupported or corrupt record of ::/64: at offset 0: maxminddb: cannot unmarshal ::/64 (string) into type geo.rawRecord`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := testData(t, c.file)
			db, err := geo.Open(p)
			if db != nil || err == nil {
				t.Fatalf("Open accepted %s", c.file)
			}
			if want := strings.ReplaceAll(c.want, "%s", p); err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
		})
	}
}

func TestOpenBytesErrors(t *testing.T) {
	good, err := os.ReadFile(testData(t, "GeoIP2-Country-Test.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "opening geoip database empty: empty file"},
		{"half", good[:len(good)/2], "opening geoip database half: no MaxMind DB metadata section (not an mmdb file, or truncated)"},
		{"text", []byte("hello, world\n"), "opening geoip database text: no MaxMind DB metadata section (not an mmdb file, or truncated)"},
		{"short-metadata", good[:len(good)-20], "opening geoip database short-metadata: corrupt: at offset 0: unexpected end of database"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := geo.OpenBytes(c.name, c.b)
			if err == nil || err.Error() != c.want {
				t.Errorf("error\n got %v\nwant %s", err, c.want)
			}
		})
	}
	// Flipping bytes anywhere must give an error or a DB, never a panic.
	for i := 0; i < len(good); i += 97 {
		b := append([]byte(nil), good...)
		b[i] ^= 0xA5
		if db, err := geo.OpenBytes("flipped", b); err == nil && db.Networks() == 0 {
			t.Errorf("flip at %d: accepted a database without networks", i)
		}
	}
	if _, err := geo.Open("testdata/does-not-exist.mmdb"); err == nil ||
		err.Error() != "opening geoip database: open testdata/does-not-exist.mmdb: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

func TestOpenASNErrors(t *testing.T) {
	p := testData(t, "GeoIP2-Country-Test.mmdb")
	_, err := geo.OpenASN(p)
	want := `opening asn database ` + p + `: database_type "GeoIP2-Country" has no autonomous_system_number data`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
	if _, err := geo.OpenASN(testData(t, "GeoLite2-ASN-Test.mmdb")); err != nil {
		t.Errorf("GeoLite2-ASN-Test: %v", err)
	}
}

func TestEmbedded(t *testing.T) {
	db, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	src := db.Source()
	if src.Name != geo.EmbeddedName || db.Schema() != "flat" || src.BuildTime.Year() < 2025 {
		t.Errorf("source %+v schema %q", src, db.Schema())
	}
	if db.Networks() < 500000 {
		t.Errorf("embedded database has only %d networks", db.Networks())
	}
	lic, err := os.ReadFile("data/DBIP-LICENSE")
	if err != nil || !strings.Contains(string(lic), "Creative Commons Attribution 4.0") {
		t.Errorf("data/DBIP-LICENSE missing or not CC BY 4.0: %v", err)
	}
	readme, err := os.ReadFile("data/README.md")
	if err != nil || !strings.Contains(string(readme), geo.Attribution) {
		t.Errorf("data/README.md missing or without the attribution: %v", err)
	}
}

func TestLabDatabase(t *testing.T) {
	db, err := geo.OpenBytes("lab", geotest.Lab())
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Source(); got.Type != "GeoIP2-Country" || got.BuildTime.Unix() != geotest.BuildEpoch || db.Schema() != "geoip2" {
		t.Errorf("source %+v schema %s", got, db.Schema())
	}
}
