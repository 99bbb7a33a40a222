package alert

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
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
		`"severity":2,"metadata":{"kind":["portscan"],"mitre_technique_id":["T1046","T1595.001"]}},` +
		`"geo":{"direction":"inbound","src":{"country_iso_code":"RU","registered_country_iso_code":"RU",` +
		`"continent_code":"EU","as_number":64500,"as_org":"Example Transit","jurisdictions":["ru","forbidden"]},` +
		`"dest":{"country_iso_code":"DE","registered_country_iso_code":"DE","continent_code":"EU",` +
		`"jurisdictions":["home","eu"]},"database":{"name":"borderwatch-lab","build_time":"2026-11-01T00:00:00Z"}},` +
		`"stats":{"packets":120,"bytes":7200,"distinct_ports":100,"distinct_hosts":1,` +
		`"first_seen":"2026-11-25T22:21:20.000001+0000","last_seen":"2026-11-25T22:21:25.123456+0000","suppressed":4},` +
		`"threshold":{"track":"src","distinct":"dst_port","count":100,"window":10,"observed":100}}` + "\n"
	got, err := AppendEVE([]byte("prefix:"), &samples[0].a)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "prefix:"+want {
		t.Errorf("got:\n%s\nwant:\n%s", got, "prefix:"+want)
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
	"community_id": "string",
	"alert.action": "string", "alert.gid": "number", "alert.signature_id": "number", "alert.rev": "number",
	"alert.signature": "string", "alert.category": "string", "alert.severity": "number",
	"alert.metadata.kind": "[]string", "alert.metadata.mitre_technique_id": "[]string",
	"geo.direction":            "string",
	"geo.src.country_iso_code": "string", "geo.src.registered_country_iso_code": "string",
	"geo.src.continent_code": "string", "geo.src.as_number": "number", "geo.src.as_org": "string",
	"geo.src.jurisdictions":     "[]string",
	"geo.dest.country_iso_code": "string", "geo.dest.registered_country_iso_code": "string",
	"geo.dest.continent_code": "string", "geo.dest.as_number": "number", "geo.dest.as_org": "string",
	"geo.dest.jurisdictions": "[]string",
	"geo.database.name":      "string", "geo.database.build_time": "string",
	"stats.packets": "number", "stats.bytes": "number", "stats.distinct_ports": "number",
	"stats.distinct_hosts": "number", "stats.distinct_sources": "number", "stats.first_seen": "string",
	"stats.last_seen": "string", "stats.suppressed": "number",
	"stats.top_sources[].country": "string", "stats.top_sources[].packets": "number",
	"threshold.track": "string", "threshold.distinct": "string", "threshold.count": "number",
	"threshold.bytes": "number", "threshold.window": "number", "threshold.observed": "number",
}

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
	for p, want := range map[uint8]string{1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPv6-ICMP", 47: "47", 0: "0", 255: "255"} {
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
