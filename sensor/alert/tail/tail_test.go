package tail

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
)

// mixed is an alert file in both layouts: scans from CN (sev 2), floods
// from US (sev 1), alternating EVE and ECS, n alerts.
func mixed(t testing.TB, n int) []string {
	t.Helper()
	var lines []string
	for i := range n {
		a := mkAlert("scan", "CN", "DE", 2, uint32(8100000+i), i)
		if i%3 == 2 {
			a = mkAlert("flood", "US", "FR", 1, uint32(8100000+i), i)
		}
		if i%2 == 0 {
			lines = append(lines, eveLine(t, a))
		} else {
			lines = append(lines, ecsLine(t, a))
		}
	}
	return lines
}

// sids are the rule ids of the formatted lines in out, in order.
func sids(out string) []string {
	var s []string
	for l := range strings.Lines(out) {
		if f := strings.Fields(l); len(f) > 4 {
			s = append(s, f[4])
		}
	}
	return s
}

func run(t *testing.T, opt Options, in string) (string, string, Stats) {
	t.Helper()
	var out, notes bytes.Buffer
	opt.Notes = &notes
	tl, err := New(&out, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.Reader("stdin", strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	return out.String(), notes.String(), tl.Stats()
}

// TestLastLines: the last N matching alerts, every one with All, none
// with 0; the filter applies before the count.
func TestLastLines(t *testing.T) {
	in := strings.Join(mixed(t, 12), "")
	for _, c := range []struct {
		name  string
		opt   Options
		want  string
		shown uint64
	}{
		{"last 10", Options{Lines: 10}, "8100002 8100003 8100004 8100005 8100006 8100007 8100008 8100009 8100010 8100011", 10},
		{"all", Options{Lines: All}, "8100000 8100001 8100002 8100003 8100004 8100005 8100006 8100007 8100008 8100009 8100010 8100011", 12},
		{"none", Options{Lines: 0}, "", 0},
		{"last 3 floods", Options{Lines: 3, Filter: &Filter{Kinds: []string{"flood"}}}, "8100005 8100008 8100011", 3},
		{"severity 1 from US", Options{Lines: All, Filter: &Filter{Countries: []string{"US"}, MinSeverity: 1}}, "8100002 8100005 8100008 8100011", 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, notes, st := run(t, c.opt, in)
			if got := strings.Join(sids(out), " "); got != c.want {
				t.Errorf("rule ids %q, want %q", got, c.want)
			}
			if st.Shown != c.shown || st.Alerts != 12 || st.Lines != 12 || notes != "" {
				t.Errorf("stats %+v, notes %q", st, notes)
			}
		})
	}
}

// TestJSONPassThrough: --json writes the matching lines byte for byte:
// spacing, key order, CRLF and a last line without newline kept.
func TestJSONPassThrough(t *testing.T) {
	l := mixed(t, 4) // scan EVE, scan ECS, flood EVE, scan ECS
	odd := strings.Replace(l[0], `{"timestamp":`, `{ "timestamp" :`, 1)
	crlf := strings.TrimSuffix(l[1], "\n") + "\r\n"
	last := strings.TrimSuffix(l[3], "\n")
	in := odd + crlf + l[2] + last
	out, _, st := run(t, Options{Lines: All, JSON: true, Filter: &Filter{Kinds: []string{"scan"}}}, in)
	if want := odd + crlf + last; out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
	if st.Shown != 3 || st.Alerts != 4 {
		t.Errorf("stats %+v", st)
	}
}

// TestBadLines: lines that are too long, not JSON, not alerts or
// unreadable alerts are skipped, counted and noted with their line
// number; the alerts around them are shown.
func TestBadLines(t *testing.T) {
	good := mixed(t, 3)
	in := good[0] +
		strings.Repeat("x", 5000) + "\n" + // too long
		"not json\n" +
		`{"timestamp":"2026-11-25T22:00:00.000000+0000","event_type":"stats"}` + "\n" +
		`{"timestamp":"yesterday","event_type":"alert","alert":{"severity":1}}` + "\n" +
		`{"timestamp":"2026-11-25T22:00:00.000000+0000","event_type":"alert","alert":{"severity":"high"}}` + "\n" +
		"\n   \n" +
		`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}` + "\n" +
		`{"secret":"hunter2",` + "\n" +
		good[1] + strings.Repeat("y", 3000) + good[2]
	out, notes, st := run(t, Options{Lines: All, MaxLineBytes: 2048}, in)
	if got := strings.Join(sids(out), " "); got != "8100000 8100001" {
		t.Errorf("shown %q, want the first two alerts (the third is in the long line)", got)
	}
	wantNotes := `tail: stdin:2: skipped: longer than 2048 bytes
tail: stdin:3: skipped: not JSON: not a JSON object
tail: stdin:5: skipped: unreadable alert: timestamp: not an EVE time
tail: stdin:6: skipped: unreadable alert: field alert.severity: string where int was expected
tail: stdin:9: skipped: unreadable alert: neither an EVE record (event_type) nor an ECS record (ecs.version)
tail: stdin:10: skipped: not JSON: syntax error at offset 20
tail: stdin:12: skipped: longer than 2048 bytes
`
	if notes != wantNotes {
		t.Errorf("notes:\n%s\nwant:\n%s", notes, wantNotes)
	}
	if strings.Contains(notes, "hunter2") {
		t.Error("a note quotes the file")
	}
	want := Stats{Lines: 8, Alerts: 2, Shown: 2, NotJSON: 2, NotAlert: 1, BadAlert: 3, TooLong: 2}
	if st != want {
		t.Errorf("stats %+v\nwant  %+v", st, want)
	}
	if got, w := st.Summary(), "skipped 8 lines: 2 not JSON, 1 not alerts, 3 unreadable alerts, 2 too long"; got != w {
		t.Errorf("summary %q, want %q", got, w)
	}
}

// TestNotesBounded: a file of bad lines gives maxNotes notes and one line
// saying the rest are counted.
func TestNotesBounded(t *testing.T) {
	_, notes, st := run(t, Options{Lines: All}, strings.Repeat("garbage\n", 1000))
	if n := strings.Count(notes, "\n"); n != maxNotes+1 || !strings.HasSuffix(notes, "tail: further skipped lines are only counted\n") {
		t.Errorf("%d notes:\n%s", n, notes)
	}
	if st.NotJSON != 1000 {
		t.Errorf("stats %+v", st)
	}
}

// TestHeldBytesBound: the last N alerts are held within a byte bound;
// those that do not fit are left out, counted and noted.
func TestHeldBytesBound(t *testing.T) {
	lines := mixed(t, 20)
	var out, notes bytes.Buffer
	tl, err := New(&out, Options{Lines: 15, JSON: true, Notes: &notes})
	if err != nil {
		t.Fatal(err)
	}
	tl.maxHeld = 5 * len(lines[0]) // five EVE lines; ECS lines are longer
	if err := tl.Reader("stdin", strings.NewReader(strings.Join(lines, ""))); err != nil {
		t.Fatal(err)
	}
	st := tl.Stats()
	if out.Len() > tl.maxHeld || st.Shown == 0 || st.Shown+st.LeftOut != 15 || !strings.HasSuffix(out.String(), lines[19]) {
		t.Errorf("%d bytes shown for a bound of %d, stats %+v", out.Len(), tl.maxHeld, st)
	}
	if want := fmt.Sprintf("tail: only the last %d alerts fitted in", st.Shown); !strings.HasPrefix(notes.String(), want) {
		t.Errorf("notes %q, want %q…", notes.String(), want)
	}
}

// TestOptionsBounds: New refuses what is out of bounds.
func TestOptionsBounds(t *testing.T) {
	for _, o := range []Options{{Lines: -2}, {Lines: MaxLines + 1}, {MaxLineBytes: -1}, {MaxLineBytes: MaxMaxLineBytes + 1}} {
		if _, err := New(&bytes.Buffer{}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestFileNotRegular: a folder or a FIFO is refused at once (the FIFO
// without hanging the open), a missing file is an error without --follow.
func TestFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want error
	}{{dir, boundedfile.ErrNotRegular}, {fifo, boundedfile.ErrNotRegular}, {filepath.Join(dir, "missing"), os.ErrNotExist}} {
		tl, err := New(&bytes.Buffer{}, Options{Lines: 10})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = tl.File(ctx, c.path)
		cancel()
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: %v, want %v", c.path, err, c.want)
		}
	}
}

// TestFileLastLines: a file without --follow shows its last lines, its
// last line even without a newline.
func TestFileLastLines(t *testing.T) {
	lines := mixed(t, 5)
	path := filepath.Join(t.TempDir(), "alerts.json")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")+strings.TrimSuffix(lines[0], "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tl, err := New(&out, Options{Lines: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.File(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sids(out.String()), " "); got != "8100003 8100004 8100000" {
		t.Errorf("shown %q", got)
	}
}

// TestFileInterrupted: a done context stops the reading of a file at
// once, also before its end, without an error.
func TestFileInterrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	if err := os.WriteFile(path, []byte(strings.Repeat(mixed(t, 1)[0], 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tl, err := New(&out, Options{Lines: All})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tl.File(ctx, path); err != nil {
		t.Fatal(err)
	}
	if st := tl.Stats(); st.Lines != 0 || out.Len() != 0 {
		t.Errorf("read %+v after the interrupt", st)
	}
}

// TestFileFromEnd: the last N alerts of a large file are found by
// reading windows at its end, growing to the whole file when needed, and
// are the same as a reading of the whole file gives; a bad line in the
// window is noted with its byte offset.
func TestFileFromEnd(t *testing.T) {
	lines := mixed(t, 3000) // about 3.5 MiB
	for i := range 5 {
		lines[i] = eveLine(t, mkAlert("sweep", "BR", "DE", 3, uint32(7000000+i), i))
	}
	bad := len(strings.Join(lines[:2990], ""))
	lines[2990] = "not json\n"
	content := strings.Join(lines, "")
	path := filepath.Join(t.TempDir(), "alerts.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		opt       Options
		wholeFile bool
	}{
		{"last 10", Options{Lines: 10}, false},
		{"last 10 json", Options{Lines: 10, JSON: true}, false},
		{"last 50 floods of US", Options{Lines: 50, Filter: &Filter{Kinds: []string{"flood"}, Countries: []string{"US"}}}, false},
		{"last 2000", Options{Lines: 2000}, true},
		{"the 5 sweeps at the start", Options{Lines: 10, Filter: &Filter{Kinds: []string{"sweep"}}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantOut, wantNotes, full := run(t, c.opt, content)
			var out, notes bytes.Buffer
			opt := c.opt
			opt.Notes = &notes
			tl, err := New(&out, opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := tl.File(context.Background(), path); err != nil {
				t.Fatal(err)
			}
			if out.String() != wantOut {
				t.Errorf("shown %q\nwant %q", sids(out.String()), sids(wantOut))
			}
			st := tl.Stats()
			if c.wholeFile != (st.Lines == full.Lines) || st.Lines == 0 {
				t.Errorf("read %d of %d lines", st.Lines, full.Lines)
			}
			wantNote := fmt.Sprintf("tail: %s: byte %d: skipped: not JSON: not a JSON object\n", path, bad)
			if c.wholeFile {
				wantNote = fmt.Sprintf("tail: %s:2991: skipped: not JSON: not a JSON object\n", path)
			}
			if notes.String() != wantNote || !strings.Contains(wantNotes, ":2991: skipped: not JSON") {
				t.Errorf("notes %q, want %q", notes.String(), wantNote)
			}
		})
	}
}

// TestFileGzip: a gzip-compressed file (logrotate's compress) is read
// decompressed; --follow refuses it.
func TestFileGzip(t *testing.T) {
	lines := mixed(t, 4)
	path := filepath.Join(t.TempDir(), "alerts.json.2.gz")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(strings.Join(lines, "")))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tl, err := New(&out, Options{Lines: 3, JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.File(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(lines[1:], ""); out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
	tl, err = New(&out, Options{Lines: 3, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.File(context.Background(), path); err == nil || !strings.Contains(err.Error(), "gzip-compressed: --follow follows plain alert files only") {
		t.Errorf("--follow on a gzip file: %v", err)
	}
}
