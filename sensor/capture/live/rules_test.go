package live

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
)

func loadTestRules(t *testing.T, src string) *rules.Set {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load(rules.Options{Paths: []string{path}, NoDefaults: true, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestCompileKernelRules(t *testing.T) {
	set := loadTestRules(t, `zones:
  forbidden: [RU]
lists:
  - {name: zz, addresses: ["203.0.113.66"]}
  - {name: aa, addresses: ["192.0.2.0/28", "2001:db8:bad::/48"]}
rules:
  - {id: 7, name: scan, kind: scan, action: drop}
  - {id: 1, name: listed, kind: reputation, list: zz, action: drop}
  - {id: 2, name: also listed, kind: reputation, list: aa}
  - {id: 3, name: also zz, kind: reputation, list: zz, side: dst}
  - {id: 4, name: forbidden, kind: policy, from: forbidden, action: drop}
`)
	// Sensor mode: the lists, each once, and no drops; the scan rule is
	// just an alert rule.
	kr, err := CompileRules(set, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range kr.listed {
		got = append(got, fmt.Sprintf("%s=%d", l.prefix, l.list))
	}
	if s := strings.Join(got, " "); s != "203.0.113.66/32=1 192.0.2.0/28=0 2001:db8:bad::/48=0" || len(kr.Drops()) != 0 {
		t.Errorf("listed %s, %d drops", s, len(kr.Drops()))
	}
	// Enforcement: the scan rule cannot be dropped in the kernel.
	_, err = CompileRules(set, true)
	if err == nil || !strings.HasSuffix(err.Error(), ": rule 7: action drop cannot be enforced in the kernel: kind scan: the kernel drops only reputation and policy rules") {
		t.Fatalf("error %v", err)
	}
	set.Rules = set.Rules[1:]
	kr, err = CompileRules(set, true)
	if err != nil {
		t.Fatal(err)
	}
	if o := kr.owners(); len(o) != 2 || o[0] != 1 || o[1] != 4 || len(kr.Drops()[1].Countries) != 1 || kr.Drops()[1].Countries[0].String() != "RU" {
		t.Errorf("slots %v, drops %+v", o, kr.Drops())
	}
}

func TestDropCounts(t *testing.T) {
	var d dropCounts
	d.swap([]uint32{10, 20}, nil)
	if got := d.byRule(map[uint32]uint64{0: 5, 1: 2}); !maps.Equal(got, map[uint32]uint64{10: 5, 20: 2}) {
		t.Errorf("first table: %v", got)
	}
	// Reload: rule 20 moves to slot 0, rule 30 takes slot 1, rule 10 goes.
	d.swap([]uint32{20, 30}, map[uint32]uint64{0: 6, 1: 2})
	if got := d.byRule(map[uint32]uint64{0: 9, 1: 4}); !maps.Equal(got, map[uint32]uint64{10: 6, 20: 2 + 3, 30: 2}) {
		t.Errorf("after the reload: %v", got)
	}
}
