package alert

import (
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// ecsField is one ECS field definition: its ECS type and, for fields with
// a closed set, the allowed values.
type ecsField struct {
	typ     string // date, keyword, long, ip
	array   bool   // written as an array
	allowed []string
}

// ecsFields holds the definitions, from ECS 8.17 (the field reference at
// https://www.elastic.co/guide/en/ecs/8.17/ecs-field-reference.html and
// the allowed values at .../ecs-allowed-values-event-*.html and the
// network.direction field), of every ECS field the encoder writes. A leaf
// outside borderwatch.* that is not here fails the test.
var ecsFields = map[string]ecsField{
	"@timestamp":     {typ: "date"},
	"ecs.version":    {typ: "keyword", allowed: []string{ECSVersion}},
	"event.kind":     {typ: "keyword", allowed: []string{"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"}},
	"event.category": {typ: "keyword", array: true, allowed: []string{"api", "authentication", "configuration", "database", "driver", "email", "file", "host", "iam", "intrusion_detection", "library", "malware", "network", "package", "process", "registry", "session", "threat", "vulnerability", "web"}},
	"event.type":     {typ: "keyword", array: true, allowed: []string{"access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied", "device", "end", "error", "group", "indicator", "info", "installation", "protocol", "start", "user"}},
	"event.action":   {typ: "keyword"},
	"event.severity": {typ: "long"},
	"event.start":    {typ: "date"},
	"event.end":      {typ: "date"},
	"event.duration": {typ: "long"},
	"event.module":   {typ: "keyword", allowed: []string{ECSModule}},
	"event.dataset":  {typ: "keyword", allowed: []string{ECSDataset}},

	"rule.id":       {typ: "keyword"},
	"rule.name":     {typ: "keyword"},
	"rule.category": {typ: "keyword"},
	"rule.version":  {typ: "keyword"},

	"source.ip":                        {typ: "ip"},
	"source.port":                      {typ: "long"},
	"source.geo.country_iso_code":      {typ: "keyword"},
	"source.geo.continent_code":        {typ: "keyword"},
	"source.as.number":                 {typ: "long"},
	"source.as.organization.name":      {typ: "keyword"},
	"destination.ip":                   {typ: "ip"},
	"destination.port":                 {typ: "long"},
	"destination.geo.country_iso_code": {typ: "keyword"},
	"destination.geo.continent_code":   {typ: "keyword"},
	"destination.as.number":            {typ: "long"},
	"destination.as.organization.name": {typ: "keyword"},
	"network.transport":                {typ: "keyword"},
	"network.iana_number":              {typ: "keyword"},
	"network.direction":                {typ: "keyword", allowed: []string{"ingress", "egress", "inbound", "outbound", "internal", "external", "unknown"}},
	"network.community_id":             {typ: "keyword"},
	"network.bytes":                    {typ: "long"},
	"network.packets":                  {typ: "long"},
	"observer.ingress.interface.name":  {typ: "keyword"},
	"observer.hostname":                {typ: "keyword"},
	"observer.name":                    {typ: "keyword"},
	"observer.type":                    {typ: "keyword", allowed: []string{"ids"}},
	"observer.vendor":                  {typ: "keyword"},
	"observer.product":                 {typ: "keyword"},
	"related.ip":                       {typ: "ip", array: true},
	"threat.framework":                 {typ: "keyword"},
	"threat.technique.id":              {typ: "keyword", array: true},
}

// ecsCategoryTypes is ECS's expected event.type values per event.category
// (ECS 8.17 allowed values for event.category), for the categories we use.
var ecsCategoryTypes = map[string][]string{
	"network":             {"access", "allowed", "connection", "denied", "end", "info", "protocol", "start"},
	"intrusion_detection": {"allowed", "denied", "info"},
}

// TestECSFieldTypes checks every ECS leaf of every sample against the ECS
// definitions: JSON type, format and allowed values.
func TestECSFieldTypes(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			line, err := AppendECS(nil, &s.a)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("not JSON: %v: %s", err, line)
			}
			leaves := map[string]any{}
			flatten("", m, leaves)
			for k, v := range leaves {
				if strings.HasPrefix(k, "borderwatch.") {
					continue
				}
				seen[k] = true
				f, ok := ecsFields[k]
				if !ok {
					t.Errorf("%s is not an ECS field known to this test", k)
					continue
				}
				vals := []any{v}
				if f.array {
					arr, ok := v.([]any)
					if !ok || len(arr) == 0 {
						t.Errorf("%s: want a non-empty array, got %v", k, v)
						continue
					}
					vals = arr
				}
				for _, x := range vals {
					if msg := checkECSValue(f, x); msg != "" {
						t.Errorf("%s = %v: %s", k, x, msg)
					}
				}
			}
			for _, c := range leaves["event.category"].([]any) {
				for _, ty := range leaves["event.type"].([]any) {
					if !slices.Contains(ecsCategoryTypes[c.(string)], ty.(string)) {
						t.Errorf("event.type %q not expected with event.category %q", ty, c)
					}
				}
			}
		})
	}
	// The samples must exercise the table, or the test checks little.
	for _, k := range []string{"source.as.organization.name", "network.direction", "threat.technique.id", "event.start",
		"destination.port", "observer.name", "observer.hostname", "observer.ingress.interface.name", "related.ip",
		"network.packets", "event.duration", "event.module"} {
		if !seen[k] {
			t.Errorf("no sample wrote %s", k)
		}
	}
}

// checkECSValue returns why x is not a valid value of f, or "".
func checkECSValue(f ecsField, x any) string {
	switch f.typ {
	case "keyword":
		s, ok := x.(string)
		if !ok {
			return "keyword must be a JSON string"
		}
		if f.allowed != nil && !slices.Contains(f.allowed, s) {
			return "not an allowed value"
		}
	case "long":
		n, ok := x.(float64)
		if !ok || n != math.Trunc(n) {
			return "long must be an integral JSON number"
		}
	case "ip":
		s, ok := x.(string)
		if !ok {
			return "ip must be a JSON string"
		}
		if _, err := netip.ParseAddr(s); err != nil || strings.Contains(s, "%") {
			return "not an IP address without zone"
		}
	case "date":
		s, ok := x.(string)
		if !ok {
			return "date must be a JSON string"
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return "not RFC 3339: " + err.Error()
		}
	default:
		return "unknown ECS type " + f.typ
	}
	return ""
}

// TestECSIdentity checks the sensor's identity and the addresses of an alert
// in ECS: observer.* from the sensor name, related.ip with each address once.
func TestECSIdentity(t *testing.T) {
	a := samples[0].a
	line, _ := AppendECS(nil, &a)
	for _, want := range []string{
		`"observer":{"hostname":"gw1.example","name":"gw1.example","type":"ids","vendor":"borderwatch","product":"borderwatch","ingress":{"interface":{"name":"eth0"}}}`,
		`"related":{"ip":["203.0.113.7","192.0.2.10"]}`,
		`"module":"borderwatch","dataset":"borderwatch.alert"`,
	} {
		if !strings.Contains(string(line), want) {
			t.Errorf("want %s in %s", want, line)
		}
	}
	a.DstIP = netip.MustParseAddr("::ffff:203.0.113.7")
	line, _ = AppendECS(nil, &a)
	if want := `"related":{"ip":["203.0.113.7"]}`; !strings.Contains(string(line), want) {
		t.Errorf("same address twice: want %s in %s", want, line)
	}
}

func TestECSNetworkDirection(t *testing.T) {
	for in, want := range map[string]string{
		"inbound": "inbound", "outbound": "outbound", "internal": "internal",
		"transit": "external", "": "unknown", "sideways": "unknown",
	} {
		if got := ECSNetworkDirection(in); got != want {
			t.Errorf("ECSNetworkDirection(%q) = %q, want %q", in, got, want)
		}
	}
}
