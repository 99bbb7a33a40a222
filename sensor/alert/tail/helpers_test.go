package tail

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

// mkAlert is an alert of kind from src (country sc) to dst (country dc)
// with severity sev and rule id sid, at second sec of a fixed day.
func mkAlert(kind, sc, dc string, sev int, sid uint32, sec int) *alert.Alert {
	return &alert.Alert{
		Timestamp: time.Date(2026, 11, 25, 22, 0, sec, 5e6, time.UTC).UnixNano(),
		SrcIP:     netip.MustParseAddr("203.0.113.7"), SrcPort: 40000, DstIP: netip.MustParseAddr("192.0.2.10"), DstPort: 22,
		Proto: 6, Direction: "to_server", GeoDir: "inbound", Action: "allowed", GID: 1,
		SignatureID: sid, Rev: 1, Signature: kind + " test", Severity: sev, Kind: kind,
		Src:   alert.Endpoint{CountryISO: sc, Jurisdictions: []string{"foreign"}},
		Dst:   alert.Endpoint{CountryISO: dc, Jurisdictions: []string{"home"}},
		Stats: alert.Stats{Packets: 10, Bytes: 600, DistinctPorts: 7},
	}
}

// eveLine and ecsLine encode a with the sensor's encoder.
func eveLine(t testing.TB, a *alert.Alert) string {
	t.Helper()
	b, err := alert.AppendEVE(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ecsLine(t testing.TB, a *alert.Alert) string {
	t.Helper()
	b, err := alert.AppendECS(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// formatted is what Format prints for line.
func formatted(t *testing.T, line string) string {
	t.Helper()
	var r Record
	if err := Parse(bytes.TrimSpace([]byte(line)), &r); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return string(Format(nil, &r, false))
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
