package config

import (
	"strings"
	"testing"
)

// TestAlertFile: the first file output, in either form; none without one.
func TestAlertFile(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"outputs:\n  - stdout: {}\n  - url: file:/var/log/a.json\n  - file: {path: /var/log/b.json}\n", "/var/log/a.json"},
		{"outputs:\n  - file: {path: /var/log/b.json}\n", "/var/log/b.json"},
		{"outputs:\n  - stdout: {}\n", ""},
		{"sensor_name: gw1\n", ""},
	} {
		cfg := Default()
		if err := Parse("bw.yaml", []byte(c.doc), &cfg); err != nil {
			t.Fatal(err)
		}
		path, ok, err := cfg.AlertFile()
		if err != nil || path != c.want || ok != (c.want != "") {
			t.Errorf("%q: %q, %v, %v; want %q", c.doc, path, ok, err, c.want)
		}
	}
}

// TestLoaders: the rules and the geo table of the configuration, and the
// note about a missing home jurisdiction.
func TestLoaders(t *testing.T) {
	cfg := Default()
	if err := Parse("bw.yaml", []byte("geo:\n  home: [DE]\n  zones:\n    near: [AT, CH]\nrules:\n  no_defaults: true\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if n := cfg.HomeNote(); n != "" {
		t.Errorf("home set, note %q", n)
	}
	set, err := cfg.LoadRules(nil)
	if err != nil || len(set.Rules) != 0 {
		t.Fatalf("no_defaults and no paths: %v, %v", set, err)
	}
	tab, err := cfg.GeoTable(nil)
	if err != nil {
		t.Fatal(err)
	}
	if z := tab.Zones(); z == nil || !strings.Contains(strings.Join(z.Names(), ","), "near") {
		t.Errorf("the configuration's zones are not in the table")
	}
	cfg.Geo.Home, cfg.Geo.Database = nil, "/nonexistent/db.mmdb"
	if !strings.HasPrefix(cfg.HomeNote(), "no home jurisdiction set (--home or geo.home)") {
		t.Errorf("note %q", cfg.HomeNote())
	}
	if _, err := cfg.GeoTable(nil); err == nil || !strings.HasPrefix(err.Error(), "loading geoip: ") {
		t.Errorf("missing database: %v", err)
	}
}
