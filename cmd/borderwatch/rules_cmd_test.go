package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesCheckDefaultPack(t *testing.T) {
	out, _, err := execCLI("rules", "check")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ID       KIND           NAME",
		"8100101  scan           BW SCAN inbound TCP port scan from abroad                            !home→home      15 distinct dst_port in 5m per pair                1h        2\n",
		"\nper kind: scan 8, sweep 8, flood 5, bruteforce 5, amplification 3, reputation 2, policy 2, volume 2\n",
		"list blocklist: 0 prefixes from inline (plain)\n",
		"35 rules enabled, 0 disabled, from 8 files: OK\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesCheckUserFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(good, []byte("rules:\n  - {id: 1000001, name: Site sweep, kind: sweep, to: home, enabled: false}\n  - {id: 1000002, name: Site scan, kind: scan, from: \"!DE\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := execCLI("--home", "DE", "rules", "check", "--no-default-rules", good)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"1000002  scan   Site scan              !DE→any   15 distinct dst_port in 5m per pair  1h        2\n",
		"1000001  sweep  Site sweep (disabled)",
		"per kind: scan 1, sweep 0,",
		"1 rule enabled, 1 disabled, from 1 file: OK\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesCheckErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - {id: 8100101, name: clash, kind: scna}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := execCLI("rules", "check", bad)
	var ue usageError
	if !errors.As(err, &ue) || err.Error() != "2 errors in rule files" {
		t.Fatalf("err = %v, want a usage error", err)
	}
	want := bad + ":2:10: rule 8100101: duplicate id: also defined at <default>/scan.yaml:7:9\n" +
		bad + ":2:38: rule 8100101: kind: unknown kind \"scna\" (did you mean \"scan\"?)\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
	if _, _, err := execCLI("rules", "check", "--no-default-rules"); err == nil || err.Error() != "nothing to check: give a PATH, or drop --no-default-rules" {
		t.Errorf("err = %v", err)
	}
}

// TestRulesCheckState: rules check prints the worst-case detection state of
// each rule and in all, and refuses a set whose worst case exceeds the limit
// (it once said OK to sets that ran out of memory).
func TestRulesCheckState(t *testing.T) {
	out, _, err := execCLI("rules", "check")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\ndetection state per worker, worst case (every table full; tables start empty and grow with the traffic):\nID       KEYS     DISTINCT  SKETCH   TOTAL\n",
		"\n8100501  2.2 MiB  4.1 MiB   5.1 MiB  11.5 MiB\n",
		"\n8100401  2.8 MiB  0 B       0 B      2.8 MiB\n", // 2.2 MiB of table, 0.5 MiB of doorkeeper
		"\n8100101  2.8 MiB  4.1 MiB   0 B      6.9 MiB\n",
		"\nstate: up to 234.9 MiB per worker, 469.8 MiB with 2 workers (capture.workers); limit 16 GiB\n35 rules enabled",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range 800 {
		fmt.Fprintf(&b, "  - {id: %d, name: flood %d, kind: flood, protocol: udp}\n", 9000000+i, i)
	}
	if err := os.WriteFile(big, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = execCLI("rules", "check", "--no-default-rules", big)
	var ue usageError
	want := "the 800 rules need up to 18.0 GiB of detection state with 2 workers, more than the limit of 16 GiB: use fewer rules or fewer workers"
	if !errors.As(err, &ue) || err.Error() != want {
		t.Errorf("err = %v, want the usage error %q", err, want)
	}
	if !strings.Contains(out, "state: up to 9.0 GiB per worker, 18.0 GiB with 2 workers") || strings.Contains(out, ": OK") {
		t.Errorf("output:\n%s", out[max(0, len(out)-400):])
	}
	// replay refuses the same set before reading anything, as invalid
	// input (exit 2), not as a runtime failure.
	_, _, err = execCLI("replay", "-q", "--workers", "2", "--no-default-rules", "--rules", big, "../../testdata/sample/scan-inbound.pcap")
	if code := exitCode(err); code != exitUsage || !strings.Contains(fmt.Sprint(err), "more than the limit of 16 GiB") {
		t.Errorf("replay with the set: exit %d, err %v; want exit %d and the state limit", code, err, exitUsage)
	}
}
