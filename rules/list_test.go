package rules

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/lists/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseListFormats(t *testing.T) {
	tests := []struct {
		file    string
		format  Format // given; FormatAuto detects
		detect  Format
		n       int
		masked  int
		in, out []string
	}{
		{"plain.txt", FormatAuto, FormatPlain, 6, 1,
			[]string{"1.2.3.255", "10.200.0.1", "2001:db8:ffff::1", "203.0.113.7", "::ffff:203.0.113.7", "5.6.7.8", "9.9.9.9"},
			[]string{"1.2.4.0", "11.0.0.1", "2001:db9::1", "203.0.113.8", "5.6.7.9"}},
		{"firehol.netset", FormatAuto, FormatPlain, 3, 0,
			[]string{"0.1.2.3", "192.0.2.200", "198.51.100.7"},
			[]string{"198.51.100.8", "1.0.0.0"}},
		{"firehol.netset", FormatNetset, FormatNetset, 3, 0, []string{"192.0.2.1"}, []string{"198.51.100.6"}},
		{"drop.txt", FormatAuto, FormatSpamhausDrop, 2, 0,
			[]string{"192.0.2.1", "198.51.100.200"},
			[]string{"198.51.100.127", "203.0.113.1"}},
		{"drop.json", FormatAuto, FormatSpamhausDropJSON, 2, 0,
			[]string{"192.0.2.9", "2001:db8:1:ffff::1"},
			[]string{"2001:db8:2::1", "192.0.3.1"}},
		{"reputation.csv", FormatAuto, FormatIPRep, 3, 0,
			[]string{"192.0.2.1", "198.51.100.99", "2001:db8::1"},
			[]string{"192.0.2.2", "2001:db8::2"}},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+string(tc.format), func(t *testing.T) {
			l, bad := ParseList("x", tc.file, readTestdata(t, tc.file), tc.format)
			if len(bad) != 0 {
				t.Fatalf("bad lines: %v", bad)
			}
			if l.Format() != tc.detect || l.Len() != tc.n || l.Masked() != tc.masked || l.Name() != "x" || l.Source() != tc.file {
				t.Errorf("format %s len %d masked %d, want %s %d %d", l.Format(), l.Len(), l.Masked(), tc.detect, tc.n, tc.masked)
			}
			for _, a := range tc.in {
				if !l.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s not listed", a)
				}
			}
			for _, a := range tc.out {
				if l.Contains(netip.MustParseAddr(a)) {
					t.Errorf("%s listed", a)
				}
			}
		})
	}
}

func TestParseListBadLines(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		format Format
		want   []string
	}{
		{"plain", "192.0.2.1\r\nnot-an-ip\r\n192.0.2.0/33\r\n1.2.3.4 extra\r\nfe80::1%eth0\n::ffff:1.2.3.4/64\n", FormatPlain, []string{
			`2: bad address "not-an-ip": want an IP address or a CIDR`,
			`3: bad CIDR "192.0.2.0/33"`,
			`4: want one address or CIDR, got "1.2.3.4 extra"`,
			`5: bad address "fe80::1%eth0": want an IP address or a CIDR`,
			`6: bad CIDR "::ffff:1.2.3.4/64": IPv4-mapped prefix shorter than /96`,
		}},
		{"iprep", "192.0.2.1,1,100\n192.0.2.2,1\n192.0.2.3,300,1\n192.0.2.4,1,128\nbad,1,1\n", FormatIPRep, []string{
			`2: want ip,category,score; got 2 fields`,
			`3: category "300": want 0..255`,
			`4: score "128": want 0..127`,
			`5: bad address "bad": want an IP address or a CIDR`,
		}},
		{"json", "{\"cidr\":\"192.0.2.0/24\"}\n{\"sblid\":\"SBL1\"}\n{\"cidr\":\n{\"cidr\":\"x\"}\n", FormatSpamhausDropJSON, []string{
			`2: no "cidr" in the record`,
			`3: bad JSON: unexpected end of JSON input at byte 8`,
			`4: bad address "x": want an IP address or a CIDR`,
		}},
		{"lone CR line endings", "192.0.2.1\r192.0.2.x\r", FormatAuto, []string{
			`2: bad address "192.0.2.x": want an IP address or a CIDR`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, bad := ParseList("x", "f", []byte(tc.data), tc.format)
			var got []string
			for _, b := range bad {
				got = append(got, fmt.Sprintf("%d: %s", b.Line, b.Reason))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestParseListHostBitsAndDuplicates(t *testing.T) {
	l, bad := ParseList("x", "f", []byte("\xef\xbb\xbf192.0.2.77/24\n192.0.2.0/24\n2001:db8::1/32\n\n# c\n; c\n"), FormatAuto)
	if len(bad) != 0 {
		t.Fatal(bad)
	}
	if l.Len() != 2 || l.Masked() != 2 {
		t.Errorf("len %d masked %d, want 2 2", l.Len(), l.Masked())
	}
	if !l.Contains(netip.MustParseAddr("192.0.2.1")) || l.Contains(netip.Addr{}) {
		t.Errorf("contains")
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatAuto, "auto": FormatAuto, "ipset": FormatNetset, "netset": FormatNetset, "iprep": FormatIPRep, "spamhaus-drop-json": FormatSpamhausDropJSON} {
		if got, ok := ParseFormat(in); !ok || got != want {
			t.Errorf("ParseFormat(%q) = %q %v", in, got, ok)
		}
	}
	if _, ok := ParseFormat("csv"); ok {
		t.Errorf("csv accepted")
	}
}

// benchList builds a list of n /24s and /48s spread over the address space.
func benchList(n int) *List {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%d.%d.%d.0/24\n", 1+i%223, (i/223)%256, (i*7)%256)
		fmt.Fprintf(&b, "2001:db8:%x::/48\n", i)
	}
	l, _ := ParseList("bench", "bench", []byte(b.String()), FormatPlain)
	return l
}

func TestListContainsNoAlloc(t *testing.T) {
	l := benchList(1000)
	v4, v6, mapped := netip.MustParseAddr("1.0.0.1"), netip.MustParseAddr("2001:db8:5::1"), netip.MustParseAddr("::ffff:1.0.0.1")
	if !l.Contains(v4) || !l.Contains(v6) || !l.Contains(mapped) {
		t.Fatal("bench list misses its own entries")
	}
	if n := testing.AllocsPerRun(1000, func() { l.Contains(v4); l.Contains(v6); l.Contains(mapped) }); n != 0 {
		t.Errorf("Contains allocates %v times", n)
	}
}

func BenchmarkListContains(b *testing.B) {
	l := benchList(50000) // about the size of FireHOL level 1 plus Spamhaus DROP
	addrs := []netip.Addr{
		netip.MustParseAddr("1.0.0.1"), netip.MustParseAddr("198.18.0.1"),
		netip.MustParseAddr("2001:db8:10::1"), netip.MustParseAddr("2a00::1"),
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l.Contains(addrs[i&3])
	}
}

func TestListPrefixes(t *testing.T) {
	l, bad := ParseList("x", "plain.txt", readTestdata(t, "plain.txt"), FormatAuto)
	if len(bad) != 0 {
		t.Fatalf("bad lines: %v", bad)
	}
	var got []string
	for p := range l.Prefixes() {
		got = append(got, p.String())
	}
	// Masked (10.1.2.3/8), unmapped (::ffff:203.0.113.7), IPv4 first.
	want := "1.2.3.0/24 5.6.7.8/32 9.9.9.9/32 10.0.0.0/8 203.0.113.7/32 2001:db8::/32"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("prefixes %s, want %s", s, want)
	}
	if len(got) != l.Len() {
		t.Errorf("%d prefixes, Len %d", len(got), l.Len())
	}
}
