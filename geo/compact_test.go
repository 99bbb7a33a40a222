package geo

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadASNCSV(t *testing.T) {
	in := `ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization
192.0.2.0,192.0.2.127,64500,"Example, Inc."
192.0.2.128,192.0.2.255,64500,Another name
198.51.100.0,198.51.100.255,64501,Wide
198.51.100.16,198.51.100.31,64502,Inside
203.0.113.0,203.0.113.255,0,None
2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64503,Six
`
	db, err := ReadASNCSV("t.csv", strings.NewReader(in), time.Unix(1767225600, 0))
	if err != nil {
		t.Fatal(err)
	}
	if db.Networks() != 6 || db.Overlaps() != 1 || db.ASOrg(64500) != "Example, Inc." {
		t.Errorf("networks %d overlaps %d org %q", db.Networks(), db.Overlaps(), db.ASOrg(64500))
	}
	// Adjacent rows of one AS merge; the later, overlapping row wins and the
	// earlier keeps both of its ends.
	var got []string
	for _, s := range db.d.v4 {
		got = append(got, numAddr(s.from, true).String()+"-"+numAddr(s.to, true).String()+"=AS"+itoa(db.d.recs[s.rec].asn))
	}
	want := "192.0.2.0-192.0.2.255=AS64500 198.51.100.0-198.51.100.15=AS64501 198.51.100.16-198.51.100.31=AS64502 198.51.100.32-198.51.100.255=AS64501"
	if strings.Join(got, " ") != want {
		t.Errorf("spans %s\nwant  %s", strings.Join(got, " "), want)
	}

	// Round trip through the compact form keeps spans, records and names.
	var buf bytes.Buffer
	if err := db.WriteCompact(&buf, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	d, err := decodeCompact("c", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.v4) != 4 || len(d.v6) != 1 || d.orgs[64503] != "Six" || d.networks != 6 || !d.src.BuildTime.Equal(time.Unix(1767225600, 0)) ||
		d.v6[0] != db.d.v6[0] || d.v4[3] != db.d.v4[3] || d.recs[d.v4[3].rec].asn != 64501 {
		t.Errorf("round trip: %+v", d)
	}

	for _, c := range []struct{ in, want string }{
		{"192.0.2.128,192.0.2.255,1,a\n192.0.2.0,192.0.2.127,2,b\n", "t.csv:2: range 192.0.2.0-192.0.2.127 starts before the previous one (rows must be sorted)"},
		{"192.0.2.0,192.0.2.127,AS1,a\n", `t.csv:1: bad AS number "AS1"`},
		{"192.0.2.9,192.0.2.1,1,a\n", `t.csv:1: bad range "192.0.2.9"-"192.0.2.1"`},
		{"192.0.2.0,2001:db8::,1,a\n", `t.csv:1: bad range "192.0.2.0"-"2001:db8::"`},
		{"192.0.2.0\n", "t.csv:1: 1 fields, want 3 or 4"},
		{"192.0.2.0,192.0.2.1,1,\"" + strings.Repeat("x", 2000) + "\"\n", "t.csv:1: field of 2000 bytes, over the limit of 1024"},
		{"192.0.2.0,192.0.2.1,0,a\n", "t.csv: no ranges with an AS number"},
	} {
		if _, err := ReadASNCSV("t.csv", strings.NewReader(c.in), time.Time{}); err == nil || err.Error() != c.want {
			t.Errorf("%.40q: error %v, want %s", c.in, err, c.want)
		}
	}
}

func itoa(n uint32) string { return string(appendUint(nil, n)) }

func appendUint(b []byte, n uint32) []byte {
	if n >= 10 {
		b = appendUint(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// TestDecodeCompactCorrupt cuts and flips the compact form of a small table:
// every damaged copy gives an error or a table, never a panic, and the
// errors name an offset.
func TestDecodeCompactCorrupt(t *testing.T) {
	db, err := ReadASNCSV("t.csv", strings.NewReader("192.0.2.0,192.0.2.127,64500,A\n198.51.100.0,198.51.100.255,64501,B\n2001:db8::,2001:db8::ff,64502,C\n"), time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := db.WriteCompact(&buf, "test", time.Time{}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for n := range len(good) {
		if _, err := decodeCompact("c", good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	for i := range good {
		b := bytes.Clone(good)
		b[i] ^= 0xff
		_, _ = decodeCompact("c", b) // must not panic
	}
	_, err = decodeCompact("c", append(bytes.Clone(good), 0))
	if err == nil || err.Error() != "offset "+itoa(uint32(len(good)))+": 1 bytes of trailing data" {
		t.Errorf("trailing byte: %v", err)
	}
	// A span count larger than the data can hold is refused before allocating.
	huge := []byte(compactMagic + "\x00\x00\x00\xff\xff\xff\xff\x0f")
	if _, err := decodeCompact("c", huge); err == nil || !strings.Contains(err.Error(), "record count 4294967295 over the limit") {
		t.Errorf("huge count: %v", err)
	}
	if _, err := decompress(bytes.Repeat([]byte{0x28, 0xb5}, 10)); err == nil {
		t.Error("garbage decompressed")
	}
}

func TestEmbeddedLayersDecode(t *testing.T) {
	reg, err := EmbeddedRegistration()
	if err != nil {
		t.Fatal(err)
	}
	asn, err := EmbeddedASN()
	if err != nil {
		t.Fatal(err)
	}
	if reg.Networks() < 500000 || len(reg.d.v4) < 100000 || len(reg.d.v6) < 10000 || asn.Networks() < 400000 || len(asn.d.orgs) < 50000 {
		t.Errorf("registration %d networks %d+%d spans; asn %d networks %d orgs", reg.Networks(), len(reg.d.v4), len(reg.d.v6), asn.Networks(), len(asn.d.orgs))
	}
	for _, r := range reg.d.recs {
		if r.country != 0 || r.asn != 0 {
			t.Fatalf("registration record with location or AS: %+v", r)
		}
	}
}

// TestOpenRefusesNonRegularAndHuge: --geoip and --asn-db are read whole, so
// a FIFO, a device or a file over MaxDBFileSize is refused before reading.
func TestOpenRefusesNonRegularAndHuge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.mmdb")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxDBFileSize + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	cases := []struct{ path, want string }{
		{big, "opening geoip database: open " + big + ": file larger than the limit of 256 MiB"},
		{dir, "opening geoip database: open " + dir + ": not a regular file (a folder)"},
	}
	if runtime.GOOS == "linux" {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		// No writer: opening it would block, so it must be refused first.
		cases = append(cases,
			struct{ path, want string }{fifo, "opening geoip database: open " + fifo + ": not a regular file (a FIFO)"},
			struct{ path, want string }{"/dev/zero", "opening geoip database: open /dev/zero: not a regular file (a character device)"})
	}
	for _, c := range cases {
		// Bounded: reading a FIFO without a writer or /dev/zero would
		// not return.
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := Open(c.path); err == nil || err.Error() != c.want {
				t.Errorf("Open(%s): %v\nwant %s", c.path, err, c.want)
			}
			wantASN := strings.Replace(c.want, "geoip database", "asn database", 1)
			if _, err := OpenASN(c.path); err == nil || err.Error() != wantASN {
				t.Errorf("OpenASN(%s): %v\nwant %s", c.path, err, wantASN)
			}
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("Open(%s) still reading after 20 s", c.path)
		}
	}
}

// xs is an endless run of 'x' (no newline), counting the bytes read.
type xs struct{ n int }

func (x *xs) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	x.n += len(p)
	return len(p), nil
}

// TestReadASNCSVLongLine: a line without end is rejected with its number
// after a few KiB read, not read whole into memory.
func TestReadASNCSVLongLine(t *testing.T) {
	x := &xs{}
	in := io.MultiReader(strings.NewReader("192.0.2.0,192.0.2.1,1,a\n"), io.LimitReader(x, 64<<20))
	_, err := ReadASNCSV("t.csv", in, time.Time{})
	if want := "t.csv:2: line longer than 4096 bytes"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if x.n > 64<<10 {
		t.Errorf("read %d bytes of the endless line, want at most 64 KiB", x.n)
	}
}
