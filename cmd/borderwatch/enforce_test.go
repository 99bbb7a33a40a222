package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture/live"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

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
	var pushed []*live.Rules
	reloads := &metrics.Reloads{}
	rl := appReloader(a, p, reloads, reload.Target{Name: "kernel", Prepare: func(set *rules.Set, _ *geo.Table) (reload.Change, error) {
		kr, err := live.CompileRules(set, true)
		if err != nil {
			return nil, err
		}
		return commitFunc(func() { pushed = append(pushed, kr) }), nil
	}})

	write(`"!home"`)
	if err := rl.Reload(); err == nil {
		t.Error("the bad drop rule reloaded without an error")
	}
	if ok, failed := reloads.Counts(); ok != 0 || failed != 1 || len(pushed) != 0 || p.Rules() != set {
		t.Errorf("bad drop rule: reloads ok %d failed %d, %d pushes, rules replaced %v", ok, failed, len(pushed), p.Rules() != set)
	}
	want := `rule 9200001: action drop cannot be enforced in the kernel: from \"!home\": a negation (\"!…\") cannot be enumerated`
	if l := logs.String(); !strings.Contains(l, want) {
		t.Errorf("log lacks %s:\n%s", want, l)
	}
	write("[CN, RU]")
	if err := rl.Reload(); err != nil {
		t.Fatalf("good reload: %v", err)
	}
	if ok, _ := reloads.Counts(); ok != 1 || len(pushed) != 1 {
		t.Fatalf("good reload: ok %d, %d pushes", ok, len(pushed))
	}
	d := pushed[0].Drops()
	if len(d) != 1 || d[0].Rule.ID != 9200001 || len(d[0].Countries) != 2 || d[0].Countries[0].String() != "CN" || d[0].Countries[1].String() != "RU" {
		t.Errorf("pushed drops %+v", d)
	}
}

// commitFunc is a reload.Change that runs itself on Commit.
type commitFunc func()

func (f commitFunc) Commit() error { f(); return nil }
func (commitFunc) Abort() error    { return nil }
