package rules

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestKindSpecs checks that every kind is complete: a spec with its name,
// defaults and category, a row in docs/rules.md's kind table that agrees
// with the spec, and rules in the default pack.
func TestKindSpecs(t *testing.T) {
	var want []Kind
	for k := Kind(1); int(k) < NumKinds; k++ {
		want = append(want, k)
	}
	if !slices.Equal(Kinds, want) {
		t.Fatalf("Kinds = %v, want every kind below NumKinds: %v", Kinds, want)
	}
	if Kind(0).Spec() != nil || Kind(NumKinds).Spec() != nil {
		t.Errorf("Spec of a value that is not a kind is not nil")
	}
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for line := range strings.SplitSeq(string(doc), "\n") {
		if cells := strings.Split(line, "|"); len(cells) == 8 {
			rows[strings.TrimSpace(cells[1])] = cells[2:7]
		}
	}
	set, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds {
		s := k.Spec()
		t.Run(s.Name, func(t *testing.T) {
			if k2, ok := ParseKind(s.Name); !ok || k2 != k || k.String() != s.Name {
				t.Errorf("name %q does not parse back to kind %d", s.Name, k)
			}
			if len(s.Tracks) == 0 || len(s.Distincts) == 0 || s.Noun == "" || s.Window <= 0 {
				t.Fatalf("incomplete spec: tracks %v, distincts %v, noun %q, window %v", s.Tracks, s.Distincts, s.Noun, s.Window)
			}
			if !s.CountOK && !s.BytesOK {
				t.Errorf("neither count nor bytes allowed")
			}
			if s.CountOK && !s.NeedBytes && s.Count == 0 {
				t.Errorf("no default count")
			}
			if c, ok := lookupCategory(s.Category); !ok || c.desc != s.Category {
				t.Errorf("category %q is not a Suricata classification", s.Category)
			}
			if k.DefaultTrack() != s.Tracks[0] {
				t.Errorf("DefaultTrack %v, want the first track %v", k.DefaultTrack(), s.Tracks[0])
			}
			row, ok := rows[s.Name]
			if !ok {
				t.Fatalf("docs/rules.md: no row for %s in the kind table", s.Name)
			}
			if got, want := strings.TrimSpace(row[1]), trackWordList(s.Tracks); got != want {
				t.Errorf("docs/rules.md: %s tracks %q, the spec says %q", s.Name, got, want)
			}
			if got, want := strings.TrimSpace(row[2]), distinctWordList(s.Distincts); got != want {
				t.Errorf("docs/rules.md: %s distinct %q, the spec says %q", s.Name, got, want)
			}
			n := 0
			for _, r := range set.Rules {
				if r.Kind == k {
					n++
				}
			}
			if n == 0 {
				t.Errorf("the default pack has no %s rule", s.Name)
			}
		})
	}
}

func trackWordList(ts []Track) string {
	w := make([]string, len(ts))
	for i, x := range ts {
		w[i] = x.String()
	}
	return strings.Join(w, ", ")
}

func distinctWordList(ds []Distinct) string {
	w := make([]string, len(ds))
	for i, x := range ds {
		w[i] = x.String()
	}
	return strings.Join(w, ", ")
}

// TestReflectionPorts: the default pack's inbound reflection rules split
// the source ports: the known amplifiers (8100501) and every other service
// port below 32768 (8100503), none in both, so that one reflection episode
// raises one alert whatever service it abuses.
func TestReflectionPorts(t *testing.T) {
	set, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[uint32]*Rule{}
	for _, r := range set.Rules {
		byID[r.ID] = r
	}
	known, any := byID[8100501], byID[8100503]
	if known == nil || any == nil {
		t.Fatalf("rules 8100501 and 8100503 not in the pack")
	}
	for _, p := range []uint16{500, 4500, 3283, 37810, 47808, 53, 123, 11211} {
		if !known.SrcPorts.Has(p) {
			t.Errorf("known amplifier port %d not in 8100501", p)
		}
	}
	for p := 1; p < 65536; p++ {
		k, a := known.SrcPorts.Has(uint16(p)), any.SrcPorts.Has(uint16(p))
		switch {
		case k && a:
			t.Errorf("port %d in both reflection rules", p)
		case p < 32768 && !k && !a:
			t.Errorf("service port %d in neither reflection rule", p)
		case p >= 32768 && a:
			t.Errorf("ephemeral port %d in 8100503", p)
		}
	}
	if known.Threshold.MinSources != 3 || known.Threshold.Bytes != 1e6 || known.Threshold.Window.Minutes() != 1 {
		t.Errorf("8100501 threshold %s, want 1 MB in 1m from 3 reflectors", known.Threshold)
	}
}

// TestDocsSpecialRanges: docs/rules.md lists every range geo makes home by
// default (geo/zones.go's specialPrefixes).
func TestDocsSpecialRanges(t *testing.T) {
	src, err := os.ReadFile("../geo/zones.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(src), "var specialPrefixes = []netip.Prefix{")
	block, _, _ = strings.Cut(block, "\n}")
	if !ok || block == "" {
		t.Fatal("geo/zones.go: specialPrefixes not found")
	}
	n := 0
	for line := range strings.SplitSeq(block, "\n") {
		_, rest, ok := strings.Cut(line, `MustParsePrefix("`)
		if !ok {
			continue
		}
		p, _, _ := strings.Cut(rest, `"`)
		n++
		if !strings.Contains(string(doc), "`"+p+"`") {
			t.Errorf("docs/rules.md does not list the special range %s", p)
		}
	}
	if n < 10 {
		t.Errorf("found %d special ranges in geo/zones.go", n)
	}
}
