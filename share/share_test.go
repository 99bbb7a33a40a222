package share

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/share/schematest"
)

const (
	sample = "../testdata/sample/scan-inbound.alerts.json"
	mixed  = "testdata/mixed.eve.json"
)

// goldens are the alert records sensor/alert's encoder tests commit.
var goldens = []string{
	"../sensor/alert/testdata/tcp_portscan_full.eve.golden.json",
	"../sensor/alert/testdata/tcp_portscan_full.ecs.golden.json",
	"../sensor/alert/testdata/udp_flood_blocked.eve.golden.json",
	"../sensor/alert/testdata/udp_flood_blocked.ecs.golden.json",
	"../sensor/alert/testdata/gre_no_ports.eve.golden.json",
	"../sensor/alert/testdata/icmpv6_minimal.eve.golden.json",
}

func mustRead(t *testing.T, opt Options, paths ...string) *Result {
	t.Helper()
	res, err := Read(opt, nil, paths...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func bundleJSON(t *testing.T, res *Result, opt STIXOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSTIX(&b, res, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func parseBundle(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var bundle struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.Type != "bundle" || !strings.HasPrefix(bundle.ID, "bundle--") {
		t.Fatalf("not a bundle: type %q id %q", bundle.Type, bundle.ID)
	}
	return bundle.Objects
}

func countTypes(objs []map[string]any) map[string]int {
	n := map[string]int{}
	for _, o := range objs {
		n[o["type"].(string)]++
	}
	return n
}

func byType(objs []map[string]any, typ string) []map[string]any {
	var r []map[string]any
	for _, o := range objs {
		if o["type"] == typ {
			r = append(r, o)
		}
	}
	return r
}

func TestUUIDv5(t *testing.T) {
	// RFC 9562's namespace for DNS names; uuid5(DNS, "python.org") is the
	// value Python's uuid module documents.
	dns := mustUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if got := uuidV5(dns, "python.org").String(); got != "886313e1-3b8a-5372-9b90-0c9aee199e5d" {
		t.Errorf("uuid5(DNS, python.org) = %s", got)
	}
}

// TestSampleBundle shares the README's sample alert: exact objects.
func TestSampleBundle(t *testing.T) {
	res := mustRead(t, Options{}, sample)
	objs := parseBundle(t, bundleJSON(t, res, STIXOptions{}))
	want := map[string]int{
		"marking-definition": 1, "identity": 1, "ipv4-addr": 1, "indicator": 1, "sighting": 1,
		"attack-pattern": 1, "location": 1, "autonomous-system": 1, "relationship": 4,
	}
	if got := countTypes(objs); !mapsEqual(got, want) {
		t.Errorf("object counts %v, want %v", got, want)
	}
	ind := byType(objs, "indicator")[0]
	if ind["pattern"] != "[ipv4-addr:value = '36.110.0.1']" || ind["valid_from"] != "2026-11-25T22:21:27.000Z" ||
		ind["valid_until"] != "2026-12-25T22:21:27.014Z" || ind["pattern_type"] != "stix" {
		t.Errorf("indicator %v", ind)
	}
	if kc := ind["kill_chain_phases"].([]any); len(kc) != 1 || kc[0].(map[string]any)["phase_name"] != "reconnaissance" ||
		kc[0].(map[string]any)["kill_chain_name"] != "mitre-attack" {
		t.Errorf("kill chain %v", kc)
	}
	sig := byType(objs, "sighting")[0]
	ident := byType(objs, "identity")[0]
	if sig["count"] != 1.0 || sig["first_seen"] != "2026-11-25T22:21:27.000Z" || sig["last_seen"] != "2026-11-25T22:21:27.014Z" ||
		sig["sighting_of_ref"] != ind["id"] || !slices.Equal(toStrings(sig["where_sighted_refs"]), []string{ident["id"].(string)}) {
		t.Errorf("sighting %v", sig)
	}
	ap := byType(objs, "attack-pattern")[0]
	ref := ap["external_references"].([]any)[0].(map[string]any)
	if ap["name"] != "Active Scanning" || ref["external_id"] != "T1595" || ref["source_name"] != "mitre-attack" ||
		ref["url"] != "https://attack.mitre.org/techniques/T1595/" {
		t.Errorf("attack pattern %v", ap)
	}
	if loc := byType(objs, "location")[0]; loc["country"] != "CN" {
		t.Errorf("location %v", loc)
	}
	if ip := byType(objs, "ipv4-addr")[0]; ip["value"] != "36.110.0.1" ||
		ip["id"] != scoID("ipv4-addr", map[string]any{"value": "36.110.0.1"}) {
		t.Errorf("address %v", ip)
	}
	rels := map[string]bool{}
	for _, r := range byType(objs, "relationship") {
		rels[r["relationship_type"].(string)] = true
	}
	if as := byType(objs, "autonomous-system")[0]; as["number"] != 4847.0 || as["name"] != "China Networks Inter-Exchange" {
		t.Errorf("autonomous system %v", as)
	}
	if !rels["indicates"] || !rels["based-on"] || !rels["located-at"] || !rels["belongs-to"] {
		t.Errorf("relationships %v", rels)
	}
	validateSTIX(t, objs)
}

// TestMixedCounts shares a file of every shape: exact counts, and which
// address is shared with which role.
func TestMixedCounts(t *testing.T) {
	res := mustRead(t, Options{}, mixed)
	if res.Lines != 8 || res.Alerts != 7 || res.Shared != 4 || res.BadCount != 0 {
		t.Errorf("lines %d alerts %d shared %d bad %d", res.Lines, res.Alerts, res.Shared, res.BadCount)
	}
	wantSkip := map[string]int{SkipNotAlert: 1, SkipNoForeign: 2, SkipSpecial: 1}
	if !mapsEqual(res.Skipped, wantSkip) {
		t.Errorf("skipped %v, want %v", res.Skipped, wantSkip)
	}
	var got []string
	for _, s := range res.Sightings {
		got = append(got, s.Address.String()+" "+string(s.Role)+" "+strconv.Itoa(s.Alerts)+" "+strings.Join(s.HomeCountries, ","))
	}
	want := []string{"198.51.100.77 dst 1 DE", "203.0.113.7 src 2 DE", "2001:db8:cc::5 src 1 DE"}
	if !slices.Equal(got, want) {
		t.Errorf("sightings %q, want %q", got, want)
	}
	objs := parseBundle(t, bundleJSON(t, res, STIXOptions{TLP: TLPGreen}))
	wantTypes := map[string]int{
		"marking-definition": 1, "identity": 1, "ipv4-addr": 2, "ipv6-addr": 1, "autonomous-system": 1,
		"indicator": 3, "sighting": 3,
		"attack-pattern": 4, // T1046, T1595.001, T1110.001, T1071
		"location":       4, // RU, CN, NL, and DE where sighted
		// 3 based-on, 4 indicates, 3 located-at, 1 belongs-to
		"relationship": 11,
	}
	if got := countTypes(objs); !mapsEqual(got, wantTypes) {
		t.Errorf("object counts %v, want %v", got, wantTypes)
	}
	for _, s := range byType(objs, "sighting") {
		if len(toStrings(s["where_sighted_refs"])) != 2 {
			t.Errorf("sighting %v: want the identity and the home country where sighted", s["id"])
		}
	}
	validateSTIX(t, objs)
}

// TestGoldens shares the encoder's golden records: the EVE and ECS forms
// of one alert give one sighting.
func TestGoldens(t *testing.T) {
	res := mustRead(t, Options{}, goldens...)
	var got []string
	for _, s := range res.Sightings {
		got = append(got, s.Address.String()+" "+strconv.Itoa(s.Alerts)+" "+s.Country+" "+strings.Join(s.Techniques, ","))
	}
	// udp_flood_blocked is transit: its source is shared; gre_no_ports is
	// outbound: its destination is; icmpv6_minimal carries no geo
	// direction nor jurisdiction: the home side is unknown, nothing is.
	want := []string{"198.51.100.9 2  ", "203.0.113.1 1  ", "203.0.113.7 2 RU T1046,T1595.001"}
	if !slices.Equal(got, want) {
		t.Errorf("sightings %q, want %q", got, want)
	}
	if res.Skipped[SkipNoForeign] != 1 || res.Alerts != 6 || res.Sightings[1].Role != RoleDestination {
		t.Errorf("alerts %d skipped %v", res.Alerts, res.Skipped)
	}
	validateSTIX(t, parseBundle(t, bundleJSON(t, res, STIXOptions{})))
}

// TestDeterministic: the same alerts give the same bytes, whatever the
// order of the files, and different identities different ids.
func TestDeterministic(t *testing.T) {
	a := bundleJSON(t, mustRead(t, Options{}, sample, mixed), STIXOptions{Identity: "x"})
	b := bundleJSON(t, mustRead(t, Options{}, mixed, sample), STIXOptions{Identity: "x"})
	if !bytes.Equal(a, b) {
		t.Error("sharing the same alerts twice gave different bundles")
	}
	c := bundleJSON(t, mustRead(t, Options{}, sample, mixed), STIXOptions{Identity: "y"})
	if bytes.Equal(a, c) {
		t.Error("another identity gave the same bundle")
	}
	var e1, e2 bytes.Buffer
	if err := WriteMISP(&e1, mustRead(t, Options{}, sample, mixed), MISPOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMISP(&e2, mustRead(t, Options{}, mixed, sample), MISPOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e1.Bytes(), e2.Bytes()) {
		t.Error("sharing the same alerts twice gave different MISP events")
	}
}

// TestTLP: every level carries the marking definition OASIS publishes
// (its id, name, created and the TLP 2.0 extension), and every other
// object is marked with it.
func TestTLP(t *testing.T) {
	official := map[TLP]string{
		TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
		TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
		TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
		TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
		TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	}
	res := mustRead(t, Options{}, sample)
	for _, name := range []string{"clear", "GREEN", "TLP:amber", "amber+strict", "red"} {
		tlp, err := ParseTLP(name)
		if err != nil {
			t.Fatal(err)
		}
		objs := parseBundle(t, bundleJSON(t, res, STIXOptions{TLP: tlp}))
		m := byType(objs, "marking-definition")
		if len(m) != 1 {
			t.Fatalf("%s: %d marking definitions", tlp, len(m))
		}
		ext := m[0]["extensions"].(map[string]any)["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"].(map[string]any)
		if m[0]["id"] != official[tlp] || m[0]["name"] != "TLP:"+strings.ToUpper(string(tlp)) ||
			m[0]["created"] != "2022-10-01T00:00:00.000Z" || ext["tlp_2_0"] != string(tlp) || ext["extension_type"] != "property-extension" {
			t.Errorf("%s: marking %v", tlp, m[0])
		}
		for _, o := range objs {
			if o["type"] == "marking-definition" {
				continue
			}
			if refs := toStrings(o["object_marking_refs"]); !slices.Equal(refs, []string{official[tlp]}) {
				t.Errorf("%s: %s %s marked %v", tlp, o["type"], o["id"], refs)
			}
		}
		var ev bytes.Buffer
		if err := WriteMISP(&ev, res, MISPOptions{TLP: tlp}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ev.String(), `"name": "tlp:`+string(tlp)+`"`) {
			t.Errorf("%s: MISP event without its tlp tag", tlp)
		}
	}
	if _, err := ParseTLP("white"); err == nil || !strings.Contains(err.Error(), `unknown TLP level "white"`) {
		t.Errorf("TLP 1.0's white: %v", err)
	}
}

// homeSecrets is what identifies the home network in testdata/mixed.eve.json.
var homeSecrets = []string{
	"192.0.2.10", "192.0.2.11", "192.0.2.20", "192.0.2.30", "192.0.2.31", "2001:db8:de::22", "10.1.2.3",
	"gw1.corp.example", "corp-uplink-secret", "eth0", "LQU9qZlK", "1234567890123", "64999", "Corp Home Network",
	"mail.corp.example", "vpn.corp.example", "hr-laptop-7", "backup01", "BW SCAN", "51514",
}

// TestSovereignty: by default nothing that identifies the home network
// leaves, in either format; the home side is its country. With
// IncludeHome the home addresses, the sensor and the rule messages do.
func TestSovereignty(t *testing.T) {
	res := mustRead(t, Options{}, mixed)
	var ev bytes.Buffer
	if err := WriteMISP(&ev, res, MISPOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"stix": string(bundleJSON(t, res, STIXOptions{})), "misp": ev.String()} {
		for _, s := range homeSecrets {
			if strings.Contains(out, s) {
				t.Errorf("%s: %q left the home network", name, s)
			}
		}
		for _, s := range []string{"203.0.113.7", "198.51.100.77", "2001:db8:cc::5", "Example Transit", "DE"} {
			if !strings.Contains(out, s) {
				t.Errorf("%s: %q (foreign side or home country) not shared", name, s)
			}
		}
	}

	all := mustRead(t, Options{IncludeHome: true}, mixed)
	if all.Shared != 6 || len(all.Sightings) != 5 {
		t.Errorf("include-home: shared %d alerts, %d addresses; want 6, 5 (internal and private sources too)", all.Shared, len(all.Sightings))
	}
	out := string(bundleJSON(t, all, STIXOptions{}))
	for _, s := range []string{"192.0.2.10", "192.0.2.11", "192.0.2.30", "gw1.corp.example", "mail.corp.example", "10.1.2.3"} {
		if !strings.Contains(out, s) {
			t.Errorf("include-home: %q not shared", s)
		}
	}
	validateSTIX(t, parseBundle(t, []byte(out)))
}

func TestMISPEvent(t *testing.T) {
	res := mustRead(t, Options{}, mixed)
	ev, err := MISP(res, MISPOptions{TLP: TLPAmberStrict, Identity: "CERT-Example"})
	if err != nil {
		t.Fatal(err)
	}
	e := ev.Event
	var got []string
	for _, a := range e.Attribute {
		var tags []string
		for _, tg := range a.Tag {
			tags = append(tags, tg.Name)
		}
		got = append(got, a.Type+" "+a.Value+" "+strconv.FormatBool(a.ToIDS)+" "+strings.Join(tags, " "))
	}
	want := []string{
		`ip-dst 198.51.100.77 true misp-galaxy:mitre-attack-pattern="Application Layer Protocol - T1071" borderwatch:country="NL"`,
		`ip-src 203.0.113.7 true misp-galaxy:mitre-attack-pattern="Network Service Discovery - T1046" misp-galaxy:mitre-attack-pattern="Scanning IP Blocks - T1595.001" borderwatch:country="RU"`,
		`ip-src 2001:db8:cc::5 true misp-galaxy:mitre-attack-pattern="Password Guessing - T1110.001" borderwatch:country="CN"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("attributes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := e.Attribute[0].Comment; c != "Foreign address contacted from the home network (borderwatch: reputation; MITRE ATT&CK T1071). "+
		"1 alert(s), 10 packet(s), 2026-11-25T22:30:00.000Z to 2026-11-25T22:30:00.000Z. Located in NL. Contacted from DE." {
		t.Errorf("ip-dst comment %q", c)
	}
	if c := e.Attribute[1].Comment; c != "Foreign address that sent attack traffic (borderwatch: scan; MITRE ATT&CK T1046, T1595.001). "+
		"2 alert(s), 20 packet(s), 2026-11-25T22:00:00.000Z to 2026-11-25T22:10:05.000Z. Located in RU. AS64500 Example Transit. Seen crossing into DE." {
		t.Errorf("ip-src comment %q", c)
	}
	if e.Date != "2026-11-25" || e.AttributeCount != "3" || e.Orgc.Name != "CERT-Example" || len(e.Tag) != 1 ||
		e.Tag[0].Name != "tlp:amber+strict" || e.Distribution != "0" {
		t.Errorf("event %+v", e)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, ev); err != nil {
		t.Fatal(err)
	}
	validateMISP(t, b.Bytes())

	if _, err := MISP(&Result{}, MISPOptions{}); err != ErrNothingToShare {
		t.Errorf("no sightings: %v, want ErrNothingToShare", err)
	}
}

// TestMISPFeed writes two events into one feed folder and reads it back as
// a MISP instance does: manifest.json → UUID.json → attributes, and
// hashes.csv → events.
func TestMISPFeed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feed")
	ev1, err := MISP(mustRead(t, Options{}, sample), MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev2, err := MISP(mustRead(t, Options{}, mixed), MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []*MISPEvent{ev1, ev2, ev1} { // ev1 twice: replaced, not doubled
		if err := WriteMISPFeed(dir, ev); err != nil {
			t.Fatal(err)
		}
	}
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]ManifestEntry
	if err := json.Unmarshal(mb, &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) != 2 {
		t.Fatalf("manifest has %d events, want 2", len(manifest))
	}
	values := map[string]string{} // md5 line → event
	for id, entry := range manifest {
		path := filepath.Join(dir, id+".json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("manifest lists %s: %v", id, err)
		}
		validateMISP(t, b)
		var ev MISPEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Event.UUID != id || ev.Event.Timestamp != entry.Timestamp || ev.Event.Info != entry.Info ||
			len(entry.Tag) != 1 || entry.Tag[0].Name != "tlp:amber" || entry.Orgc.UUID == "" {
			t.Errorf("%s: event %+v does not match its manifest entry %+v", id, ev.Event, entry)
		}
		for _, a := range ev.Event.Attribute {
			if !a.ToIDS || (a.Type != "ip-src" && a.Type != "ip-dst") {
				t.Errorf("%s: attribute %+v", id, a)
			}
			values[md5hex(a.Value)+","+id] = a.Value
		}
	}
	if len(values) != 4 {
		t.Errorf("read back %d attributes, want 4 (1 + 3)", len(values))
	}
	hb, err := os.ReadFile(filepath.Join(dir, "hashes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(hb))
	slices.Sort(lines)
	var want []string
	for l := range values {
		want = append(want, l)
	}
	slices.Sort(want)
	if !slices.Equal(lines, want) {
		t.Errorf("hashes.csv\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 4 {
		t.Errorf("feed folder has %d files, want 4 (two events, manifest, hashes; no temporary files)", len(ents))
	}

	// A manifest that is not one is not overwritten.
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteMISPFeed(dir, ev1); err == nil || !strings.Contains(err.Error(), "not a MISP feed manifest") {
		t.Errorf("bad manifest: %v", err)
	}
}

// TestHostileInput: bad lines are counted and named by file, line and
// reason without quoting the line; limits are errors naming the limit.
func TestHostileInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	secret := "hunter2-token"
	lines := []string{
		string(bytes.TrimSpace(good)),
		"not json " + secret,
		`{"event_type":"alert","timestamp":"yesterday","src_ip":"203.0.113.1"}`,
		`{"event_type":"alert","timestamp":"2026-11-25T22:21:27.014000+0000","src_ip":"` + secret + `"}`,
		`{"event_type":"alert","timestamp":"2026-11-25T22:21:27.014000+0000","src_ip":"203.0.113.1","alert":{"metadata":{"src_country":["` + secret + `"],"geo_direction":["inbound"]}}}`,
		`{"event_type":"alert","timestamp":"2026-11-25T22:21:27.014000+0000","src_ip":"203.0.113.1","alert":{"metadata":{"mitre_technique_id":["` + secret + `"],"geo_direction":["inbound"]}}}`,
		`{"event_type":"alert","timestamp":"2026-11-25T22:21:27.014000+0000","src_ip":["` + secret + `"]}`,
		`{"timestamp":"2026-11-25T22:21:27.014000+0000"}`,
		`{"event_type":"alert","timestamp":"2026-11-25T22:21:27.014000+0000","src_ip":"203.0.113.1","alert":{"context":{"geo":{"direction":"sideways"}}}}`,
		"{" + strings.Repeat(`"a":1,`, 20_000) + `"b":2}`,
		`{"event_type":"alert","timestamp":"2026-11-25T22:21:27.014000+0000","alert":{"signature_id":123456789012345678901234567890}}`,
		"",
		`{"event_type":"alert","timestamp":"2026-11-25T22:21:27.014000+0000","src_ip":"203.0.113.1","alert":{"metadata":{"geo_direction":["inbound"]}}}`,
	}
	path := filepath.Join(dir, "hostile.json")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil { // no final newline
		t.Fatal(err)
	}
	res := mustRead(t, Options{}, path)
	var got []string
	for _, b := range res.Bad {
		got = append(got, b.String())
	}
	want := []string{
		path + ":2: not a JSON object",
		path + ":3: timestamp: not a time in the layout's format",
		path + ":4: src_ip: not an IP address",
		path + ":5: source country: not an ISO 3166-1 alpha-2 code",
		path + ":6: MITRE technique: not a technique id (T1234 or T1234.001)",
		path + ":7: not an EVE alert: field src_ip: array where string was expected",
		path + ":8: neither an EVE record (event_type) nor an ECS record (ecs.version)",
		path + ":9: geo direction: not inbound, outbound, internal or transit",
		path + ":10: line longer than 65536 bytes",
		path + ":11: not an EVE alert: field alert.signature_id: number where uint32 was expected",
	}
	if !slices.Equal(got, want) {
		t.Errorf("bad lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.BadCount != 10 || res.Alerts != 2 || len(res.Sightings) != 2 {
		t.Errorf("bad %d alerts %d sightings %d; want 10, 2, 2", res.BadCount, res.Alerts, len(res.Sightings))
	}
	for _, g := range got {
		if strings.Contains(g, secret) || strings.Contains(g, "1234567890") {
			t.Errorf("a reason quotes the input: %s", g)
		}
	}

	if _, err := Read(Options{MaxFileBytes: 100}, nil, path); err == nil || !strings.Contains(err.Error(), "more than the limit of 100") {
		t.Errorf("file over the limit: %v", err)
	}
	if _, err := Read(Options{MaxFileBytes: 100}, strings.NewReader(strings.Join(lines, "\n")), "-"); err == nil ||
		!strings.Contains(err.Error(), "stdin: more than the limit of 100 bytes") {
		t.Errorf("stdin over the limit: %v", err)
	}
	// lines 1 and 2 are one address, line 3 is the second
	if _, err := Read(Options{MaxAddresses: 1}, nil, mixed); err == nil ||
		err.Error() != "reading alerts testdata/mixed.eve.json:3: too many distinct addresses (limit 1)" {
		t.Errorf("addresses over the limit: %v", err)
	}
	if _, err := Read(Options{}, nil, dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: %v", err)
	}
	if _, err := Read(Options{}, nil, filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file: no error")
	}
}

func mapsEqual[K comparable](a, b map[K]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	r := make([]string, len(l))
	for i, x := range l {
		r[i], _ = x.(string)
	}
	return r
}

func validateSTIX(t *testing.T, objs []map[string]any) {
	t.Helper()
	schematest.ValidateSTIX(t, objs)
}

func validateMISP(t *testing.T, doc []byte) {
	t.Helper()
	schematest.ValidateMISP(t, doc)
}

// TestWriteToAndIdentity: output to a file is replaced only when the
// content was made; "" and "-" write to stdout; an identity is 1 to 256
// bytes.
func TestWriteToAndIdentity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteTo(path, nil, func(w io.Writer) error { _, _ = io.WriteString(w, "half"); return errors.New("broke") }); err == nil {
		t.Error("a failed fill was not an error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("a failed fill replaced the file: %q", b)
	}
	if err := WriteTo(path, nil, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file %q", b)
	}
	for _, p := range []string{"", "-"} {
		var out strings.Builder
		if err := WriteTo(p, &out, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil || out.String() != "x" {
			t.Errorf("%q: stdout %q, %v", p, out.String(), err)
		}
	}
	for s, ok := range map[string]bool{"CERT-Example": true, "": false, "  ": false, strings.Repeat("a", 256): true, strings.Repeat("a", 257): false} {
		if err := CheckIdentity(s); (err == nil) != ok {
			t.Errorf("CheckIdentity(%d bytes %q…): %v", len(s), s[:min(len(s), 8)], err)
		}
	}
}
