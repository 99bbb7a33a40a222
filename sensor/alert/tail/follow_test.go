package tail

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/syncbuf"
)

// follower runs File with Follow on path until the test ends.
type follower struct {
	out, notes syncbuf.Buffer
	tl         *Tail
	cancel     context.CancelFunc
	done       chan error
}

func follow(t *testing.T, path string, opt Options) *follower {
	t.Helper()
	f := &follower{done: make(chan error, 1)}
	opt.Follow, opt.Notes = true, &f.notes
	if opt.Poll == 0 {
		opt.Poll = 10 * time.Millisecond
	}
	var err error
	if f.tl, err = New(&f.out, opt); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() { f.done <- f.tl.File(ctx, path) }()
	t.Cleanup(func() { f.stop(t) })
	return f
}

// stop ends the follower and returns its stats (once; later calls return
// nothing new).
func (f *follower) stop(t *testing.T) Stats {
	t.Helper()
	if f.cancel == nil {
		return f.tl.Stats()
	}
	f.cancel()
	f.cancel = nil
	select {
	case err := <-f.done:
		if err != nil {
			t.Errorf("File: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("File did not return after its context ended")
	}
	return f.tl.Stats()
}

// polled waits (at most 10 s) until the follower has checked the file
// wholly after the call: two more turns of its loop, the first of which
// may end a check begun before. It replaces sleeping for "a few polls",
// which a loaded machine may not give.
func (f *follower) polled(t *testing.T) {
	t.Helper()
	want := f.tl.checks.Load() + 2
	deadline := time.Now().Add(10 * time.Second)
	for f.tl.checks.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the follower did not check the file in 10 s; notes:\n%s", f.notes.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSIDs waits (at most 10 s) until the output holds exactly want, in
// order, and fails with what it holds otherwise.
func (f *follower) waitSIDs(t *testing.T, want ...string) {
	t.Helper()
	w := strings.Join(want, " ")
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := strings.Join(sids(f.out.String()), " ")
		if got == w {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("shown %q, want %q; notes:\n%s", got, w, f.notes.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func appendTo(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "")); err != nil {
		t.Fatal(err)
	}
}

// TestFollowAppend: the last lines, then each new line, also one written
// in two parts; nothing is shown of a line before its newline.
func TestFollowAppend(t *testing.T) {
	l := mixed(t, 6)
	path := filepath.Join(t.TempDir(), "alerts.json")
	appendTo(t, path, l[0], l[1], l[2])
	f := follow(t, path, Options{Lines: 2})
	f.waitSIDs(t, "8100001", "8100002")
	appendTo(t, path, l[3])
	f.waitSIDs(t, "8100001", "8100002", "8100003")
	appendTo(t, path, l[4][:100])
	f.polled(t) // the half line is read, and stays unshown
	appendTo(t, path, l[4][100:], l[5])
	f.waitSIDs(t, "8100001", "8100002", "8100003", "8100004", "8100005")
	if st := f.stop(t); st.Alerts != 6 || st.Skipped() != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFollowRename: rotation by rename and create (logrotate's create):
// what the writer still appends to the renamed file before it reopens is
// shown, then the new file from its start.
func TestFollowRename(t *testing.T) {
	l := mixed(t, 5)
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.json")
	appendTo(t, path, l[0])
	f := follow(t, path, Options{Lines: 10, Linger: time.Minute})
	f.waitSIDs(t, "8100000")
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, l[1]) // the new file
	f.waitSIDs(t, "8100000", "8100001")
	if _, err := w.WriteString(l[2]); err != nil { // the writer has not reopened yet
		t.Fatal(err)
	}
	f.waitSIDs(t, "8100000", "8100001", "8100002")
	appendTo(t, path, l[3], l[4])
	f.waitSIDs(t, "8100000", "8100001", "8100002", "8100003", "8100004")
	if st := f.stop(t); st.Rotations != 1 {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(f.notes.String(), "tail: "+path+": replaced (rotated); following the new file\n") {
		t.Errorf("notes:\n%s", f.notes.String())
	}
}

// TestFollowCopyTruncate: rotation by copy and truncation (logrotate's
// copytruncate): the file is read again from its start.
func TestFollowCopyTruncate(t *testing.T) {
	l := mixed(t, 4)
	path := filepath.Join(t.TempDir(), "alerts.json")
	appendTo(t, path, l[0], l[1])
	f := follow(t, path, Options{Lines: 10})
	f.waitSIDs(t, "8100000", "8100001")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	// wait for the truncation to be seen before the file grows again
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(f.notes.String(), "truncated") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	appendTo(t, path, l[2], l[3])
	f.waitSIDs(t, "8100000", "8100001", "8100002", "8100003")
	if st := f.stop(t); st.Truncated != 1 || st.Skipped() != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFollowNotYet: a file that does not exist yet is waited for and read
// from its start; deleted and created again, it is followed anew.
func TestFollowNotYet(t *testing.T) {
	l := mixed(t, 3)
	path := filepath.Join(t.TempDir(), "alerts.json")
	f := follow(t, path, Options{Lines: 10})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(f.notes.String(), "does not exist yet") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	appendTo(t, path, l[0])
	f.waitSIDs(t, "8100000")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(f.notes.String(), "reading the open file until the path is back") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	appendTo(t, path, l[1], l[2])
	f.waitSIDs(t, "8100000", "8100001", "8100002")
	f.stop(t)
	want := "tail: " + path + ": does not exist yet; waiting for it\n" +
		"tail: " + path + ": appeared; following it\n" +
		"tail: " + path + ": no such file or directory; reading the open file until the path is back\n" +
		"tail: " + path + ": replaced (rotated); following the new file\n"
	if got := f.notes.String(); got != want {
		t.Errorf("notes:\n%s\nwant:\n%s", got, want)
	}
}

// TestFollowLongLine: a line over the bound written in pieces while
// followed is skipped and counted; memory holds at most the bound.
func TestFollowLongLine(t *testing.T) {
	l := mixed(t, 2)
	path := filepath.Join(t.TempDir(), "alerts.json")
	appendTo(t, path, l[0])
	f := follow(t, path, Options{Lines: 10, MaxLineBytes: 4096})
	f.waitSIDs(t, "8100000")
	for range 20 {
		appendTo(t, path, strings.Repeat("z", 1000))
		time.Sleep(2 * time.Millisecond)
	}
	appendTo(t, path, "\n", l[1])
	f.waitSIDs(t, "8100000", "8100001")
	if st := f.stop(t); st.TooLong != 1 {
		t.Errorf("stats %+v", st)
	}
	if want := "tail: " + path + ":2: skipped: longer than 4096 bytes\n"; f.notes.String() != want {
		t.Errorf("notes %q, want %q", f.notes.String(), want)
	}
}

// TestFollowLogrotate: the real logrotate, in create and in copytruncate
// mode, while a writer appends and (in create mode) reopens as the
// sensor does on SIGHUP: every alert is shown once, in order.
func TestFollowLogrotate(t *testing.T) {
	bin, err := exec.LookPath("logrotate")
	if err != nil {
		t.Skip("logrotate not installed (scripts/install-deps.sh installs it)")
	}
	for _, mode := range []string{"create", "copytruncate"} {
		t.Run(mode, func(t *testing.T) {
			l := mixed(t, 6)
			dir := t.TempDir()
			path := filepath.Join(dir, "alerts.json")
			conf := filepath.Join(dir, "logrotate.conf")
			if err := os.WriteFile(conf, []byte(path+" {\n\trotate 3\n\tmissingok\n\tnotifempty\n\t"+mode+"\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			appendTo(t, path, l[0], l[1])
			f := follow(t, path, Options{Lines: 10})
			f.waitSIDs(t, "8100000", "8100001")
			w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { w.Close() }()
			cmd := exec.Command(bin, "--force", "--state", filepath.Join(dir, "state"), conf)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("logrotate: %v\n%s", err, out)
			}
			if _, err := os.Stat(path + ".1"); err != nil {
				t.Fatalf("logrotate did not rotate: %v", err)
			}
			if _, err := w.WriteString(l[2]); err != nil { // before the reopen
				t.Fatal(err)
			}
			f.waitSIDs(t, "8100000", "8100001", "8100002")
			w.Close()
			if w, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil { // the reopen (SIGHUP)
				t.Fatal(err)
			}
			for _, line := range l[3:] {
				if _, err := w.WriteString(line); err != nil {
					t.Fatal(err)
				}
			}
			f.waitSIDs(t, "8100000", "8100001", "8100002", "8100003", "8100004", "8100005")
			st := f.stop(t)
			if (mode == "create") != (st.Rotations == 1) || (mode == "copytruncate") != (st.Truncated == 1) || st.Skipped() != 0 {
				t.Errorf("stats %+v; notes:\n%s", st, f.notes.String())
			}
		})
	}
}

// TestFollowRewritten: a file truncated and written again up to or past
// the offset read before the next check (copytruncate while the sensor
// writes) is read again from its start, not from the middle of a line; a
// file only touched is not.
func TestFollowRewritten(t *testing.T) {
	l := mixed(t, 4) // l[0] and l[2] are EVE lines of the same length
	path := filepath.Join(t.TempDir(), "alerts.json")
	appendTo(t, path, l[0])
	f := follow(t, path, Options{Lines: 10})
	f.waitSIDs(t, "8100000")
	if err := os.Chtimes(path, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.polled(t) // the file checked, only touched
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteAt([]byte(l[2]), 0); err != nil { // same size, new content
		t.Fatal(err)
	}
	f.waitSIDs(t, "8100000", "8100002")
	if _, err := w.WriteAt([]byte(l[0]+l[1]+l[3]), 0); err != nil { // past the offset read
		t.Fatal(err)
	}
	f.waitSIDs(t, "8100000", "8100002", "8100000", "8100001", "8100003")
	if st := f.stop(t); st.Truncated != 2 || st.Skipped() != 0 {
		t.Errorf("stats %+v; notes:\n%s", st, f.notes.String())
	}
}

// TestFollowLargeFile: following a large file starts from the window at
// its end, and a line cut at the end is completed by what follows; the
// file is not taken for truncated.
func TestFollowLargeFile(t *testing.T) {
	lines := mixed(t, 1500) // about 1.7 MiB
	path := filepath.Join(t.TempDir(), "alerts.json")
	last := lines[1499]
	appendTo(t, path, strings.Join(lines[:1499], "")+last[:200])
	f := follow(t, path, Options{Lines: 2})
	f.waitSIDs(t, "8101497", "8101498")
	appendTo(t, path, last[200:])
	f.waitSIDs(t, "8101497", "8101498", "8101499")
	f.polled(t) // checked again after the last line
	if st := f.stop(t); st.Truncated != 0 || st.Alerts >= 1499 || st.Skipped() != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFollowUnreadable: a new file that cannot be opened after a rotation
// (another user's 0640 file) is noted once, retried at each check, and
// followed once it opens.
func TestFollowUnreadable(t *testing.T) {
	var fails atomic.Int32
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if fails.Add(-1) >= 0 {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		return os.OpenFile(name, flag, perm)
	}
	defer func() { openFile = os.OpenFile }()
	l := mixed(t, 3)
	path := filepath.Join(t.TempDir(), "alerts.json")
	appendTo(t, path, l[0])
	f := follow(t, path, Options{Lines: 10})
	f.waitSIDs(t, "8100000")
	fails.Store(20) // 20 checks, 200 ms
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, l[1])
	f.waitSIDs(t, "8100000", "8100001")
	appendTo(t, path, l[2])
	f.waitSIDs(t, "8100000", "8100001", "8100002")
	f.stop(t)
	if n := strings.Count(f.notes.String(), ": permission denied; retrying\n"); n != 1 || fails.Load() >= 0 {
		t.Errorf("%d notes of the denied open (%d opens left to fail):\n%s", n, fails.Load(), f.notes.String())
	}
}

// TestFollowNew: -n 0 follows from the end without reading what is
// there; a line cut at the end is not taken for a bad one.
func TestFollowNew(t *testing.T) {
	l := mixed(t, 3)
	path := filepath.Join(t.TempDir(), "alerts.json")
	appendTo(t, path, l[0], l[1][:300])
	f := follow(t, path, Options{Lines: 0})
	f.polled(t) // at the end, and checked there
	appendTo(t, path, l[1][300:], l[2])
	f.waitSIDs(t, "8100002")
	if st := f.stop(t); st.Lines != 1 || st.Skipped() != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFollowCutBack: a partly written last line that the writer cuts
// back to its last whole line (the sensor after a crash or a full disk)
// is dropped, and the file read on from there: nothing is shown twice,
// whether the cut is seen before or after the file grew again.
func TestFollowCutBack(t *testing.T) {
	l := mixed(t, 4)
	path := filepath.Join(t.TempDir(), "alerts.json")
	appendTo(t, path, l[0], l[1][:300])
	f := follow(t, path, Options{Lines: 10})
	f.waitSIDs(t, "8100000")
	f.polled(t) // the partial line is read
	if err := os.Truncate(path, int64(len(l[0]))); err != nil {
		t.Fatal(err)
	}
	f.polled(t) // the cut is seen
	appendTo(t, path, l[2][:300])
	f.polled(t) // the new partial line is read
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteAt([]byte(l[3]), int64(len(l[0]))); err != nil { // cut back and written again at once
		t.Fatal(err)
	}
	f.waitSIDs(t, "8100000", "8100003")
	if st := f.stop(t); st.Truncated != 0 || st.Partial != 2 || st.Skipped() != 0 {
		t.Errorf("stats %+v; notes:\n%s", st, f.notes.String())
	}
	if n := strings.Count(f.notes.String(), "was cut back; reading on from there\n"); n != 2 {
		t.Errorf("notes:\n%s", f.notes.String())
	}
}
