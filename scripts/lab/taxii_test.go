//go:build linux

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/share/schematest"
)

// taxiiScenarios are the lab attacks whose alerts TestE2ETAXII pushes:
// an IPv4 scan, an IPv6 scan and a listed C2 server a home host calls
// (shared as the destination).
var taxiiScenarios = []string{"nmap-syn-scan-cn", "nmap-null-scan-ru-ipv6", "listed-c2-beacon"}

// Home prefixes of the lab (lab.sh): nothing in them may leave.
var labHome = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/25"), netip.MustParsePrefix("2001:db8:de::/64")}

var reAddr = regexp.MustCompile(`[0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}`)

// TestE2ETAXII runs the lab with the sensor's taxii output pushing to the
// TAXII 2.1 test server on the gateway (lab.sh BWL_TAXII=1), runs a few
// attacks, reads the collection back as a consumer does and checks it:
// exactly the foreign addresses of the alerts, one indicator and sighting
// each with the alerts counted, nothing of the home network, and every
// object valid STIX 2.1.
func TestE2ETAXII(t *testing.T) {
	requireE2E(t)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	lockLab(t)
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	taxii := filepath.Join(stateDir, "bw-taxii")
	build := exec.Command("go", "build", "-o", taxii, "./internal/devtools/bw-taxii")
	build.Dir = filepath.Join(dir, "..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building bw-taxii: %v\n%s", err, out)
	}

	start := time.Now()
	l := &lab{t: t, dir: dir, env: []string{"BWL_TAXII=1", "BWL_TAXII_BIN=" + taxii}}
	l.up()
	t.Logf("lab up in %s, sensor capture mode: %s", time.Since(start).Round(time.Millisecond), l.mode)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go l.tail(ctx)

	launch := time.Now()
	for _, sc := range scenarios(stateDir) {
		if !slices.Contains(taxiiScenarios, sc.name) {
			continue
		}
		t.Run(sc.name, func(t *testing.T) { l.run(t, sc, l.mode == "xdp") })
	}
	alerts := l.since(launch)

	// What should be shared: the foreign end of each alert, and how many
	// alerts name it.
	want := map[string]int{}
	for _, a := range alerts {
		switch a.Direction {
		case "inbound":
			want[a.SrcIP]++
		case "outbound":
			want[a.DestIP]++
		}
	}
	if len(want) == 0 {
		t.Fatalf("the scenarios gave no inbound or outbound alerts (%d alerts)", len(alerts))
	}

	// Read the collection back until every address is there (the output
	// batches for 500 ms).
	bundle := filepath.Join(stateDir, "taxii-bundle.json")
	var objs []map[string]any
	var summary string
	deadline := time.Now().Add(15 * time.Second)
	for {
		read := exec.Command("ip", "netns", "exec", "bwl-gw", taxii, "read", "-collection",
			"http://127.0.0.1:9099/api1/collections/365fed99-08fa-fdcd-a1b3-fb247eb41d01/",
			"-user", "bwlab", "-password-file", filepath.Join(stateDir, "taxii.pw"), "-limit", "20", "-out", bundle)
		out, err := read.CombinedOutput()
		if err != nil {
			t.Fatalf("bw-taxii read: %v\n%s", err, out)
		}
		summary = strings.TrimSpace(string(out))
		b, err := os.ReadFile(bundle)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		objs = doc.Objects
		if got := sharedCounts(objs); len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("collection read back: %s; shared addresses (alerts): %v", summary, sharedCounts(objs))

	if got := sharedCounts(objs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the collection shares %v (address: alerts counted by its sighting), want %v", got, want)
	}
	b, _ := os.ReadFile(bundle)
	for _, m := range reAddr.FindAllString(string(b), -1) {
		if ip, err := netip.ParseAddr(m); err == nil && slices.ContainsFunc(labHome, func(p netip.Prefix) bool { return p.Contains(ip) }) {
			t.Errorf("the collection holds the home address %s", ip)
		}
	}
	if h, _ := os.Hostname(); len(h) > 3 && strings.Contains(string(b), `"`+h) {
		t.Errorf("the collection names the sensor's host %q", h)
	}
	counts := map[string]int{}
	for _, o := range objs {
		counts[o["type"].(string)]++
	}
	for _, typ := range []string{"indicator", "sighting"} {
		if counts[typ] != len(want) {
			t.Errorf("%d %s objects, want one per shared address (%d)", counts[typ], typ, len(want))
		}
	}
	var types []string
	for typ, n := range counts {
		types = append(types, fmt.Sprintf("%s %d", typ, n))
	}
	sort.Strings(types)
	t.Logf("bundle of this lab run (%s): %d objects: %s", bundle, len(objs), strings.Join(types, ", "))
	n := schematest.ValidateSTIX(t, objs)
	t.Logf("validate.py stix: %d objects, %d problems (one per location: the pinned bundle.json defect)", len(objs), n)
}

// sharedCounts maps each address object of a collection to the alert
// count of the sighting of its indicator.
func sharedCounts(objs []map[string]any) map[string]int {
	byID := map[string]map[string]any{}
	for _, o := range objs {
		byID[o["id"].(string)] = o
	}
	out := map[string]int{}
	for _, o := range objs {
		if o["type"] != "sighting" {
			continue
		}
		ind := byID[fmt.Sprint(o["sighting_of_ref"])]
		if ind == nil {
			continue
		}
		pat, _ := ind["pattern"].(string) // [ipv4-addr:value = 'A']
		_, v, _ := strings.Cut(pat, "'")
		v, _, _ = strings.Cut(v, "'")
		c, _ := o["count"].(float64)
		out[v] += int(c)
	}
	return out
}
