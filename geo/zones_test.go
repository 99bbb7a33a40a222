package geo_test

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

func TestCountryID(t *testing.T) {
	for _, c := range []struct {
		code string
		id   geo.CountryID
		ok   bool
	}{{"AA", 1, true}, {"ab", 2, true}, {"DE", 3*26 + 4 + 1, true}, {"ZZ", 676, true}, {"D", 0, false}, {"D1", 0, false}, {"DEU", 0, false}} {
		id, ok := geo.ParseCountry(c.code)
		if id != c.id || ok != c.ok {
			t.Errorf("ParseCountry(%q) = %d, %v; want %d, %v", c.code, id, ok, c.id, c.ok)
		}
		if ok && id.String() != strings.ToUpper(c.code) {
			t.Errorf("%d.String() = %q", id, id.String())
		}
	}
	if geo.CountryID(0).String() != "" || geo.CountryID(677).String() != "" {
		t.Error("String of invalid IDs not empty")
	}
	known := 0
	for id := geo.CountryID(1); id <= 676; id++ {
		if geo.KnownCountry(id) {
			known++
		}
	}
	// 249 ISO 3166-1 assigned codes + XK + AP, EU, ZZ.
	if known != 253 {
		t.Errorf("%d known country codes, want 253", known)
	}
	for code, want := range map[string]string{"DE": "EU", "US": "NA", "BR": "SA", "CN": "AS", "AU": "OC", "EG": "AF", "AQ": "AN", "RU": "EU", "TR": "AS", "XK": "EU", "ZZ": "", "XX": ""} {
		id, _ := geo.ParseCountry(code)
		if got := geo.ContinentOf(id).String(); got != want {
			t.Errorf("ContinentOf(%s) = %q, want %q", code, got, want)
		}
	}
}

// TestEmbeddedCodesKnown checks every code in the embedded database is accepted.
func TestEmbeddedCodesKnown(t *testing.T) {
	tb := buildEmbedded(t, geo.Config{})
	seen := map[geo.CountryID]bool{}
	tb.Ranges(func(_, _ netip.Addr, in *geo.Info) bool {
		seen[in.Country] = true
		return true
	})
	for c := range seen {
		if c != 0 && !geo.KnownCountry(c) {
			t.Errorf("embedded database uses code %q, which zone terms reject", c)
		}
	}
	if len(seen) < 240 {
		t.Errorf("only %d countries in the embedded database", len(seen))
	}
}

func TestGroups(t *testing.T) {
	want := map[string]int{"EU": 27, "EEA": 30, "EFTA": 4, "Schengen": 29, "FVEY": 5, "NATO": 32, "G7": 7,
		"OECD": 38, "ASEAN": 11, "GCC": 6, "AU": 55, "BRICS": 10, "CIS": 9}
	names := geo.GroupNames()
	if len(names) != len(want) {
		t.Fatalf("groups %v", names)
	}
	for _, n := range names {
		m := geo.GroupMembers(n)
		if len(m) != want[n] {
			t.Errorf("%s has %d members, want %d", n, len(m), want[n])
		}
		if len(slices.Compact(slices.Sorted(slices.Values(m)))) != len(m) {
			t.Errorf("%s lists a member twice", n)
		}
		for _, c := range m {
			id, _ := geo.ParseCountry(c)
			if !geo.KnownCountry(id) {
				t.Errorf("%s member %q is not a country code", n, c)
			}
		}
	}
	eu, eea, sch := geo.GroupMembers("eu"), geo.GroupMembers("EEA"), geo.GroupMembers("schengen")
	for _, c := range eu {
		if !slices.Contains(eea, c) {
			t.Errorf("EU member %s not in EEA", c)
		}
		if !slices.Contains(sch, c) && c != "IE" && c != "CY" {
			t.Errorf("EU member %s not in Schengen", c)
		}
	}
	if geo.GroupMembers("nope") != nil {
		t.Error("GroupMembers of unknown group")
	}
}

func TestNewZonesErrors(t *testing.T) {
	many := make([]geo.ZoneSpec, geo.MaxUserZones+1)
	for i := range many {
		many[i] = geo.ZoneSpec{Name: fmt.Sprintf("zone%d", i), Terms: []string{"DE"}}
	}
	cases := []struct {
		name string
		cfg  geo.Config
		want string
	}{
		{"unknown home term", geo.Config{Home: []string{"DE", "Schengn"}}, `home: unknown zone "Schengn" (did you mean "Schengen"?)`},
		{"typo of user zone", geo.Config{Zones: []geo.ZoneSpec{{"europe", []string{"EU"}}, {"partners", []string{"eurpoe"}}}}, `zone "partners": unknown zone "eurpoe" (did you mean "europe"?)`},
		{"no suggestion", geo.Config{Home: []string{"atlantis"}}, `home: unknown zone "atlantis"`},
		{"bad country", geo.Config{Home: []string{"XX"}}, `home: unknown country code "XX"`},
		{"bad cidr", geo.Config{Home: []string{"10.0.0.0/33"}}, `home: bad CIDR "10.0.0.0/33"`},
		{"bad address", geo.Config{Home: []string{"10.0.0.256"}}, `home: bad address "10.0.0.256"`},
		{"bad asn", geo.Config{Home: []string{"AS0"}}, `home: bad AS number "AS0"`},
		{"empty term", geo.Config{Home: []string{"!"}}, `home: empty term "!"`},
		{"cycle", geo.Config{Zones: []geo.ZoneSpec{{"alpha", []string{"beta"}}, {"beta", []string{"gamma"}}, {"gamma", []string{"alpha", "DE"}}}},
			`zone "alpha": cycle alpha → beta → gamma → alpha`},
		{"self", geo.Config{Zones: []geo.ZoneSpec{{"alpha", []string{"alpha"}}}}, `zone "alpha": zone "alpha" names itself`},
		{"dup", geo.Config{Zones: []geo.ZoneSpec{{"alpha", []string{"DE"}}, {"Alpha", []string{"FR"}}}}, `zone "Alpha": defined twice`},
		{"group name", geo.Config{Zones: []geo.ZoneSpec{{"nato", []string{"DE"}}}}, `zone "nato": name is taken by the built-in "NATO"`},
		{"home name", geo.Config{Zones: []geo.ZoneSpec{{"Home", []string{"DE"}}}}, `zone "Home": name is taken by the built-in "home"`},
		{"country name", geo.Config{Zones: []geo.ZoneSpec{{"de", []string{"DE"}}}}, `zone "de": two-letter names are country codes`},
		{"asn name", geo.Config{Zones: []geo.ZoneSpec{{"AS12", []string{"DE"}}}}, `zone "AS12": name looks like an AS number`},
		{"any name", geo.Config{Zones: []geo.ZoneSpec{{"any", []string{"DE"}}}}, `zone "any": name is reserved`},
		{"bad name", geo.Config{Zones: []geo.ZoneSpec{{"my zone", []string{"DE"}}}}, `zone "my zone": a name starts with a letter and has only letters, digits, '_', '-' and '.'`},
		{"no terms", geo.Config{Zones: []geo.ZoneSpec{{"empty", nil}}}, `zone "empty": no terms`},
		{"too many", geo.Config{Zones: many}, `too many zones: 51 user zones, at most 50 fit in 64 zone bits beside home and 13 groups`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := geo.NewZones(c.cfg)
			if err == nil || err.Error() != c.want {
				t.Errorf("error\n got %v\nwant %s", err, c.want)
			}
		})
	}
	if _, err := geo.NewZones(geo.Config{Zones: many[:geo.MaxUserZones]}); err != nil {
		t.Errorf("%d user zones rejected: %v", geo.MaxUserZones, err)
	}
}

// labTable builds the lab database with an extra SE-located, DE-registered net.
func labTable(t testing.TB, cfg geo.Config, withASN bool) *geo.Table {
	t.Helper()
	// The lab map has no registration data; here every lab network is
	// registered where it is located, except the two below.
	es := geotest.LabEntries()
	for i := range es {
		es[i].Registered = es[i].Country
	}
	es = append(es,
		geotest.Entry{Prefix: netip.MustParsePrefix("198.18.0.0/24"), Country: "SE", Registered: "DE", Continent: "EU"}, // special (benchmarking) and SE
		geotest.Entry{Prefix: netip.MustParsePrefix("192.0.2.64/26"), Country: "SE", Registered: "DE"},
	)
	b, err := geotest.Build(es)
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.OpenBytes("lab", b)
	if err != nil {
		t.Fatal(err)
	}
	var asn *geo.ASNDB
	if withASN {
		ab, err := geotest.BuildASN([]geotest.Entry{{Prefix: netip.MustParsePrefix("203.0.113.128/25"), ASN: 65001, ASOrg: "Other RU"}})
		if err != nil {
			t.Fatal(err)
		}
		if asn, err = geo.OpenASNBytes("lab-asn", ab); err != nil {
			t.Fatal(err)
		}
	}
	z, err := geo.NewZones(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.Build(db, asn, z)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

var labCfg = geo.Config{
	Home: []string{"DE", "!192.168.66.0/24"},
	Zones: []geo.ZoneSpec{
		{Name: "europe", Terms: []string{"EU", "EEA", "CH", "GB"}},
		{Name: "hostile", Terms: []string{"CN", "RU", "!AS64502"}},
		{Name: "partners", Terms: []string{"europe", "FVEY", "!FR"}},
		{Name: "labnet", Terms: []string{"192.0.2.0/24", "2001:db8:de::/48"}},
		{Name: "rest", Terms: []string{"!europe"}},
	},
}

func TestLookupLab(t *testing.T) {
	tb := labTable(t, labCfg, true)
	z := tb.Zones()
	cases := []struct {
		addr       string
		country    string
		registered string
		continent  string
		asn        uint32
		flags      geo.Flags
		loc, reg   string // Jurisdictions, comma-separated
	}{
		{"198.51.100.7", "CN", "CN", "AS", 64501, geo.FlagFound, "BRICS,hostile,rest", "BRICS,hostile,rest"},
		{"203.0.113.1", "RU", "RU", "EU", 64502, geo.FlagFound, "BRICS,CIS,rest", "BRICS,CIS,rest"},
		{"203.0.113.200", "RU", "RU", "EU", 65001, geo.FlagFound, "BRICS,CIS,hostile,rest", "BRICS,CIS,hostile,rest"},
		{"192.0.2.1", "DE", "DE", "EU", 64500, geo.FlagFound, "home,EU,EEA,Schengen,NATO,G7,OECD,europe,partners,labnet", "home,EU,EEA,Schengen,NATO,G7,OECD,europe,partners,labnet"},
		{"192.0.2.70", "SE", "DE", "EU", 0, geo.FlagFound, "EU,EEA,Schengen,NATO,OECD,europe,partners,labnet", "home,EU,EEA,Schengen,NATO,G7,OECD,europe,partners,labnet"},
		{"192.0.2.129", "FR", "FR", "EU", 64503, geo.FlagFound, "EU,EEA,Schengen,NATO,G7,OECD,europe,labnet", "EU,EEA,Schengen,NATO,G7,OECD,europe,labnet"},
		{"::ffff:192.0.2.129", "FR", "FR", "EU", 64503, geo.FlagFound, "EU,EEA,Schengen,NATO,G7,OECD,europe,labnet", "EU,EEA,Schengen,NATO,G7,OECD,europe,labnet"},
		{"2001:db8:1::1", "CN", "CN", "AS", 64501, geo.FlagFound, "BRICS,hostile,rest", "BRICS,hostile,rest"},
		{"2001:db8:de:ffff::1", "DE", "DE", "EU", 64500, geo.FlagFound, "home,EU,EEA,Schengen,NATO,G7,OECD,europe,partners,labnet", "home,EU,EEA,Schengen,NATO,G7,OECD,europe,partners,labnet"},
		{"2001:db8:3::1", "", "", "", 0, 0, "rest", "rest"},
		{"64.13.134.52", "US", "US", "NA", 0, geo.FlagFound, "FVEY,NATO,G7,OECD,partners,rest", "FVEY,NATO,G7,OECD,partners,rest"},
		{"10.10.10.10", "", "", "", 0, geo.FlagSpecial, "home,rest", "home,rest"},
		{"192.168.66.1", "", "", "", 0, geo.FlagSpecial, "rest", "rest"},
		{"198.18.0.1", "SE", "DE", "EU", 0, geo.FlagFound | geo.FlagSpecial, "home,EU,EEA,Schengen,NATO,OECD,europe,partners", "home,EU,EEA,Schengen,NATO,G7,OECD,europe,partners"},
		{"fd00::1", "", "", "", 0, geo.FlagSpecial, "home,rest", "home,rest"},
		{"fe80::1", "", "", "", 0, geo.FlagSpecial, "home,rest", "home,rest"},
		{"8.8.4.4", "", "", "", 0, 0, "rest", "rest"},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			in := tb.Lookup(netip.MustParseAddr(c.addr))
			if in.Country.String() != c.country || in.Registered.String() != c.registered || in.Continent.String() != c.continent ||
				in.ASN != c.asn || in.Flags != c.flags {
				t.Errorf("got %s/%s/%s AS%d flags %b, want %s/%s/%s AS%d flags %b", in.Country, in.Registered, in.Continent, in.ASN, in.Flags,
					c.country, c.registered, c.continent, c.asn, c.flags)
			}
			if got := strings.Join(z.Jurisdictions(&in, geo.BasisLocation), ","); got != c.loc {
				t.Errorf("location jurisdictions %s, want %s", got, c.loc)
			}
			if got := strings.Join(z.Jurisdictions(&in, geo.BasisRegistered), ","); got != c.reg {
				t.Errorf("registered jurisdictions %s, want %s", got, c.reg)
			}
		})
	}
	if got := tb.ASOrg(64501); got != "Lab CN Telecom" {
		t.Errorf("ASOrg(64501) = %q", got)
	}
	if got := tb.ASOrg(65001); got != "Other RU" {
		t.Errorf("ASOrg(65001) = %q", got)
	}
	if got := tb.Lookup(netip.Addr{}); got != (geo.Info{}) {
		t.Errorf("Lookup(invalid) = %+v", got)
	}
}

func TestSpecialNotHome(t *testing.T) {
	tb := labTable(t, geo.Config{Home: []string{"DE"}, SpecialNotHome: true}, false)
	in := tb.Lookup(netip.MustParseAddr("10.10.10.10"))
	if in.IsHome() || in.Flags != geo.FlagSpecial {
		t.Errorf("10.10.10.10 with SpecialNotHome: %+v", in)
	}
	in = tb.Lookup(netip.MustParseAddr("192.0.2.1"))
	if !in.IsHome() {
		t.Errorf("192.0.2.1 (DE) not home: %+v", in)
	}
	tb = labTable(t, geo.Config{}, false)
	if in := tb.Lookup(netip.MustParseAddr("192.0.2.1")); in.IsHome() {
		t.Errorf("192.0.2.1 home without home countries: %+v", in)
	}
	if in := tb.Lookup(netip.MustParseAddr("127.0.0.1")); !in.IsHome() {
		t.Errorf("127.0.0.1 not home by default: %+v", in)
	}
}

func TestCompileErrors(t *testing.T) {
	z, err := geo.NewZones(labCfg)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ terms, want string }{
		{"eurpoe", `unknown zone "eurpoe" (did you mean "europe"?)`},
		{"hostil", `unknown zone "hostil" (did you mean "hostile"?)`},
		{"natp", `unknown zone "natp" (did you mean "NATO"?)`},
		{"anyy", `unknown zone "anyy" (did you mean "any"?)`},
		{"XX", `unknown country code "XX"`},
		{"DE,!QQ", `unknown country code "QQ"`},
		{"2001:db8::/129", `bad CIDR "2001:db8::/129"`},
		{"AS4294967296", `bad AS number "AS4294967296"`},
		{"fe80::1%eth0", `bad address "fe80::1%eth0"`},
	}
	for _, c := range cases {
		t.Run(c.terms, func(t *testing.T) {
			_, err := z.Compile(strings.Split(c.terms, ","))
			if err == nil || err.Error() != c.want {
				t.Errorf("error\n got %v\nwant %s", err, c.want)
			}
		})
	}
}

func TestExprMatch(t *testing.T) {
	tb := labTable(t, labCfg, true)
	z := tb.Zones()
	addrs := []string{"198.51.100.7", "203.0.113.1", "203.0.113.200", "192.0.2.1", "192.0.2.70", "192.0.2.129", "2001:db8:1::1",
		"2001:db8:de::1", "10.10.10.10", "8.8.4.4", "::ffff:198.51.100.7"}
	cases := []struct {
		terms string
		basis geo.Basis
		want  string // addresses (by index) that match
	}{
		{"", geo.BasisLocation, "0,1,2,3,4,5,6,7,8,9,10"},
		{"any", geo.BasisLocation, "0,1,2,3,4,5,6,7,8,9,10"},
		{"home", geo.BasisLocation, "3,7,8"},
		{"home", geo.BasisRegistered, "3,4,7,8"},
		{"HOME", geo.BasisEither, "3,4,7,8"},
		{"!home", geo.BasisLocation, "0,1,2,4,5,6,9,10"},
		{"eu", geo.BasisLocation, "3,4,5,7"},
		{"Eu,!de", geo.BasisLocation, "4,5"},
		{"EU,!DE", geo.BasisRegistered, "5"},
		{"EU,!DE", geo.BasisEither, "4,5"},
		{"SE", geo.BasisLocation, "4"},
		{"SE", geo.BasisRegistered, ""},
		{"cn,ru", geo.BasisLocation, "0,1,2,6,10"},
		{"hostile", geo.BasisLocation, "0,2,6,10"},
		{"AS64502", geo.BasisLocation, "1"},
		{"any,!AS64502,!AS64501", geo.BasisLocation, "2,3,4,5,7,8,9"},
		{"198.51.100.0/24", geo.BasisLocation, "0,10"},
		{"198.51.100.99/24", geo.BasisLocation, "0,10"},
		{"::ffff:198.51.100.0/120", geo.BasisLocation, "0,10"},
		{"2001:db8::/32,!2001:db8:de::/48", geo.BasisLocation, "6"},
		{"!europe,!home", geo.BasisLocation, "0,1,2,6,9,10"},
		{"rest", geo.BasisLocation, "0,1,2,6,8,9,10"},
		{"BRICS,!CIS", geo.BasisLocation, "0,6,10"},
		{"10.10.10.10", geo.BasisLocation, "8"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s", c.terms, c.basis), func(t *testing.T) {
			var terms []string
			if c.terms != "" {
				terms = strings.Split(c.terms, ",")
			}
			e, err := z.Compile(terms)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, s := range addrs {
				a := netip.MustParseAddr(s)
				in := tb.Lookup(a)
				if e.Match(a, &in, c.basis) {
					got = append(got, fmt.Sprint(i))
				}
			}
			if strings.Join(got, ",") != c.want {
				t.Errorf("matches %s, want %s", strings.Join(got, ","), c.want)
			}
		})
	}
}

func TestBasisAndDirection(t *testing.T) {
	for s, want := range map[string]geo.Basis{"location": geo.BasisLocation, "registered": geo.BasisRegistered, "either": geo.BasisEither, "": geo.BasisLocation} {
		b, err := geo.ParseBasis(s)
		if err != nil || b != want {
			t.Errorf("ParseBasis(%q) = %v, %v", s, b, err)
		}
	}
	if _, err := geo.ParseBasis("Location"); err == nil || err.Error() != `unknown basis "Location": want location, registered or either` {
		t.Errorf("ParseBasis(Location): %v", err)
	}
	tb := labTable(t, labCfg, false)
	home, abroad := tb.Lookup(netip.MustParseAddr("192.0.2.1")), tb.Lookup(netip.MustParseAddr("198.51.100.1"))
	for _, c := range []struct {
		src, dst *geo.Info
		want     string
	}{{&abroad, &home, "inbound"}, {&home, &abroad, "outbound"}, {&home, &home, "internal"}, {&abroad, &abroad, "transit"}} {
		if got := geo.DirectionOf(c.src, c.dst).String(); got != c.want {
			t.Errorf("direction %s, want %s", got, c.want)
		}
	}
}

func TestRangesLab(t *testing.T) {
	tb := labTable(t, geo.Config{Home: []string{"DE"}}, false)
	var got []string
	tb.Ranges(func(from, to netip.Addr, in *geo.Info) bool {
		if in.Flags&geo.FlagSpecial == 0 {
			got = append(got, fmt.Sprintf("%s-%s %s home=%v", from, to, in.Country, in.IsHome()))
		}
		return true
	})
	want := []string{
		"4.4.4.4-4.4.4.4 US home=false",
		"8.8.8.8-8.8.8.8 US home=false",
		"24.132.150.54-24.132.150.54 NL home=false",
		"36.91.140.93-36.91.140.93 ID home=false",
		"45.179.193.111-45.179.193.111 PY home=false",
		"64.13.134.52-64.13.134.52 US home=false",
		"67.228.110.120-67.228.110.120 US home=false",
		"74.125.95.104-74.125.95.104 US home=false",
		"78.46.76.2-78.46.76.2 DE home=true",
		"82.165.177.154-82.165.177.154 DE home=true",
		"192.0.2.0-192.0.2.63 DE home=true",
		"192.0.2.64-192.0.2.127 SE home=false",
		"192.0.2.128-192.0.2.255 FR home=false",
		"198.51.100.0-198.51.100.255 CN home=false",
		"203.0.113.0-203.0.113.255 RU home=false",
		"205.152.37.23-205.152.37.23 US home=false",
		"208.104.95.10-208.104.95.10 US home=false",
		"212.58.226.142-212.58.226.142 GB home=false",
		"2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff CN home=false",
		"2001:db8:2::-2001:db8:2:ffff:ffff:ffff:ffff:ffff RU home=false",
		"2001:db8:f::-2001:db8:f:ffff:ffff:ffff:ffff:ffff FR home=false",
		"2001:db8:de::-2001:db8:de:ffff:ffff:ffff:ffff:ffff DE home=true",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ranges\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	n := 0
	tb.Ranges(func(_, _ netip.Addr, _ *geo.Info) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Ranges did not stop when fn returned false: %d calls", n)
	}
}

func buildEmbedded(t testing.TB, cfg geo.Config) *geo.Table {
	t.Helper()
	db, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	z, err := geo.NewZones(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.Build(db, nil, z)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestZoneError: an error in a user zone names the zone as written, so that
// rules can point at the file that defined it; other errors are not ZoneErrors.
func TestZoneError(t *testing.T) {
	_, err := geo.NewZones(geo.Config{Zones: []geo.ZoneSpec{{"Partners", []string{"eurpoe"}}}})
	var ze *geo.ZoneError
	if !errors.As(err, &ze) || ze.Zone != "Partners" || ze.Err.Error() != `unknown zone "eurpoe"` {
		t.Errorf("NewZones error %v: ZoneError %+v", err, ze)
	}
	_, err = geo.NewZones(geo.Config{Home: []string{"eurpoe"}})
	if err == nil || errors.As(err, &ze) {
		t.Errorf("home error %v is a ZoneError", err)
	}
}
