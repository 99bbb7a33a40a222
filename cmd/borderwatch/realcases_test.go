package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/borderwatch/borderwatch/rules/verify"
)

// realCasesDir holds the committed real third-party captures, one folder
// each: the capture, case.yaml (realCase) and expect.json.
var realCasesDir = filepath.Join(repoRoot, "testdata", "realcases")

// realCase is a real capture's case.yaml.
type realCase struct {
	Capture        string   `yaml:"capture"` // file in the case folder
	Source         string   `yaml:"source"`  // repository, path, commit
	Licence        string   `yaml:"licence"`
	Home           []string `yaml:"home"`
	SpecialNotHome bool     `yaml:"special_not_home"`
	// Attack names what the capture shows when it is an attack; empty for
	// benign captures, which must give no alert.
	Attack string `yaml:"attack"`
	// Expected is what a detector should report, from the tshark analysis
	// in Why; Miss, when set, says why the default pack does not (yet):
	// expect.json then holds what it does report.
	Expected string `yaml:"expected"`
	Miss     string `yaml:"miss"`
	Why      string `yaml:"why"`
}

// TestRealCases replays every capture of testdata/realcases through
// `borderwatch rules test` on the embedded GeoIP database and the default
// pack and requires exactly the alerts of its expect.json: none for every
// benign capture, and for the attacks what the default pack catches today
// (a case whose miss is closed fails here, and its expect.json is updated).
func TestRealCases(t *testing.T) {
	entries, err := os.ReadDir(realCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	should, hits, quiet, benign := 0, 0, 0, 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		dir := filepath.Join(realCasesDir, name)
		b, err := os.ReadFile(filepath.Join(dir, "case.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var c realCase
		if err := yaml.UnmarshalWithOptions(b, &c, yaml.Strict()); err != nil {
			t.Fatalf("%s/case.yaml: %v", name, err)
		}
		if c.Capture == "" || c.Source == "" || c.Licence == "" || len(c.Home) == 0 || c.Expected == "" || c.Why == "" {
			t.Fatalf("%s/case.yaml: capture, source, licence, home, expected and why are required", name)
		}
		pcap := filepath.Join(dir, c.Capture)
		st, err := os.Stat(pcap)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 1_000_000 {
			t.Errorf("%s: %d bytes: committed captures are at most 1 MB", name, st.Size())
		}
		total += st.Size()
		expect := filepath.Join(dir, "expect.json")
		want, err := verify.Load(expect)
		if err != nil {
			t.Fatal(err)
		}
		nwant := 0
		for _, x := range want.Alerts {
			nwant += max(x.Count, 1)
		}
		switch {
		case c.Attack == "" && nwant != 0:
			t.Errorf("%s: a benign capture must expect no alert", name)
		case c.Miss != "" && nwant != 0:
			t.Errorf("%s: a miss expects no alert", name)
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"rules", "test", "--home", strings.Join(c.Home, ","), "--pcap", pcap, "--expect", expect}
			if c.SpecialNotHome {
				args = append(args, "--special-not-home")
			}
			out, errOut, err := execCLI(args...)
			if err != nil || !strings.HasPrefix(out, fmt.Sprintf("ok: %d alerts", nwant)) {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
			}
		})
		switch {
		case c.Attack == "":
			benign++
		case nwant > 0:
			should++
			hits++
		case c.Miss != "":
			should++
		default:
			quiet++ // an attack below the default thresholds
		}
		t.Logf("%-28s attack=%q expected=%q alerts=%d miss=%q", name, c.Attack, c.Expected, nwant, c.Miss)
	}
	if total > 10_000_000 {
		t.Errorf("realcases hold %d bytes of captures: at most 10 MB", total)
	}
	if should == 0 || benign == 0 {
		t.Fatalf("%d attack and %d benign cases: want both", should, benign)
	}
	t.Logf("hit rate %d of %d attacks that should alert; %d attacks below the default thresholds, no alert; %d benign, no false alert",
		hits, should, quiet, benign)
}
