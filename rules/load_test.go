package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
)

// writeFiles writes files into a fresh folder and makes it the working
// directory, so that error messages carry the short relative names.
func writeFiles(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

// errLines splits a joined error into its lines.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func checkLines(t *testing.T, got error, want []string) {
	t.Helper()
	lines := errLines(got)
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// A minimal valid scan rule to build bad ones from.
const okRule = `rules:
  - id: 1
    name: scan
    kind: scan
`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		paths []string // default: r.yaml
		want  []string
	}{
		{"yaml syntax", map[string]string{"r.yaml": "rules:\n  - id: [1\n"},
			nil, []string{`r.yaml:2:9: sequence end token ']' not found`}},
		{"tab indentation", map[string]string{"r.yaml": "rules:\n\t- id: 1\n"},
			nil, []string{`r.yaml:2:1: found character '	' that cannot start any token`}},
		{"top level not a mapping", map[string]string{"r.yaml": "- id: 1\n"},
			nil, []string{`r.yaml:1:1: want a mapping with zones, lists and rules, got a list`}},
		{"unknown top-level key", map[string]string{"r.yaml": "rule:\n  - id: 1\n"},
			nil, []string{`r.yaml:1:1: unknown key "rule" (did you mean "rules"?)`}},
		{"rules not a list", map[string]string{"r.yaml": "rules: {id: 1}\n"},
			nil, []string{`r.yaml:1:9: rules: want a list of rules, got a mapping`}},
		{"lists not a list", map[string]string{"r.yaml": "lists: {name: x}\n"},
			nil, []string{`r.yaml:1:9: lists: want a list of {name, file} or {name, addresses}, got a mapping`}},
		{"rule not a mapping", map[string]string{"r.yaml": "rules:\n  - scan\n"},
			nil, []string{`r.yaml:2:5: rule #1: want a rule (a mapping with id, name, kind…), got string "scan"`}},
		{"missing keys", map[string]string{"r.yaml": "rules:\n  - description: x\n"},
			nil, []string{
				`r.yaml:2:5: rule #1: missing required key "id"`,
				`r.yaml:2:5: rule #1: missing required key "name"`,
				`r.yaml:2:5: rule #1: missing required key "kind"`,
			}},
		{"unknown key with suggestion", map[string]string{"r.yaml": okRule + "    severty: 2\n"},
			nil, []string{`r.yaml:5:5: rule 1: unknown key "severty" (did you mean "severity"?)`}},
		{"unknown key without suggestion", map[string]string{"r.yaml": okRule + "    colour: red\n"},
			nil, []string{`r.yaml:5:5: rule 1: unknown key "colour"`}},
		{"unknown threshold key", map[string]string{"r.yaml": okRule + "    threshold: {cout: 3}\n"},
			nil, []string{`r.yaml:5:17: rule 1: unknown key "threshold.cout" (did you mean "count"?)`}},
		{"id errors name the rule by index", map[string]string{"r.yaml": "rules:\n  - id: x\n    name: a\n    kind: scan\n  - id: 0\n    name: b\n    kind: scan\n  - id: 4294967296\n    name: c\n    kind: scan\n"},
			nil, []string{
				`r.yaml:2:9: rule #1: id: want an integer, got string "x"`,
				`r.yaml:5:9: rule #2: id: 0 is not a valid id (want 1..4294967295)`,
				`r.yaml:8:9: rule #3: id: 4294967296 is too large (at most 4294967295)`,
			}},
		{"negative and huge integers", map[string]string{"r.yaml": okRule + "    rev: -1\n    severity: 99999999999999999999999\n"},
			nil, []string{
				`r.yaml:5:10: rule 1: rev: -1 is negative`,
				`r.yaml:6:15: rule 1: severity: 99999999999999999999999 is too large (at most 4294967295)`,
			}},
		{"wrong types", map[string]string{"r.yaml": "rules:\n  - id: 7\n    name: [a]\n    kind: scan\n    enabled: yes\n    suppress: 60\n    severity: high\n    from: {a: b}\n"},
			nil, []string{
				`r.yaml:3:11: rule 7: name: want a string, got a list`,
				`r.yaml:5:14: rule 7: enabled: want true or false, got string "yes"`,
				`r.yaml:6:15: rule 7: suppress: want a duration such as "5m", got integer 60`,
				`r.yaml:7:15: rule 7: severity: want an integer, got string "high"`,
				`r.yaml:8:12: rule 7: from: want a string, got a mapping`,
			}},
		{"bad enums with suggestions", map[string]string{"r.yaml": "rules:\n  - id: 7\n    name: x\n    kind: sacn\n    direction: [inbund, sideways]\n    protocol: [tpc]\n    geo_basis: registred\n    action: block\n"},
			nil, []string{
				`r.yaml:4:11: rule 7: kind: unknown kind "sacn" (did you mean "scan"?)`,
				`r.yaml:5:17: rule 7: direction: unknown direction "inbund" (did you mean "inbound"?)`,
				`r.yaml:5:25: rule 7: direction: unknown direction "sideways" (want inbound, outbound, internal or transit)`,
				`r.yaml:6:16: rule 7: protocol: unknown protocol "tpc" (did you mean "tcp"?)`,
				`r.yaml:7:16: rule 7: geo_basis: unknown basis "registred" (did you mean "registered"?)`,
				`r.yaml:8:13: rule 7: action: unknown action "block" (want alert or drop)`,
			}},
		{"severity and category", map[string]string{"r.yaml": okRule + "    severity: 5\n    category: Policy Violation\n  - id: 2\n    name: y\n    kind: scan\n    category: Attempted Informaton Leak\n  - id: 3\n    name: z\n    kind: scan\n    category: Nothing Like It\n"},
			nil, []string{
				`r.yaml:5:15: rule 1: severity: want 1 (high) to 4 (low), got 5`,
				`r.yaml:6:15: rule 1: category: unknown Suricata classification "Policy Violation" (did you mean "Potential Corporate Privacy Violation"?)`,
				`r.yaml:10:15: rule 2: category: unknown Suricata classification "Attempted Informaton Leak" (did you mean "Attempted Information Leak"?)`,
				`r.yaml:14:15: rule 3: category: unknown Suricata classification "Nothing Like It" (see classification.config: e.g. "Attempted Information Leak", "Misc Attack")`,
			}},
		{"mitre", map[string]string{"r.yaml": okRule + "    mitre: [t1046, T12, T1046.1, T1595, T1595]\n"},
			nil, []string{
				`r.yaml:5:13: rule 1: mitre: bad technique id "t1046": want T1234 or T1234.001 (did you mean "T1046"?)`,
				`r.yaml:5:20: rule 1: mitre: bad technique id "T12": want T1234 or T1234.001`,
				`r.yaml:5:25: rule 1: mitre: bad technique id "T1046.1": want T1234 or T1234.001`,
				`r.yaml:5:41: rule 1: mitre: T1595 listed twice`,
			}},
		{"burst", map[string]string{"r.yaml": "rules:\n" +
			"  - {id: 1, name: a, kind: scan, threshold: {burst: 5}}\n" +
			"  - {id: 2, name: b, kind: flood, threshold: {burst_window: 1s}}\n" +
			"  - {id: 3, name: c, kind: flood, threshold: {window: 1s, burst: 5}}\n" +
			"  - {id: 4, name: d, kind: flood, threshold: {burst: 0, burst_window: 10s}}\n"},
			nil, []string{
				`r.yaml:2:53: rule 1: threshold.burst: only for flood, bruteforce and amplification`,
				`r.yaml:3:61: rule 2: threshold.burst_window: needs threshold.burst (packets within it)`,
				`r.yaml:4:66: rule 3: threshold.burst_window: 1s is not shorter than the window 1s`,
				`r.yaml:5:54: rule 4: threshold.burst: want 1 or more, got 0`,
				`r.yaml:5:71: rule 4: threshold.burst_window: 10s is not shorter than the window 10s`,
			}},
		{"unsolicited only on scans, sweeps and floods", map[string]string{"r.yaml": "rules:\n  - id: 1\n    name: x\n    kind: amplification\n    src_ports: [53]\n    unsolicited: true\n  - id: 2\n    name: y\n    kind: flood\n    unsolicited: maybe\n"},
			nil, []string{
				`r.yaml:6:18: rule 1: unsolicited: only scan, sweep and flood rules take it (amplification counts only unsolicited replies already)`,
				`r.yaml:10:18: rule 2: unsolicited: want true or false, got string "maybe"`,
			}},
		{"ports and flags", map[string]string{"r.yaml": okRule + "    tcp_flags: [SA/S, s, X, S/]\n    dst_ports: [22, \"30-20\", 70000, ssh]\n"},
			nil, []string{
				`r.yaml:5:17: rule 1: tcp_flags: "SA/S": the flags must be within the mask`,
				`r.yaml:5:23: rule 1: tcp_flags: bad flags "s": flags are upper-case letters (S)`,
				`r.yaml:5:26: rule 1: tcp_flags: bad flags "X": unknown flag "X" (want F S R P A U E C)`,
				`r.yaml:5:29: rule 1: tcp_flags: bad mask in "S/": empty (write 0 for no flags)`,
				`r.yaml:6:21: rule 1: dst_ports: bad range "30-20": 30 is above 20`,
				`r.yaml:6:30: rule 1: dst_ports: bad port "70000": want 0..65535 or a range such as 8000-8100`,
				`r.yaml:6:37: rule 1: dst_ports: bad port "ssh": want 0..65535 or a range such as 8000-8100`,
			}},
		{"matchers need their protocol", map[string]string{"r.yaml": okRule + "    protocol: udp\n    tcp_flags: S\n    icmp_types: [8, 300]\n  - id: 2\n    name: y\n    kind: flood\n    protocol: icmp\n    dst_ports: 80\n"},
			nil, []string{
				`r.yaml:6:16: rule 1: tcp_flags: needs protocol tcp`,
				`r.yaml:7:17: rule 1: icmp_types: needs protocol icmp or icmpv6`,
				`r.yaml:7:21: rule 1: icmp_types: want a type 0..255, got "300"`,
				`r.yaml:12:16: rule 2: dst_ports: needs protocol tcp or udp`,
			}},
		{"unquoted bang is a YAML tag", map[string]string{"r.yaml": okRule + "    from: !home\n    to: [DE, !EU]\n"},
			nil, []string{
				`r.yaml:5:11: rule 1: from: unquoted !home is read as a YAML tag: write it in quotes, "!home"`,
				`r.yaml:6:14: rule 1: to: unquoted !EU is read as a YAML tag: write it in quotes, "!EU"`,
			}},
		{"unknown zone and country", map[string]string{"r.yaml": "zones:\n  europe: [EU]\n" + okRule + "    from: [eurpoe, DE, XX]\n"},
			nil, []string{
				`r.yaml:7:12: rule 1: from: unknown zone "eurpoe" (did you mean "europe"?)`,
				`r.yaml:7:24: rule 1: from: unknown country code "XX"`,
			}},
		{"bad zone definitions", map[string]string{"r.yaml": "zones:\n  ok: [DE]\n  europe: [EU, XX]\n  loop1: [loop2]\n  loop2: [loop1]\n" + okRule + "    to: europe\n"},
			nil, []string{
				`r.yaml:2:3: zone "ok": two-letter names are country codes`,
				`r.yaml:3:16: zone "europe": unknown country code "XX"`,
				`r.yaml:4:3: zone "loop1": cycle loop1 → loop2 → loop1`,
			}},
		{"zone defined in two files", map[string]string{"a.yaml": "zones:\n  near: [AT]\n", "b.yaml": "zones:\n  near: [CH]\n"},
			[]string{"a.yaml", "b.yaml"}, []string{`b.yaml:2:3: zone "near": defined twice: first at a.yaml:2:3`}},
		{"kind needs", map[string]string{"r.yaml": `rules:
  - {id: 1, name: a, kind: bruteforce}
  - {id: 2, name: b, kind: amplification}
  - {id: 3, name: c, kind: volume}
  - {id: 4, name: d, kind: reputation}
  - {id: 5, name: e, kind: policy, from: any}
`}, nil, []string{
			`r.yaml:2:6: rule 1: bruteforce needs dst_ports (the service attacked, e.g. dst_ports: [22])`,
			`r.yaml:3:6: rule 2: amplification needs src_ports (the reflected service, e.g. src_ports: [53, 123])`,
			`r.yaml:4:6: rule 3: volume needs threshold.bytes (bytes in the window, e.g. bytes: 1GB)`,
			`r.yaml:5:6: rule 4: reputation needs list (the name of an address list)`,
			`r.yaml:6:6: rule 5: policy needs a zone in from or to (the forbidden jurisdiction), not any`,
		}},
		{"kind threshold rules", map[string]string{"r.yaml": `rules:
  - {id: 1, name: a, kind: scan, threshold: {distinct: dst_ip, track: dst, bytes: 5}}
  - {id: 2, name: b, kind: sweep, threshold: {distinct: dst_port, count: 0}}
  - {id: 3, name: c, kind: flood, threshold: {track: src, distinct: src_ip, window: 48h}}
  - {id: 4, name: d, kind: volume, threshold: {count: 5, bytes: 1GB, window: 100ms}}
  - {id: 5, name: e, kind: scan, threshold: {min_sources: 3, count: 70000}, list: x, side: src}
  - {id: 6, name: f, kind: flood, threshold: {min_sources: 0, track: flw}}
`}, nil, []string{
			`r.yaml:2:56: rule 1: threshold.distinct: scan needs distinct dst_port or ip_proto, got dst_ip`,
			`r.yaml:2:71: rule 1: threshold.track: scan tracks by pair or src, not dst`,
			`r.yaml:2:83: rule 1: threshold.bytes: not used by scan (it counts distinct destination ports)`,
			`r.yaml:3:57: rule 2: threshold.distinct: sweep needs distinct dst_ip, got dst_port`,
			`r.yaml:3:74: rule 2: threshold.count: want 1 or more, got 0`,
			`r.yaml:4:54: rule 3: threshold.track: flood tracks by dst, not src`,
			`r.yaml:4:69: rule 3: threshold.distinct: flood counts packets, not distinct values`,
			`r.yaml:4:85: rule 3: threshold.window: 2d is longer than the maximum 1d`,
			`r.yaml:5:55: rule 4: threshold.count: volume counts bytes: use threshold.bytes`,
			`r.yaml:5:78: rule 4: threshold.window: 100ms is shorter than the minimum 1s`,
			`r.yaml:6:59: rule 5: threshold.min_sources: only for flood and amplification`,
			`r.yaml:6:69: rule 5: threshold.count: 70000 is more than scan can count (at most 65536)`,
			`r.yaml:6:83: rule 5: list: only for kind reputation`,
			`r.yaml:6:92: rule 5: side: only for kind reputation`,
			`r.yaml:7:60: rule 6: threshold.min_sources: want 1 or more, got 0`,
			`r.yaml:7:70: rule 6: threshold.track: unknown track "flw" (did you mean "flow"?)`,
		}},
		{"durations and sizes", map[string]string{"r.yaml": okRule + "    suppress: 5 minutes\n  - {id: 2, name: b, kind: volume, suppress: 30d, threshold: {bytes: 10 parsecs}}\n"},
			nil, []string{
				`r.yaml:5:15: rule 1: suppress: bad duration "5 minutes": want a number and a unit such as "90s", "5m", "1h" or "7d"`,
				`r.yaml:6:46: rule 2: suppress: 30d is longer than the maximum 7d`,
				`r.yaml:6:70: rule 2: threshold.bytes: bad size "10 parsecs": want bytes as an integer or with a unit such as "500MB" or "2GiB"`,
			}},
		{"duplicate ids across files", map[string]string{"a.yaml": okRule, "b.yaml": "rules:\n  - {id: 1, name: again, kind: sweep}\n"},
			[]string{"a.yaml", "b.yaml"}, []string{`b.yaml:2:10: rule 1: duplicate id: also defined at a.yaml:2:9`}},
		{"duplicate key", map[string]string{"r.yaml": okRule + "    name: twice\n"},
			nil, []string{`r.yaml:5:5: mapping key "name" already defined at [3:5]`}},
		{"reputation list errors", map[string]string{"r.yaml": `lists:
  - {name: drop, file: missing.txt}
  - {name: both, file: x.txt, addresses: [192.0.2.1]}
  - {name: inline, addresses: [192.0.2.1, 300.1.1.1, "fe80::1%eth0"]}
  - {name: fmt, file: l.txt, format: csv}
  - {file: l.txt}
  - {name: bad, file: bad.txt}
rules:
  - {id: 1, name: a, kind: reputation, list: dorp, side: out}
`, "l.txt": "192.0.2.1\n", "bad.txt": "# list\n192.0.2.1\n192.0.2.300\n1.2.3.4 5.6.7.8\n"}, nil, []string{
			`r.yaml:2:24: list "drop": file: open missing.txt: no such file or directory`,
			`r.yaml:3:42: list "both": give file or addresses, not both`,
			`r.yaml:4:43: list "inline": addresses: bad address "300.1.1.1": want an IP address or a CIDR`,
			`r.yaml:4:54: list "inline": addresses: bad address "fe80::1%eth0": want an IP address or a CIDR`,
			`r.yaml:5:38: list "fmt": format: unknown format "csv" (want auto, plain, netset, ipset, spamhaus-drop, spamhaus-drop-json or iprep)`,
			`r.yaml:6:6: list #5: missing required key "name"`,
			`r.yaml:9:46: rule 1: list: unknown list "dorp" (did you mean "drop"?)`,
			`r.yaml:9:58: rule 1: side: unknown side "out" (want src, dst or either)`,
			`bad.txt:3: list "bad": bad address "192.0.2.300": want an IP address or a CIDR`,
			`bad.txt:4: list "bad": want one address or CIDR, got "1.2.3.4 5.6.7.8"`,
		}},
		{"list defined twice", map[string]string{"r.yaml": "lists:\n  - {name: x, addresses: [192.0.2.1]}\n  - {name: x, addresses: [192.0.2.2]}\n"},
			nil, []string{`r.yaml:3:12: list "x": defined twice: first at r.yaml:2:12`}},
		{"merge keys", map[string]string{"r.yaml": "base: &b {kind: scan}\nrules:\n  - <<: *b\n    id: 1\n    name: x\n"},
			nil, []string{
				`r.yaml:1:1: unknown key "base"`,
				`r.yaml:3:5: rule 1: merge keys (<<) are not supported`,
				`r.yaml:3:5: rule 1: missing required key "kind"`,
			}},
		{"missing path", nil, []string{"nothere.yaml"}, []string{`nothere.yaml: stat: no such file or directory`}},
		{"empty folder", map[string]string{"d/readme.txt": "x"}, []string{"d"}, []string{`d: no rule files (*.yaml, *.yml) in the folder`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writeFiles(t, tc.files)
			paths := tc.paths
			if paths == nil {
				paths = []string{"r.yaml"}
			}
			set, err := Load(Options{NoDefaults: true, Paths: paths})
			if set != nil {
				t.Errorf("got a set with errors")
			}
			checkLines(t, err, tc.want)
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("no *Error in %v", err)
			}
		})
	}
}

// TestUnknownListSuggestionStable: when several lists are equally close to a
// misspelt name, the suggestion is the first in name order, not whichever the
// map of lists yields first.
func TestUnknownListSuggestionStable(t *testing.T) {
	var y strings.Builder
	y.WriteString("lists:\n")
	for _, n := range []string{"block8", "block3", "block1", "block5", "block2", "block7", "block4", "block6"} {
		fmt.Fprintf(&y, "  - {name: %s, addresses: [192.0.2.1]}\n", n)
	}
	y.WriteString("rules:\n  - {id: 1, name: a, kind: reputation, list: blockx}\n")
	writeFiles(t, map[string]string{"r.yaml": y.String()})
	for range 20 {
		_, err := Load(Options{NoDefaults: true, Paths: []string{"r.yaml"}})
		checkLines(t, err, []string{`r.yaml:11:46: rule 1: list: unknown list "blockx" (did you mean "block1"?)`})
	}
}

func TestLoadExamples(t *testing.T) {
	set, err := Load(Options{NoDefaults: true, Paths: []string{"testdata/examples.yaml"}, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) != 8 || len(set.Disabled) != 1 || set.Disabled[0].ID != 1000007 {
		t.Fatalf("got %d rules, %d disabled", len(set.Rules), len(set.Disabled))
	}
	byID := map[uint32]*Rule{}
	for _, r := range set.Rules {
		byID[r.ID] = r
	}
	scan := byID[1000001]
	if scan.Kind != KindScan || scan.Protos != ProtoTCP || len(scan.TCPFlags) != 1 || scan.TCPFlags[0] != (FlagMatch{Mask: 0x12, Value: 0x02}) {
		t.Errorf("scan: %+v", scan)
	}
	if want := (Threshold{Count: 10, Window: 2 * time.Minute, Track: TrackPair, Distinct: DistinctDstPort}); scan.Threshold != want {
		t.Errorf("scan threshold %+v, want %+v", scan.Threshold, want)
	}
	if scan.Severity != 2 || scan.Category != "Attempted Information Leak" || scan.Suppress != time.Hour || scan.Rev != 1 || scan.Action != ActionAlert {
		t.Errorf("scan alert fields: %+v", scan)
	}
	if scan.From == nil || scan.To == nil || strings.Join(scan.FromTerms, ",") != "!home,!neighbours" {
		t.Errorf("scan endpoints: %v %v %v", scan.From, scan.To, scan.FromTerms)
	}
	if scan.Pos != (Pos{File: "testdata/examples.yaml", Line: 15, Column: 5}) {
		t.Errorf("scan pos %v", scan.Pos)
	}
	sweep := byID[1000002]
	if sweep.Directions != 1<<geo.DirInbound || sweep.Protos != ProtoTCP || !sweep.DstPorts.Has(22) || sweep.DstPorts.Has(23) || sweep.From != nil {
		t.Errorf("sweep: %+v", sweep)
	}
	if want := (Threshold{Count: 50, Window: 10 * time.Minute, Track: TrackSrc, Distinct: DistinctDstIP}); sweep.Threshold != want {
		t.Errorf("sweep threshold %+v", sweep.Threshold)
	}
	flood := byID[1000003]
	if want := (Threshold{Count: 100000, Bytes: 500e6, Window: 10 * time.Second, Track: TrackDst, MinSources: 20}); flood.Threshold != want {
		t.Errorf("flood threshold %+v", flood.Threshold)
	}
	if flood.Action != ActionDrop || flood.Suppress != 5*time.Minute || flood.Protos != ProtoUDP || flood.Category != "Attempted Denial of Service" || flood.Severity != 2 {
		t.Errorf("flood: %+v", flood)
	}
	bf := byID[1000004]
	if bf.Protos != ProtoTCP || !bf.DstPorts.Has(994) || bf.DstPorts.Has(996) || bf.Threshold.Track != TrackPair || bf.Threshold.Count != 30 || bf.Severity != 1 || strings.Join(bf.Mitre, ",") != "T1110.001" {
		t.Errorf("bruteforce: %+v", bf)
	}
	amp := byID[1000005]
	if want := (Threshold{Bytes: 50e6, Window: 10 * time.Second, Track: TrackDst, MinSources: 20}); amp.Threshold != want || amp.Protos != ProtoUDP || !amp.SrcPorts.Has(123) || amp.DstPorts != nil {
		t.Errorf("amplification: %+v %+v", amp, amp.Threshold)
	}
	rep := byID[1000006]
	if rep.List != set.Lists["drop"] || rep.ListSide != SideSrc || rep.Category != "Misc Attack" || rep.Directions != 1<<geo.DirInbound|1<<geo.DirTransit {
		t.Errorf("reputation: %+v", rep)
	}
	if want := (Threshold{Count: 1, Window: time.Minute, Track: TrackPair}); rep.Threshold != want {
		t.Errorf("reputation threshold %+v", rep.Threshold)
	}
	pol := byID[1000008]
	if pol.Basis != geo.BasisEither || pol.Threshold != (Threshold{Count: 5, Window: time.Hour, Track: TrackSrc, Distinct: DistinctDstIP}) || pol.Severity != 1 {
		t.Errorf("policy: %+v", pol)
	}
	vol := byID[1000009]
	if vol.Threshold != (Threshold{Bytes: 500e6, Window: 6 * time.Hour, Track: TrackPair}) || vol.Rev != 3 || vol.Description != "Large transfers leaving the EU, per host and destination." || vol.Severity != 2 {
		t.Errorf("volume: %+v", vol)
	}
	drop := set.Lists["drop"]
	if drop.Len() != 2 || drop.Format() != FormatSpamhausDrop || drop.Source() != "testdata/lists/drop.txt" {
		t.Errorf("drop list: %d %s %s", drop.Len(), drop.Format(), drop.Source())
	}
	if id, ok := set.Zones.ID("partners"); !ok || id == 0 {
		t.Errorf("zone partners not merged")
	}
}

func TestDefaultPack(t *testing.T) {
	for _, home := range [][]string{nil, {"DE"}} {
		set, err := Load(Options{Geo: geo.Config{Home: home}})
		if err != nil {
			t.Fatalf("home %v: %v", home, err)
		}
		counts := map[Kind]int{}
		inbound, outbound := map[Kind]bool{}, map[Kind]bool{}
		for _, r := range set.Rules {
			counts[r.Kind]++
			if strings.Join(r.ToTerms, ",") == "home" {
				inbound[r.Kind] = true
			}
			if strings.Join(r.FromTerms, ",") == "home" {
				outbound[r.Kind] = true
			}
			if r.Description == "" || r.Category == "" || r.Pos.Line == 0 || !strings.HasPrefix(r.Pos.File, DefaultPrefix) {
				t.Errorf("rule %d: incomplete: %+v", r.ID, r)
			}
		}
		want := map[Kind]int{KindScan: 8, KindSweep: 8, KindFlood: 5, KindBruteforce: 5, KindAmplification: 3, KindReputation: 2, KindPolicy: 2, KindVolume: 2}
		for _, k := range Kinds {
			if counts[k] != want[k] {
				t.Errorf("%s: %d rules, want %d", k, counts[k], want[k])
			}
			if !outbound[k] {
				t.Errorf("%s: no outbound rule", k)
			}
			if !inbound[k] && k != KindVolume {
				t.Errorf("%s: no inbound rule", k)
			}
		}
		if l := set.Lists["blocklist"]; l == nil || l.Len() != 0 || l.Source() != "inline" {
			t.Errorf("blocklist: %+v", l)
		}
		if _, ok := set.Zones.ID("forbidden"); !ok {
			t.Errorf("no forbidden zone")
		}
		if len(set.Files) != 8 || set.Files[0] != "<default>/amplification.yaml" {
			t.Errorf("files %v", set.Files)
		}
	}
}

func TestDefaultPackThresholds(t *testing.T) {
	set, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]string{
		8100101: "15 distinct dst_port in 5m per pair",
		8100201: "25 distinct dst_ip in 5m per src",
		8100301: "200000 or 1.25GB in 10s per dst",
		8100401: "20 in 15m per src",
		8100404: "20 distinct dst_ip in 15m per src",
		8100405: "40 in 1m or 14 in 1s per pair",
		8100302: "10000 in 10s or 5000 in 1s per dst, >=100 sources",
		8100305: "2000 in 10s per dst, >=100 sources",
		8100501: "1000 or 1MB in 1m per dst, >=3 sources",
		8100601: "1 in 1m per src",
		8100702: "1 in 1m per pair",
		8100801: "1GB in 1h per src",
	}
	got := map[uint32]string{}
	for _, r := range set.Rules {
		got[r.ID] = r.Threshold.String()
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("rule %d: threshold %q, want %q", id, got[id], w)
		}
	}
}

// The pack's forbidden zone and blocklist are placeholders a user file
// redefines; two user files defining the same name is an error.
func TestRedefinePackZoneAndList(t *testing.T) {
	writeFiles(t, map[string]string{
		"site.yaml": "zones:\n  forbidden: [KP, IR]\nlists:\n  - name: blocklist\n    addresses: [203.0.113.0/24]\n",
	})
	set, err := Load(Options{Paths: []string{"site.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	if l := set.Lists["blocklist"]; l.Len() != 1 || l.Source() != "inline" {
		t.Errorf("blocklist not redefined: %d", l.Len())
	}
	var rep *Rule
	for _, r := range set.Rules {
		if r.ID == 8100601 {
			rep = r
		}
	}
	if rep == nil || rep.List != set.Lists["blocklist"] {
		t.Errorf("rule 8100601 does not use the redefined list")
	}
	// The configuration may also define the pack's zone.
	if _, err := Load(Options{Geo: geo.Config{Zones: []geo.ZoneSpec{{Name: "forbidden", Terms: []string{"KP"}}}}}); err != nil {
		t.Errorf("configuration zone: %v", err)
	}
	_, err = Load(Options{NoDefaults: true, Paths: []string{"site.yaml"}, Geo: geo.Config{Zones: []geo.ZoneSpec{{Name: "forbidden", Terms: []string{"KP"}}}}})
	checkLines(t, err, []string{`site.yaml:2:3: zone "forbidden": already defined in the configuration`})
}

// A list loaded elsewhere (a list source of the configuration) replaces
// the pack's placeholder of the same name and is named by rules like a
// file's list; a user file defining the same name is an error.
func TestExternalLists(t *testing.T) {
	feed := NewList("blocklist", "https://lists.example/drop.json", FormatSpamhausDropJSON,
		[]netip.Prefix{netip.MustParsePrefix("203.0.113.66/32"), netip.MustParsePrefix("::ffff:198.51.100.0/120"), netip.MustParsePrefix("192.0.2.7/24")})
	c2 := NewList("c2", "https://taxii.example/api1/collections/c1/", "taxii", []netip.Prefix{netip.MustParsePrefix("2001:db8:2::66/128")})
	writeFiles(t, map[string]string{
		"site.yaml": "rules:\n  - {id: 9000001, name: c2, kind: reputation, list: c2, side: dst}\n",
		"dup.yaml":  "lists:\n  - name: c2\n    addresses: [192.0.2.1]\n",
	})
	set, err := Load(Options{Paths: []string{"site.yaml"}, Lists: map[string]*List{"blocklist": feed, "c2": c2}})
	if err != nil {
		t.Fatal(err)
	}
	if set.Lists["blocklist"] != feed || set.Lists["c2"] != c2 {
		t.Fatalf("lists %v", set.Lists)
	}
	if feed.Len() != 3 || feed.Masked() != 1 || !feed.Contains(netip.MustParseAddr("198.51.100.9")) || !feed.Contains(netip.MustParseAddr("192.0.2.200")) {
		t.Errorf("NewList: %d entries, %d masked", feed.Len(), feed.Masked())
	}
	uses := map[uint32]*List{}
	for _, r := range set.Rules {
		if r.List != nil {
			uses[r.ID] = r.List
		}
	}
	if uses[8100601] != feed || uses[8100602] != feed || uses[9000001] != c2 {
		t.Errorf("rules use %v", uses)
	}
	_, err = Load(Options{Paths: []string{"site.yaml", "dup.yaml"}, Lists: map[string]*List{"c2": c2}})
	checkLines(t, err, []string{`dup.yaml:2:11: list "c2": defined twice: also a list source of the configuration (lists.sources)`})
}

func TestLoadFolder(t *testing.T) {
	writeFiles(t, map[string]string{
		"d/b.yml":      "rules:\n  - {id: 2, name: b, kind: sweep}\n",
		"d/a.yaml":     "rules:\n  - {id: 1, name: a, kind: scan}\n",
		"d/notes.txt":  "not rules",
		"d/sub/c.yaml": "rules: [",
	})
	set, err := Load(Options{NoDefaults: true, Paths: []string{"d"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(set.Files, " ") != "d/a.yaml d/b.yml" || set.Rules[0].ID != 1 || set.Rules[1].ID != 2 {
		t.Errorf("files %v", set.Files)
	}
}

func TestParseFileAliasesAndDocuments(t *testing.T) {
	fs, err := ParseFile("x.yaml", []byte("rules:\n  - id: 1\n    name: a\n    kind: bruteforce\n    dst_ports: &p [22, 2222]\n  - id: 2\n    name: b\n    kind: bruteforce\n    dst_ports: *p\n---\nrules:\n  - {id: 3, name: c, kind: scan}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs.Rules) != 3 || fs.Rules[2].Index != 3 {
		t.Fatalf("rules %d", len(fs.Rules))
	}
	got := fs.Rules[1].DstPorts.Strings()
	if strings.Join(got, ",") != "22,2222" || fs.Rules[1].DstPorts.Items[0].Pos.Line != 5 {
		t.Errorf("alias ports %v %v", got, fs.Rules[1].DstPorts.Items)
	}
}

func TestDefaultPackBackscatterRule(t *testing.T) {
	set, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range set.Rules {
		if r.ID == 8100305 {
			want := []FlagMatch{{Mask: 0x12, Value: 0x12}, {Mask: 0x04, Value: 0x04}}
			if !r.Unsolicited || r.Kind != KindFlood || !slices.Equal(r.TCPFlags, want) || r.Protos != ProtoTCP {
				t.Errorf("8100305: unsolicited %v kind %v flags %v protos %v", r.Unsolicited, r.Kind, r.TCPFlags, r.Protos)
			}
			return
		}
	}
	t.Fatal("8100305 not in the default pack")
}

// TestWriteErrorsAndOK: `rules check` prints each error of Load on its own
// line and counts them, and ends a good set with its OK line.
func TestWriteErrorsAndOK(t *testing.T) {
	var b strings.Builder
	n := WriteErrors(&b, errors.Join(errors.New("a.yaml:1:1: one"), errors.New("a.yaml:2:1: two")))
	if n != 2 || b.String() != "a.yaml:1:1: one\na.yaml:2:1: two\n" || ErrorCount(n) != "2 errors" || ErrorCount(1) != "1 error" {
		t.Errorf("%d %q %q", n, b.String(), ErrorCount(n))
	}
	b.Reset()
	if n := WriteErrors(&b, errors.New("x")); n != 1 || b.String() != "x\n" {
		t.Errorf("one error: %d %q", n, b.String())
	}
	b.Reset()
	set := &Set{Rules: []*Rule{{ID: 1}}, Files: []string{"a.yaml", "b.yaml"}}
	if err := WriteOK(&b, set); err != nil || b.String() != "1 rule enabled, 0 disabled, from 2 files: OK\n" {
		t.Errorf("%q %v", b.String(), err)
	}
}
