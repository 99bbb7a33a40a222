package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules/verify"
	"github.com/borderwatch/borderwatch/sensor/alert/evetest"
)

// repoRoot is the repository root seen from this package's directory; case
// files name captures relative to it.
var repoRoot = filepath.Join("..", "..")

// casesDir holds the detection cases, one folder each.
var casesDir = filepath.Join(repoRoot, "testdata", "cases")

// detectionCase is a case folder's case.yaml: what to replay and with which
// jurisdiction, GeoIP database and rules.
type detectionCase struct {
	// Capture is a capture file relative to the repository root, e.g.
	// ../shared/pcaps/brute_ftp_zeek.pcap. Exactly one of Capture and
	// Scenario is set.
	Capture string `yaml:"capture"`
	// Scenario is an internal/synth scenario, generated at test time with Seed
	// (default 1), IPv6 and VLAN (one tag for 802.1Q, two for QinQ).
	Scenario string   `yaml:"scenario"`
	Seed     uint64   `yaml:"seed"`
	IPv6     bool     `yaml:"ipv6"`
	VLAN     []uint16 `yaml:"vlan"`
	// Home is --home; SpecialNotHome is --special-not-home.
	Home           []string `yaml:"home"`
	SpecialNotHome bool     `yaml:"special_not_home"`
	// GeoIP is "lab" (geotest.Lab written to a temporary file) or
	// "embedded" (the default database: no --geoip).
	GeoIP string `yaml:"geoip"`
	// Rules is a case-local rule file in the case folder (--rules);
	// NoDefaultRules is --no-default-rules.
	Rules          string `yaml:"rules"`
	NoDefaultRules bool   `yaml:"no_default_rules"`
	// Source says where a real capture comes from; Why explains the
	// expectations (the decisions behind them).
	Source string `yaml:"source"`
	Why    string `yaml:"why"`
}

func loadCase(t *testing.T, dir string) *detectionCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "case.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c detectionCase
	if err := yaml.UnmarshalWithOptions(b, &c, yaml.Strict()); err != nil {
		t.Fatalf("%s/case.yaml: %v", dir, err)
	}
	switch {
	case (c.Capture == "") == (c.Scenario == ""):
		t.Fatalf("%s/case.yaml: set exactly one of capture and scenario", dir)
	case c.Capture != "" && c.Source == "":
		t.Fatalf("%s/case.yaml: a real capture needs its source", dir)
	case len(c.Home) == 0:
		t.Fatalf("%s/case.yaml: no home", dir)
	case c.GeoIP != "lab" && c.GeoIP != "embedded":
		t.Fatalf(`%s/case.yaml: geoip %q: want "lab" or "embedded"`, dir, c.GeoIP)
	case c.Why == "":
		t.Fatalf("%s/case.yaml: say why the expectations are what they are", dir)
	}
	return &c
}

// labGeoIP writes the lab country database (geotest.Lab) to a temporary file.
func labGeoIP(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lab.mmdb")
	if err := os.WriteFile(path, geotest.Lab(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sharedCapture returns the path of a capture under ../shared, skipping the
// test when ../shared is not there.
func sharedCapture(t *testing.T, rel string) string {
	t.Helper()
	path := filepath.Join(repoRoot, filepath.FromSlash(rel))
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent: the shared test captures (../shared/pcaps) are not checked out here", rel)
	} else if err != nil {
		t.Fatal(err)
	}
	return path
}

// input returns the capture to replay: the real one, or the scenario
// generated into a temporary file.
func (c *detectionCase) input(t *testing.T) string {
	t.Helper()
	if c.Capture != "" {
		return sharedCapture(t, c.Capture)
	}
	sc, ok := synth.Lookup(c.Scenario)
	if !ok {
		t.Fatalf("no synth scenario %q", c.Scenario)
	}
	seed := c.Seed
	if seed == 0 {
		seed = 1
	}
	g := synth.New(synth.Options{Seed: seed, VLAN: c.VLAN})
	path := filepath.Join(t.TempDir(), c.Scenario+".pcap")
	if err := synth.WriteFile(path, sc.Build(g, c.IPv6)); err != nil {
		t.Fatal(err)
	}
	return path
}

// args is the `rules test` command line of the case.
func (c *detectionCase) args(dir, pcap, geoip, expect string) []string {
	args := []string{"rules", "test", "--home", strings.Join(c.Home, ","), "--pcap", pcap, "--expect", expect}
	if c.GeoIP == "lab" {
		args = append(args, "--geoip", geoip)
	}
	if c.SpecialNotHome {
		args = append(args, "--special-not-home")
	}
	if c.Rules != "" {
		args = append(args, "--rules", filepath.Join(dir, c.Rules))
	}
	if c.NoDefaultRules {
		args = append(args, "--no-default-rules")
	}
	return args
}

// execCLI runs the borderwatch command line in-process and returns stdout,
// stderr and the error Execute returned.
func execCLI(args ...string) (string, string, error) {
	root := newRootCmd(newApp())
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

// caseDirs lists the case folders in name order.
func caseDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no cases in %s", casesDir)
	}
	return dirs
}

// replayArgs is the `replay` command line giving the case's alerts as EVE
// lines on standard output.
func (c *detectionCase) replayArgs(dir, pcap, geoip string) []string {
	args := c.args(dir, pcap, geoip, "")
	args = slices.Delete(args, 0, 2)  // "rules", "test"
	i := slices.Index(args, "--pcap") // --pcap FILE --expect ""
	args = slices.Delete(args, i, i+4)
	return append([]string{"replay", "-q"}, append(args, pcap)...)
}

// TestCases replays every case folder of testdata/cases through `borderwatch
// rules test` and requires the alerts to be exactly the expected ones; then
// through `borderwatch replay`, and requires every EVE alert line of every
// case to be valid against Suricata's EVE schema.
func TestCases(t *testing.T) {
	geoip := labGeoIP(t)
	var eve bytes.Buffer
	var lineCase []string // the case of each line of eve
	for _, name := range caseDirs(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(casesDir, name)
			c := loadCase(t, dir)
			expect := filepath.Join(dir, "expect.json")
			if _, err := verify.Load(expect); err != nil {
				t.Fatal(err)
			}
			pcap := c.input(t)
			out, errOut, err := execCLI(c.args(dir, pcap, geoip, expect)...)
			if err != nil {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
			}
			if !strings.HasPrefix(out, "ok: ") {
				t.Fatalf("stdout %q, want the ok line", out)
			}
			var n int
			if _, err := fmt.Sscanf(out, "ok: %d alerts", &n); err != nil {
				t.Fatalf("stdout %q: %v", out, err)
			}
			out, errOut, err = execCLI(c.replayArgs(dir, pcap, geoip)...)
			if err != nil {
				t.Fatalf("replay: %v\nstderr:\n%s", err, errOut)
			}
			if got := strings.Count(out, "\n"); got != n {
				t.Fatalf("replay wrote %d alert lines, rules test saw %d alerts", got, n)
			}
			eve.WriteString(out)
			for range n {
				lineCase = append(lineCase, name)
			}
		})
	}
	if eve.Len() == 0 {
		t.Fatal("no case gave an alert to validate")
	}
	path := filepath.Join(t.TempDir(), "cases.alerts.json")
	if err := os.WriteFile(path, eve.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	report, bad := evetest.Problems(t, path)
	if !bad {
		return
	}
	for _, l := range strings.Split(report, "\n") {
		var i int
		if _, err := fmt.Sscanf(l, "line %d:", &i); err == nil && i >= 1 && i <= len(lineCase) {
			t.Errorf("case %s: alert not valid against Suricata's EVE schema: %s", lineCase[i-1], l)
		}
	}
	t.Errorf("%d alerts of the cases checked against Suricata's EVE schema:\n%s", len(lineCase), report)
}

// mutation alters one expectation of a case's expect.json.
type mutation struct {
	name   string
	edit   func(f *verify.File)
	output string // a line the differences must contain
}

// TestCasesDetectChanges proves the comparison can fail: one altered
// expectation of each case must make `rules test` exit with the mismatch
// and print the difference. A case expecting alerts gets one more expected
// alert (count+1) and, separately, a wrong signature id; a case expecting
// none gets an expected alert added.
func TestCasesDetectChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("replays every case twice more")
	}
	geoip := labGeoIP(t)
	for _, name := range caseDirs(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(casesDir, name)
			c := loadCase(t, dir)
			want, err := verify.Load(filepath.Join(dir, "expect.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ms []mutation
			if len(want.Alerts) == 0 {
				ms = append(ms, mutation{"an alert expected", func(f *verify.File) {
					f.Alerts = append(f.Alerts, verify.Expect{Kind: "scan", Count: 1})
				}, "- expected 1, got 0: kind=scan\n"})
			} else {
				first := want.Alerts[0]
				ms = append(ms, mutation{"count plus one", func(f *verify.File) {
					f.Alerts[0].Count++
				}, fmt.Sprintf("- expected %d, got %d: ", first.Count+1, first.Count)})
				if first.SignatureID != 0 {
					ms = append(ms, mutation{"wrong signature id", func(f *verify.File) {
						f.Alerts[0].SignatureID++
					}, fmt.Sprintf("- expected %d, got 0: kind=%s sid=%d ", first.Count, first.Kind, first.SignatureID+1)})
				}
			}
			pcap := c.input(t)
			for _, m := range ms {
				t.Run(m.name, func(t *testing.T) {
					f, _ := verify.Load(filepath.Join(dir, "expect.json"))
					m.edit(f)
					b, err := json.Marshal(f)
					if err != nil {
						t.Fatal(err)
					}
					expect := filepath.Join(t.TempDir(), "expect.json")
					if err := os.WriteFile(expect, b, 0o600); err != nil {
						t.Fatal(err)
					}
					out, errOut, err := execCLI(c.args(dir, pcap, geoip, expect)...)
					if !errors.Is(err, errMismatch) {
						t.Fatalf("error %v, want the mismatch\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
					}
					if !strings.Contains(out, m.output) {
						t.Errorf("differences:\n%s\nwant a line containing %q", out, m.output)
					}
				})
			}
		})
	}
}
