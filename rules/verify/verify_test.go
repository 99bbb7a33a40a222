package verify

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

func scanAlert(src string) *alert.Alert {
	return &alert.Alert{Kind: "scan", SignatureID: 8100101, SrcIP: netip.MustParseAddr(src),
		DstIP: netip.MustParseAddr("192.0.2.10"), SrcPort: 40000, DstPort: 15, Proto: 6, GeoDir: "inbound", Action: "allowed",
		Src: alert.Endpoint{CountryISO: "CN"}, Dst: alert.Endpoint{CountryISO: "DE"},
		Stats: alert.Stats{Packets: 15, DistinctPorts: 15, DistinctSources: 1}}
}

func TestCompare(t *testing.T) {
	exp := func(es ...Expect) *File {
		for i := range es {
			if es[i].Count == 0 {
				es[i].Count = 1
			}
		}
		return &File{Alerts: es}
	}
	a1, a2 := scanAlert("198.51.100.7"), scanAlert("203.0.113.5")
	a2.Src.CountryISO = "RU"
	for _, tc := range []struct {
		name   string
		f      *File
		alerts []*alert.Alert
		want   string
	}{
		{"exact match", exp(Expect{Kind: "scan", SignatureID: 8100101, SrcCountry: "CN", Proto: "tcp", DistinctPorts: 15}), []*alert.Alert{a1}, ""},
		{"count of two", exp(Expect{Kind: "scan", Count: 2}), []*alert.Alert{a1, a2}, ""},
		{"none expected, none seen", exp(), nil, ""},
		{"missing", exp(Expect{Kind: "flood"}), nil, "- expected 1, got 0: kind=flood\n"},
		{"too many", exp(Expect{Kind: "scan"}), []*alert.Alert{a1, a2}, "+ expected 1, got 2: kind=scan\n"},
		{"unexpected", exp(Expect{SrcCountry: "CN"}), []*alert.Alert{a1, a2},
			"+ unexpected: kind=scan sid=8100101 src=203.0.113.5 dest=192.0.2.10 src_port=40000 dest_port=15 proto=TCP src_country=RU dest_country=DE geo_direction=inbound action=allowed packets=15 distinct_ports=15 distinct_hosts=0 distinct_sources=1\n"},
		{"a field that differs", exp(Expect{Kind: "scan", DistinctPorts: 16}), []*alert.Alert{a1},
			"- expected 1, got 0: kind=scan distinct_ports=16\n+ unexpected: kind=scan sid=8100101 src=198.51.100.7 dest=192.0.2.10 src_port=40000 dest_port=15 proto=TCP src_country=CN dest_country=DE geo_direction=inbound action=allowed packets=15 distinct_ports=15 distinct_hosts=0 distinct_sources=1\n"},
		{"an action that differs", exp(Expect{Kind: "scan", Action: "blocked"}), []*alert.Alert{a1},
			"- expected 1, got 0: kind=scan action=blocked\n+ unexpected: kind=scan sid=8100101 src=198.51.100.7 dest=192.0.2.10 src_port=40000 dest_port=15 proto=TCP src_country=CN dest_country=DE geo_direction=inbound action=allowed packets=15 distinct_ports=15 distinct_hosts=0 distinct_sources=1\n"},
		{"min distinct sources", exp(Expect{MinDistinctSources: 2}), []*alert.Alert{a1},
			"- expected 1, got 0: min_distinct_sources=2\n+ unexpected: kind=scan sid=8100101 src=198.51.100.7 dest=192.0.2.10 src_port=40000 dest_port=15 proto=TCP src_country=CN dest_country=DE geo_direction=inbound action=allowed packets=15 distinct_ports=15 distinct_hosts=0 distinct_sources=1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compare(tc.f, tc.alerts)
			if got := r.String(); got != tc.want {
				t.Errorf("diff:\n%s\nwant:\n%s", got, tc.want)
			}
			if r.OK() != (tc.want == "") {
				t.Errorf("OK() = %v", r.OK())
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f, err := Load(write("ok.json", `{"alerts":[{"kind":"scan"},{"kind":"flood","count":3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Alerts) != 2 || f.Alerts[0].Count != 1 || f.Alerts[1].Count != 3 {
		t.Errorf("loaded %+v", f.Alerts)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"alerts":[{"knd":"scan"}]}`, `json: unknown field "knd"`},
		{`{}`, `no "alerts" list (use [] to expect none)`},
		{`{"alerts":[{"count":-1}]}`, `alert 1: count must be positive`},
	} {
		_, err := Load(write("bad.json", tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("%s: error %v, want it to name the file and contain %q", tc.body, err, tc.want)
		}
	}
}

// TestLoadRefusesNonRegular: an expectations path naming a device or a FIFO
// is refused at once instead of being read without end or blocking.
func TestLoadRefusesNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/zero": "reading expectations: open /dev/zero: not a regular file (a character device)",
		fifo:        "reading expectations: open " + fifo + ": not a regular file (a FIFO)",
	} {
		done := make(chan error, 1)
		go func() { _, err := Load(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || err.Error() != want {
				t.Errorf("Load(%s) = %v, want %q", path, err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%s) blocks", path)
		}
	}
}
