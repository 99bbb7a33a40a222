package alert

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/sensor/alert/evetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the encoder's output")

// TestGolden compares each sample's encoding, byte for byte, with
// testdata/<name>.<format>.golden.json.
func TestGolden(t *testing.T) {
	for _, f := range []Format{FormatEVE, FormatECS} {
		enc := NewEncoder(f)
		for _, s := range samples {
			t.Run(f.String()+"/"+s.name, func(t *testing.T) {
				got, err := enc.Append(nil, &s.a)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", s.name+"."+f.String()+".golden.json")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("encoding differs from %s\ngot:  %s\nwant: %s", path, got, want)
				}
			})
		}
	}
}

// TestEVEExact spells out one full EVE line in the test itself, so the field
// order and formats are visible without opening testdata.
func TestEVEExact(t *testing.T) {
	want := `{"timestamp":"2026-11-25T22:21:25.123456+0000","flow_id":1234567890123,"in_iface":"eth0",` +
		`"event_type":"alert","src_ip":"203.0.113.7","src_port":51514,"dest_ip":"192.0.2.10","dest_port":22,` +
		`"proto":"TCP","direction":"to_server","community_id":"1:LQU9qZlK+B5F3KDmev6m5PMibrg=",` +
		`"alert":{"action":"allowed","gid":1,"signature_id":9100001,"rev":3,` +
		`"signature":"BORDERWATCH port scan from \"forbidden\" zone","category":"Attempted Information Leak",` +
		`"severity":2,"metadata":{"kind":["portscan"],"mitre_technique_id":["T1046","T1595.001"],` +
		`"geo_direction":["inbound"],"src_country":["RU"],"dest_country":["DE"],` +
		`"src_jurisdictions":["ru","forbidden"],"dest_jurisdictions":["home","eu"]},` +
		`"context":{"geo":{"direction":"inbound","src":{"country_iso_code":"RU","registered_country_iso_code":"RU",` +
		`"continent_code":"EU","as_number":64500,"as_org":"Example Transit","jurisdictions":["ru","forbidden"]},` +
		`"dest":{"country_iso_code":"DE","registered_country_iso_code":"DE","continent_code":"EU",` +
		`"jurisdictions":["home","eu"]},"database":{"name":"borderwatch-lab","build_time":"2026-11-01T00:00:00.000000+0000"}},` +
		`"stats":{"distinct_ports":100,"distinct_hosts":1,"suppressed":4},` +
		`"threshold":{"track":"src","distinct":"dst_port","count":100,"window":10.0,"observed":100}}},` +
		`"flow":{"pkts_toserver":120,"pkts_toclient":0,"bytes_toserver":7200,"bytes_toclient":0,` +
		`"start":"2026-11-25T22:21:20.000001+0000","end":"2026-11-25T22:21:25.123456+0000"},"host":"gw1.example"}` + "\n"
	got, err := AppendEVE([]byte("prefix:"), &samples[0].a)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "prefix:"+want {
		t.Errorf("got:\n%s\nwant:\n%s", got, "prefix:"+want)
	}
}

// TestEVESchema validates every EVE golden file, and the repository's
// sample alerts and the encoding of every sample, against Suricata's own EVE
// schema.
func TestEVESchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eve.golden.json"))
	if err != nil || len(files) != len(samples) {
		t.Fatalf("%d EVE golden files (%v), want %d", len(files), err, len(samples))
	}
	files = append(files, filepath.Join("..", "..", "testdata", "sample", "scan-inbound.alerts.json"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { evetest.Validate(t, f) })
	}
	// And what the encoder writes now, whatever the files say.
	var lines []byte
	for _, s := range samples {
		var err error
		if lines, err = AppendEVE(lines, &s.a); err != nil {
			t.Fatal(err)
		}
	}
	evetest.ValidateLines(t, "encoded samples", lines)
}

// TestEVESchemaRejectsOldLayout is the validator's negative control: the
// layout before alert.context (top-level geo, stats and threshold) is
// rejected, so TestEVESchema can fail.
func TestEVESchemaRejectsOldLayout(t *testing.T) {
	old := `{"timestamp":"2026-11-25T22:21:27.014000+0000","event_type":"alert","src_ip":"36.110.0.1",` +
		`"dest_ip":"192.168.1.10","proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":8100101,` +
		`"rev":2,"signature":"x","severity":2},"geo":{"direction":"inbound"},` +
		`"stats":{"packets":15,"bytes":600},"threshold":{"track":"pair","window":300,"observed":15}}` + "\n"
	path := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	out, bad := evetest.Problems(t, path)
	if !bad || !strings.Contains(out, "'geo', 'threshold' were unexpected") || !strings.Contains(out, "$.stats") {
		t.Errorf("old layout: validator said %q, want geo, threshold and stats rejected", out)
	}
}

// TestThresholdWindowType checks threshold.window is a JSON number with a
// fraction whatever the window, in both layouts.
func TestThresholdWindowType(t *testing.T) {
	for _, tc := range []struct {
		window float64
		want   string
	}{{10, `"window":10.0,`}, {2.5, `"window":2.5,`}, {0.001, `"window":0.001,`}, {86400, `"window":86400.0,`}} {
		a := samples[0].a
		a.Threshold.Window = tc.window
		for _, f := range []Format{FormatEVE, FormatECS} {
			line, err := NewEncoder(f).Append(nil, &a)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(line, []byte(tc.want)) {
				t.Errorf("%s window %v: want %s in %s", f, tc.window, tc.want, line)
			}
		}
	}
}

// TestFlowCounters checks the EVE flow object splits the episode by
// direction and ECS network.* holds the totals.
func TestFlowCounters(t *testing.T) {
	a := samples[3].a // 12 packets, 5 of them to_client
	eve, _ := AppendEVE(nil, &a)
	if want := `"flow":{"pkts_toserver":7,"pkts_toclient":5,"bytes_toserver":5000,"bytes_toclient":4000,` +
		`"start":"2026-02-28T23:59:58.500000+0000","end":"2026-03-01T00:00:00.000000+0000"}`; !bytes.Contains(eve, []byte(want)) {
		t.Errorf("EVE: want %s in %s", want, eve)
	}
	ecs, _ := AppendECS(nil, &a)
	for _, want := range []string{`"bytes":9000,"packets":12`, `"duration":1500000001`} {
		if !bytes.Contains(ecs, []byte(want)) {
			t.Errorf("ECS: want %s in %s", want, ecs)
		}
	}
	// More to_client than counted (cannot happen) never underflows.
	a.Stats.ToClientPackets, a.Stats.ToClientBytes = 99, 99999
	eve, _ = AppendEVE(nil, &a)
	if want := `"pkts_toserver":0,"pkts_toclient":12,"bytes_toserver":0,"bytes_toclient":9000`; !bytes.Contains(eve, []byte(want)) {
		t.Errorf("EVE: want %s in %s", want, eve)
	}
}

// TestEVETypes parses every EVE sample with encoding/json and checks the
// JSON type of each field it has, and the omission rules.
func TestEVETypes(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			line, err := AppendEVE(nil, &s.a)
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(line, []byte("\n")); n != 1 || line[len(line)-1] != '\n' {
				t.Fatalf("want exactly one trailing newline, got %d in %q", n, line)
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("not JSON: %v: %s", err, line)
			}
			leaves := map[string]any{}
			flatten("", m, leaves)
			for k, v := range leaves {
				want, ok := eveTypes[k]
				if !ok {
					t.Errorf("field %s not in the documented EVE field list", k)
					continue
				}
				if got := jsonType(v); got != want {
					t.Errorf("field %s: JSON type %s, want %s (value %v)", k, got, want, v)
				}
			}
			for _, k := range []string{"timestamp", "event_type", "proto", "alert.action", "alert.gid",
				"alert.signature_id", "alert.rev", "alert.signature", "alert.severity"} {
				if _, ok := leaves[k]; !ok {
					t.Errorf("required field %s missing", k)
				}
			}
			for _, k := range eveTimeFields {
				if v, ok := leaves[k].(string); ok {
					if _, err := time.Parse(eveTimeLayout, v); err != nil {
						t.Errorf("time field %s = %q is not in EVE's time format: %v", k, v, err)
					}
				}
			}
			_, hasPort := leaves["src_port"]
			_, hasType := leaves["icmp_type"]
			wantPort := s.a.Proto == 6 || s.a.Proto == 17 || s.a.SrcPort != 0 || s.a.DstPort != 0
			wantType := s.a.Proto == 1 || s.a.Proto == 58
			if hasPort != wantPort || hasType != wantType {
				t.Errorf("proto %d: src_port present %v (want %v), icmp_type present %v (want %v)",
					s.a.Proto, hasPort, wantPort, hasType, wantType)
			}
		})
	}
}

// eveTypes is every EVE leaf the encoder may write, with its JSON type;
// arrays of objects are flattened with "[]".
var eveTypes = map[string]string{
	"timestamp": "string", "flow_id": "number", "in_iface": "string", "event_type": "string",
	"src_ip": "string", "src_port": "number", "dest_ip": "string", "dest_port": "number",
	"proto": "string", "icmp_type": "number", "icmp_code": "number", "direction": "string",
	"community_id": "string", "host": "string", "pcap_filename": "string",
	"alert.action": "string", "alert.gid": "number", "alert.signature_id": "number", "alert.rev": "number",
	"alert.signature": "string", "alert.category": "string", "alert.severity": "number",
	"alert.metadata.kind": "[]string", "alert.metadata.mitre_technique_id": "[]string",
	"alert.metadata.geo_direction": "[]string", "alert.metadata.src_country": "[]string",
	"alert.metadata.dest_country": "[]string", "alert.metadata.src_jurisdictions": "[]string",
	"alert.metadata.dest_jurisdictions":      "[]string",
	"alert.context.geo.direction":            "string",
	"alert.context.geo.src.country_iso_code": "string", "alert.context.geo.src.registered_country_iso_code": "string",
	"alert.context.geo.src.continent_code": "string", "alert.context.geo.src.as_number": "number",
	"alert.context.geo.src.as_org": "string", "alert.context.geo.src.jurisdictions": "[]string",
	"alert.context.geo.dest.country_iso_code": "string", "alert.context.geo.dest.registered_country_iso_code": "string",
	"alert.context.geo.dest.continent_code": "string", "alert.context.geo.dest.as_number": "number",
	"alert.context.geo.dest.as_org": "string", "alert.context.geo.dest.jurisdictions": "[]string",
	"alert.context.geo.database.name": "string", "alert.context.geo.database.build_time": "string",
	"alert.context.stats.distinct_ports": "number", "alert.context.stats.distinct_hosts": "number",
	"alert.context.stats.distinct_sources": "number", "alert.context.stats.suppressed": "number",
	"alert.context.stats.top_sources[].country": "string", "alert.context.stats.top_sources[].packets": "number",
	"alert.context.threshold.track": "string", "alert.context.threshold.distinct": "string",
	"alert.context.threshold.count": "number", "alert.context.threshold.bytes": "number",
	"alert.context.threshold.window": "number", "alert.context.threshold.observed": "number",
	"flow.pkts_toserver": "number", "flow.pkts_toclient": "number", "flow.bytes_toserver": "number",
	"flow.bytes_toclient": "number", "flow.start": "string", "flow.end": "string",
}

// eveTimeFields are the EVE leaves holding a time: all in EVE's format.
var eveTimeFields = []string{"timestamp", "flow.start", "flow.end", "alert.context.geo.database.build_time"}

// flatten collects the leaves of a decoded JSON object by dotted path. An
// array of objects is descended into as "path[]"; any other array is a leaf.
func flatten(prefix string, v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, c, out)
		}
	case []any:
		if len(x) > 0 {
			if _, ok := x[0].(map[string]any); ok {
				for _, c := range x {
					flatten(prefix+"[]", c, out)
				}
				return
			}
		}
		out[prefix] = x
	default:
		out[prefix] = x
	}
}

// jsonType names the JSON type of a decoded value: string, number, bool,
// null, []string, []number, []mixed.
func jsonType(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	case []any:
		elem := ""
		for _, e := range x {
			et := jsonType(e)
			if elem != "" && et != elem {
				return "[]mixed"
			}
			elem = et
		}
		return "[]" + elem
	}
	return "object"
}

// TestAppendAllocs checks the steady state allocates nothing per alert.
func TestAppendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, f := range []Format{FormatEVE, FormatECS} {
		enc := NewEncoder(f)
		buf := make([]byte, 0, 4096)
		a := &samples[0].a
		allocs := testing.AllocsPerRun(200, func() {
			var err error
			if buf, err = enc.Append(buf[:0], a); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per alert, want 0", f, allocs)
		}
	}
}

// TestAppendDisabled checks a globally disabled zerolog is an error, not a
// silently lost alert.
func TestAppendDisabled(t *testing.T) {
	old := zerolog.GlobalLevel()
	zerolog.SetGlobalLevel(zerolog.Disabled)
	defer zerolog.SetGlobalLevel(old)
	got, err := NewEncoder(FormatEVE).Append([]byte("x"), &samples[0].a)
	if err != ErrLoggingDisabled || string(got) != "x" {
		t.Errorf("got %q, %v; want \"x\", ErrLoggingDisabled", got, err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		err  string
	}{
		{"", FormatEVE, ""}, {"eve", FormatEVE, ""}, {"ecs", FormatECS, ""},
		{"EVE", 0, `unknown alert format "EVE" (want eve or ecs)`},
	} {
		got, err := ParseFormat(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseFormat(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != strings.ToLower(tc.want.String()) {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestProtoName(t *testing.T) {
	for p, want := range map[uint8]string{1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPv6-ICMP", 47: "GRE", 50: "ESP",
		51: "AH", 132: "SCTP", 0: "HOPOPT", 4: "IPv4", 41: "IPv6", 136: "UDPLite", 253: "253", 255: "255"} {
		if got := ProtoName(p); got != want {
			t.Errorf("ProtoName(%d) = %q, want %q", p, got, want)
		}
	}
}

func BenchmarkAppendEVE(b *testing.B) { benchAppend(b, FormatEVE) }
func BenchmarkAppendECS(b *testing.B) { benchAppend(b, FormatECS) }

func benchAppend(b *testing.B, f Format) {
	enc := NewEncoder(f)
	buf := make([]byte, 0, 4096)
	a := &samples[0].a
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = enc.Append(buf[:0], a)
	}
	b.SetBytes(int64(len(buf)))
}
