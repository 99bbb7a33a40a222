package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
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
	kr, err := compileKernelRules(set, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range kr.listed {
		got = append(got, fmt.Sprintf("%s=%d", l.prefix, l.list))
	}
	if s := strings.Join(got, " "); s != "203.0.113.66/32=1 192.0.2.0/28=0 2001:db8:bad::/48=0" || len(kr.drops) != 0 {
		t.Errorf("listed %s, %d drops", s, len(kr.drops))
	}
	// Enforcement: the scan rule cannot be dropped in the kernel.
	_, err = compileKernelRules(set, true)
	if err == nil || !strings.HasSuffix(err.Error(), ": rule 7: action drop cannot be enforced in the kernel: kind scan: the kernel drops only reputation and policy rules") {
		t.Fatalf("error %v", err)
	}
	set.Rules = set.Rules[1:]
	kr, err = compileKernelRules(set, true)
	if err != nil {
		t.Fatal(err)
	}
	if o := kr.owners(); len(o) != 2 || o[0] != 1 || o[1] != 4 || len(kr.drops[1].Countries) != 1 || kr.drops[1].Countries[0].String() != "RU" {
		t.Errorf("slots %v, drops %+v", o, kr.drops)
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

// TestRunEnforceErrors: --enforce is refused where the sensor cannot drop,
// and a drop rule the kernel cannot express stops it before capture starts.
func TestRunEnforceErrors(t *testing.T) {
	_, stderr, code := runCLI(t, "--config", writeFile(t, "empty.yaml", "# defaults\n"), "run", "--iface", "lo", "--capture", "afpacket", "--enforce")
	if want := "borderwatch: --enforce needs XDP capture (--capture xdp): AF_PACKET only copies packets and cannot drop them\n"; code != exitUsage || stderr != want {
		t.Errorf("afpacket: exit %d, stderr %q, want %q", code, stderr, want)
	}
	rulesPath := writeFile(t, "rules.yaml", "rules:\n  - {id: 42, name: asn, kind: policy, from: AS64500, action: drop}\n")
	_, stderr, code = runCLI(t, "--config", writeFile(t, "empty.yaml", "# defaults\n"), "--rules", rulesPath, "--no-default-rules",
		"run", "--iface", "lo", "--enforce", "--metrics-listen", "off")
	want := "borderwatch: " + rulesPath + `:2:6: rule 42: action drop cannot be enforced in the kernel: from "AS64500": AS number AS64500 is not a country or CIDR` + "\n"
	if code != exitUsage || stderr != want {
		t.Errorf("bad drop rule: exit %d, stderr %q, want %q", code, stderr, want)
	}
}

// TestReloadChecksDropRules: with enforcement, a reload whose drop rule the
// kernel cannot express keeps the running state and pushes nothing; a good
// one pushes the new drop rules.
func TestReloadChecksDropRules(t *testing.T) {
	dir := t.TempDir()
	labDB := filepath.Join(dir, "lab.mmdb")
	if err := os.WriteFile(labDB, geotest.Lab(), 0o644); err != nil {
		t.Fatal(err)
	}
	rulesPath := filepath.Join(dir, "rules.yaml")
	write := func(from string) {
		src := "rules:\n  - {id: 9200001, name: drop, kind: policy, from: " + from + ", action: drop}\n"
		if err := os.WriteFile(rulesPath, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("RU")
	a, logs, set, table := labApp(t, labDB, rulesPath)
	p, err := pipeline.New(pipeline.Config{Enforce: true}, geo.NewHolder(table), set, pipeline.SinkFunc(func(*alert.Alert) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	var pushed []*kernelRules
	reloads := &metrics.Reloads{}
	rl := &reloader{a: a, p: p, reloads: reloads, log: a.logger("reload"), enforce: true,
		kernelRules: func(kr *kernelRules) error { pushed = append(pushed, kr); return nil }}

	write(`"!home"`)
	rl.reload()
	if ok, failed := reloads.Counts(); ok != 0 || failed != 1 || len(pushed) != 0 || p.Rules() != set {
		t.Errorf("bad drop rule: reloads ok %d failed %d, %d pushes, rules replaced %v", ok, failed, len(pushed), p.Rules() != set)
	}
	want := `rule 9200001: action drop cannot be enforced in the kernel: from \"!home\": a negation (\"!…\") cannot be enumerated`
	if l := logs.String(); !strings.Contains(l, want) {
		t.Errorf("log lacks %s:\n%s", want, l)
	}
	write("[CN, RU]")
	rl.reload()
	if ok, _ := reloads.Counts(); ok != 1 || len(pushed) != 1 {
		t.Fatalf("good reload: ok %d, %d pushes", ok, len(pushed))
	}
	d := pushed[0].drops
	if len(d) != 1 || d[0].Rule.ID != 9200001 || len(d[0].Countries) != 2 || d[0].Countries[0].String() != "CN" || d[0].Countries[1].String() != "RU" {
		t.Errorf("pushed drops %+v", d)
	}
}
