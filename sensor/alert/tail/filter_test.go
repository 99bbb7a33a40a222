package tail

import "testing"

// TestNewFilterErrors: bad values are refused with the flag, the value
// and what is wanted; a kind close to a real one is suggested.
func TestNewFilterErrors(t *testing.T) {
	for _, c := range []struct {
		kinds, countries []string
		sev              int
		want             string
	}{
		{kinds: []string{"scna"}, want: `--kind "scna": not a detector kind (did you mean "scan"?); want one of scan, sweep, flood, bruteforce, amplification, reputation, policy, volume`},
		{kinds: []string{"scan,portscan"}, want: `--kind "portscan": not a detector kind; want one of scan, sweep, flood, bruteforce, amplification, reputation, policy, volume`},
		{countries: []string{"DEU"}, want: `--country "DEU": want an ISO 3166-1 alpha-2 code such as DE`},
		{countries: []string{"d1"}, want: `--country "d1": want an ISO 3166-1 alpha-2 code such as DE`},
		{sev: -1, want: `--min-severity -1: want 0 (all) or 1 (highest) to 255`},
		{sev: 256, want: `--min-severity 256: want 0 (all) or 1 (highest) to 255`},
	} {
		_, err := NewFilter(c.kinds, c.countries, c.sev)
		if err == nil || err.Error() != c.want {
			t.Errorf("NewFilter(%q, %q, %d): %v, want %s", c.kinds, c.countries, c.sev, err, c.want)
		}
	}
}

// TestFilterMatch: kinds and countries match any of their values (the
// country at either end), parts combine, and --min-severity N keeps
// severities 1 (highest) to N.
func TestFilterMatch(t *testing.T) {
	scan := Record{Kind: "scan", SrcCountry: "CN", DestCountry: "DE", Severity: 2}
	flood := Record{Kind: "flood", SrcCountry: "US", DestCountry: "FR", Severity: 1}
	noSev := Record{Kind: "policy", SrcCountry: "RU", DestCountry: "DE"}
	for _, c := range []struct {
		name             string
		kinds, countries []string
		sev              int
		want             [3]bool // scan, flood, noSev
	}{
		{name: "none", want: [3]bool{true, true, true}},
		{name: "kind", kinds: []string{"scan"}, want: [3]bool{true, false, false}},
		{name: "kinds list", kinds: []string{"scan, flood"}, want: [3]bool{true, true, false}},
		{name: "source country", countries: []string{"cn"}, want: [3]bool{true, false, false}},
		{name: "destination country", countries: []string{"DE"}, want: [3]bool{true, false, true}},
		{name: "countries", countries: []string{"FR", "RU"}, want: [3]bool{false, true, true}},
		{name: "severity 1", sev: 1, want: [3]bool{false, true, false}},
		{name: "severity 2", sev: 2, want: [3]bool{true, true, false}},
		{name: "kind and country", kinds: []string{"scan", "flood"}, countries: []string{"US"}, want: [3]bool{false, true, false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := NewFilter(c.kinds, c.countries, c.sev)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range []*Record{&scan, &flood, &noSev} {
				if got := f.Match(r); got != c.want[i] {
					t.Errorf("%s: %v, want %v", r.Kind, got, c.want[i])
				}
			}
		})
	}
}
