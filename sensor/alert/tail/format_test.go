package tail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFormatGolden: the EVE and the ECS record of each golden alert of
// sensor/alert print the same line, and the line says what the record
// says.
func TestFormatGolden(t *testing.T) {
	want := map[string]string{
		"tcp_portscan_full": `2026-11-25 22:21:25.123 sev2 portscan      9100001 inbound RU 203.0.113.7:51514 → DE 192.0.2.10:22 TCP [ru,forbidden → home,eu] 100 ports, 1 host, 120 pkts, 7.2 kB "BORDERWATCH port scan from \"forbidden\" zone"` + "\n",
		"udp_flood_blocked": `2026-06-30 21:59:59.500 sev1 reflection    BLOCKED 9100300 transit ?? 198.51.100.9 → FR 192.0.2.53:53 UDP [- → -] 310 sources, 50000 pkts, 25.0 MB "DNS reflection flood"` + "\n",
		"icmpv6_minimal":    `2026-01-02 03:04:05.000 sev3 -             9100200 - ?? 2001:db8::1 → ?? 2001:db8:1::2 IPv6-ICMP type 128 [- → -] "ICMPv6 echo from listed address"` + "\n",
		"gre_no_ports":      `2026-03-01 00:00:00.000 sev2 -             9100400 outbound ?? 198.51.100.1 → ?? 203.0.113.1 GRE [home → -] 12 pkts, 9.0 kB "tunnel to forbidden zone"` + "\n",
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			for _, layout := range []string{"eve", "ecs"} {
				b, err := os.ReadFile(filepath.Join("..", "testdata", name+"."+layout+".golden.json"))
				if err != nil {
					t.Fatal(err)
				}
				if got := formatted(t, string(b)); got != w {
					t.Errorf("%s:\n got %q\nwant %q", layout, got, w)
				}
			}
		})
	}
}

// TestFormatEncoded: alerts the sensor's encoder writes print alike in
// both layouts, IPv6 ends bracketed with their ports.
func TestFormatEncoded(t *testing.T) {
	a := mkAlert("scan", "CN", "DE", 2, 8100101, 1)
	eve, ecs := formatted(t, eveLine(t, a)), formatted(t, ecsLine(t, a))
	want := `2026-11-25 22:00:01.005 sev2 scan          8100101 inbound CN 203.0.113.7:40000 → DE 192.0.2.10:22 TCP [foreign → home] 7 ports, 10 pkts, 600 B "scan test"` + "\n"
	if eve != want || ecs != want {
		t.Errorf("eve %q\necs %q\nwant %q", eve, ecs, want)
	}
	a.SrcIP = mustAddr("2001:db8::7")
	a.DstIP = mustAddr("2001:db8:1::10")
	if got := formatted(t, eveLine(t, a)); !strings.Contains(got, "CN [2001:db8::7]:40000 → DE [2001:db8:1::10]:22 TCP") {
		t.Errorf("IPv6 ends: %q", got)
	}
}

// TestFormatHostile: strings from the file cannot drive the terminal nor
// make an endless line: control characters and bidirectional controls
// are escaped, long values cut, long lists shortened.
func TestFormatHostile(t *testing.T) {
	r := Record{
		Kind: "scan\x1b[2J", Severity: 1, SID: 1, Direction: "inbound",
		SrcCountry: "R\x07U", SrcIP: "203.0.113.7", DestIP: "192.0.2.1", Proto: "TCP",
		Signature: "evil \x1b]0;pwned\x07 \u202eflipped\u202c \u009b31m \xff " + strings.Repeat("x", 500),
		SrcJur:    []string{"a", "b", "c", "d", "e", "f"},
	}
	got := string(Format(nil, &r, false))
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b", "\xff"} {
		if strings.Contains(got, bad) {
			t.Errorf("output holds %q: %q", bad, got)
		}
	}
	for _, want := range []string{`scan\x1b[2J`, `R\x07U`, `evil \x1b]0;pwned\x07 \u202eflipped\u202c \u009b31m \xff xxx`, "x…\"\n", "[a,b,c,+3 → -]"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q: %q", want, got)
		}
	}
	if n := utf8.RuneCountInString(got); n > 400 {
		t.Errorf("line of %d runes for a 500-rune message", n)
	}
	if c := strings.Count(got, "\n"); c != 1 || !strings.HasSuffix(got, "\n") {
		t.Errorf("%d newlines in %q", c, got)
	}
}

// TestFormatColour: with colour the severity is coloured (and still
// written as text), a blocked alert marked in red; without, no escape.
func TestFormatColour(t *testing.T) {
	r := Record{Kind: "flood", Severity: 1, Action: "blocked"}
	got := string(Format(nil, &r, true))
	if !strings.Contains(got, "\x1b[1;31msev1\x1b[0m") || !strings.Contains(got, "\x1b[1m\x1b[31mBLOCKED\x1b[0m") {
		t.Errorf("colour: %q", got)
	}
	if got := string(Format(nil, &r, false)); strings.Contains(got, "\x1b") || !strings.Contains(got, " sev1 flood ") || !strings.Contains(got, " BLOCKED ") {
		t.Errorf("no colour: %q", got)
	}
}
