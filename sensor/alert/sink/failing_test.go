package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// These tests put each output in front of a destination that accepts the
// connection but refuses the write, and check the output backs off (a
// bounded number of attempts and log lines over a fixed span of its
// clock), Close ends at its drain deadline, and every alert is accounted
// for. The outputs run on a fake clock (clock_test.go) the tests advance:
// nothing they check depends on how long things take on a loaded machine.

// logLines is a zerolog destination that counts lines and keeps the first
// few, for the failure message.
type logLines struct {
	mu    sync.Mutex
	n     int
	first []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n += bytes.Count(p, []byte{'\n'})
	if len(l.first) < 5 {
		l.first = append(l.first, strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (l *logLines) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.first, "\n")
}

// cpuTime is the CPU time (user and system) the test process used so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// failSpan is how long, on the output's clock, each test watches a
// failing output.
const failSpan = 2 * time.Second

// watchFailing lets o fail for failSpan of its clock clk and checks the
// attempts (Errors) and log lines over that span, then the CPU the process
// uses while the output waits. With backoff_min=10ms and backoff_max=100ms
// every wait is at most 100 ms and at least 5 ms: 20 to about 60 attempts
// in 2 s. An output that retries without waiting on its clock never
// parks: waitParked gives up.
func watchFailing(t *testing.T, o *Output, clk *fakeClock, logs *logLines) {
	t.Helper()
	advanceUntil(t, o, clk, "the output to fail", func() bool { return o.Stats().Errors > 0 }) // past a linger
	waitParked(t, o, clk)
	e0, l0 := o.Stats().Errors, logs.count()
	var spent time.Duration
	for spent < failSpan {
		d := waitParked(t, o, clk)
		clk.Advance(d)
		spent += d
	}
	waitParked(t, o, clk) // the last attempt is counted
	attempts, lines := o.Stats().Errors-e0, logs.count()-l0
	// Waiting on its clock, the output uses no CPU (a hot loop in a
	// backend would burn about the whole second). Load elsewhere cannot
	// raise this process's CPU time.
	c0 := cpuTime(t)
	time.Sleep(time.Second)
	cpu := cpuTime(t) - c0
	t.Logf("over %s of its clock: %d failed attempts, %d log lines; %s CPU in 1 s of waiting", spent, attempts, lines, cpu)
	if attempts < 20 || attempts > 60 {
		t.Errorf("%d failed attempts in %s, want 20 to 60 (backoff 10ms to 100ms)", attempts, spent)
	}
	if lines > 3 {
		t.Errorf("%d log lines in %s, want ≤ 3 (one per output per interval); first:\n%s", lines, spent, logs)
	}
	if cpu > 500*time.Millisecond {
		t.Errorf("the process used %s of CPU in 1 s while the output waited, want well under half", cpu)
	}
}

// advanceUntil advances clk to the output's next wait until cond holds.
func advanceUntil(t *testing.T, o *Output, clk *fakeClock, what string, cond func() bool) {
	t.Helper()
	waitFor(t, what, func() bool {
		if cond() {
			return true
		}
		if d, ok := clk.next(o.drain + closeGrace); ok {
			clk.Advance(d)
		}
		return cond()
	})
}

// How a Close on a fake clock is expected to go.
type closeCase int

const (
	// closeNow: Close returns with no time passing (everything sent, or
	// spooled at the first failure).
	closeNow closeCase = iota
	// closeRetrying: the destination refuses and there is no spool: Close
	// retries with backoff until the drain deadline, then returns.
	closeRetrying
	// closeBlocked: the output is in a write the drain deadline cuts short.
	closeBlocked
	// closeStuck: the write ignores the deadline; Close returns a
	// StuckError at the end of its grace.
	closeStuck
)

// closeOnClock closes o, whose clock is clk, as how says, and returns
// Close's error. The clock reaches the drain deadline only for
// closeRetrying and closeBlocked, and never the grace after it except for
// closeStuck: Close returning then is the output's own decision (all
// delivered, spooled, or dropped at the deadline), not its grace timer
// giving up on it. Real time only guards against a hung Close.
func closeOnClock(t *testing.T, o *Output, clk *fakeClock, how closeCase) error {
	t.Helper()
	e0 := o.Stats().Errors
	done := make(chan error, 1)
	go func() { done <- o.Close() }()
	if how == closeNow {
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatalf("Close did not return with no time passing on its clock (drain %s)", o.drain)
			return nil
		}
	}
	var early error
	returned := false
	waitFor(t, "Close to set its deadline", func() bool {
		select {
		case early = <-done:
			returned = true
			return true
		default:
			return clk.has(o.drain + closeGrace)
		}
	})
	if returned {
		t.Errorf("Close returned %v with no time passing on its clock, want it to wait for the drain deadline", early)
		return early
	}
	switch how {
	case closeRetrying:
		// Close wakes the backoff for one prompt attempt, which fails;
		// the output waits its backoff again and Close waits for it.
		waitFor(t, "an attempt after Close", func() bool { return o.Stats().Errors > e0 })
		waitParked(t, o, clk)
		select {
		case err := <-done:
			t.Errorf("Close returned %v before the drain deadline, with the destination failing and no spool", err)
			return err
		default:
		}
		clk.Advance(o.drain)
	case closeBlocked:
		clk.Advance(o.drain)
	case closeStuck:
		clk.Advance(o.drain)
		clk.Advance(closeGrace)
	}
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("Close did not return at the drain deadline (case %d, drain %s)", how, o.drain)
		return nil
	}
}

// checkAccounting checks every accepted alert was delivered, spooled or
// counted as dropped, once Close has returned.
func checkAccounting(t *testing.T, o *Output, accepted uint64) {
	t.Helper()
	s := o.Stats()
	if s.Accepted != accepted {
		t.Errorf("accepted %d, want %d", s.Accepted, accepted)
	}
	delivered := s.Written - s.Replayed
	if got := delivered + s.Spooled + s.Dropped.Total(); got != accepted || s.QueueDepth != 0 {
		t.Errorf("delivered %d + spooled %d + dropped %d (%+v) = %d, queue %d; want %d accepted, empty queue",
			delivered, s.Spooled, s.Dropped.Total(), s.Dropped, got, s.QueueDepth, accepted)
	}
}

// checkJSONLines checks every line of path is one whole JSON object, and
// returns the lines.
func checkJSONLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s ends in a partial line %q", filepath.Base(path), b[max(0, bytes.LastIndexByte(b, '\n')+1):])
	}
	lines := readLines(t, path)
	for i, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Errorf("%s line %d is not one JSON object (%v): %.120q", filepath.Base(path), i+1, err, l)
		}
	}
	return lines
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts
// it when the test ends.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs to fill needs root; skipping")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size)+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount -t tmpfs: %v: %s; skipping", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// TestFileDiskFull fills a 16 KiB tmpfs: the file output backs off instead
// of spinning, never leaves a broken line, resumes when space comes back,
// and Close with the disk still full ends at the drain deadline with the
// rest counted as dropped.
func TestFileDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 16<<10)
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 12<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "alerts.json")
	logs := &logLines{}
	clk := newFakeClock()
	o := openClocked(t, "file:"+path+"?batch_size=4&backoff_min=10ms&backoff_max=100ms&drain_timeout=500ms", clk, zerolog.New(logs))
	t.Cleanup(func() { // before the unmount, also on failure
		clk.Advance(o.drain + closeGrace)
		o.Close()
	})

	const n = 20 // about 11 KiB of alerts: fits in 16 KiB, not in 4
	for i := range n {
		o.Write(testAlert(i, 1))
	}
	watchFailing(t, o, clk, logs)
	got := checkJSONLines(t, path)
	if s := o.Stats(); len(got) == 0 || uint64(len(got)) != s.Written {
		t.Errorf("disk full: %d lines in the file, %d counted written; want the same, more than 0", len(got), s.Written)
	}

	// Space comes back: everything is delivered, once, in order.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, o, clk, "every alert written", func() bool { return o.Stats().Written == n })
	got = checkJSONLines(t, path)
	for i := range n {
		if i >= len(got) || got[i] != eveLine(t, testAlert(i, 1)) {
			t.Fatalf("after the disk freed up, line %d is %.80q, want alert %d (%d lines)", i+1, got[min(i, len(got)-1)], i, len(got))
		}
	}
	if len(got) != n {
		t.Fatalf("%d lines, want %d", len(got), n)
	}

	// Full again, then Close: it gives up at the drain deadline.
	if err := os.WriteFile(filler, make([]byte, 4<<10), 0o600); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	for i := n; i < 2*n; i++ {
		o.Write(testAlert(i, 1))
	}
	waitFor(t, "the output to fail again", func() bool { return !o.Stats().Connected })
	err := closeOnClock(t, o, clk, closeRetrying)
	var ue *UndeliveredError
	if !errors.As(err, &ue) || ue.Alerts == 0 {
		t.Errorf("Close error %v, want undelivered alerts", err)
	}
	got = checkJSONLines(t, path)
	s := o.Stats()
	if uint64(len(got)) != s.Written || s.Dropped.Failed == 0 || s.Dropped.Failed != uint64(ue.Alerts) {
		t.Errorf("%d lines, stats %+v; want lines = written, the rest dropped as failed", len(got), s)
	}
	checkAccounting(t, o, 2*n)
}

// TestFileTornLineCut checks a file that ends in a partial line (a crash
// in the middle of a write on a full disk) is cut back to its last whole
// line when the output opens it.
func TestFileTornLineCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	whole := eveLine(t, testAlert(1, 1))
	if err := os.WriteFile(path, []byte(whole+"\n"+whole[:40]), 0o640); err != nil {
		t.Fatal(err)
	}
	o := openFile(t, &FileConfig{Path: path})
	o.Write(testAlert(2, 1))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	got := checkJSONLines(t, path)
	if want := []string{whole, eveLine(t, testAlert(2, 1))}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRedisRefusesWrites runs redis-server and makes every write fail
// while PING works: a string where a list is expected (WRONGTYPE), and a
// server that refuses writes (min-replicas-to-write with no replica).
func TestRedisRefusesWrites(t *testing.T) {
	port := freePort(t, "tcp")
	rc := startRedis(t, port)
	ctx := context.Background()
	if err := rc.Set(ctx, "bw-string", "not a list", 0).Err(); err != nil {
		t.Fatal(err)
	}
	base := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0?backoff_min=10ms&backoff_max=100ms&drain_timeout=500ms&batch_size=4"
	for _, tc := range []struct {
		name, query string
		setup       func()
		cmd         string // the refused command, counted in INFO commandstats
	}{
		{"wrongtype-list", "&mode=list&key=bw-string", func() {}, "lpush"},
		{"wrongtype-stream", "&mode=stream&key=bw-string", func() {}, "xadd"},
		{"noreplicas", "&mode=rpush&key=bw-list", func() {
			if err := rc.ConfigSet(ctx, "min-replicas-to-write", "1").Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rc.ConfigSet(ctx, "min-replicas-to-write", "0") })
		}, "rpush"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			logs := &logLines{}
			clk := newFakeClock()
			o := openClocked(t, base+tc.query, clk, zerolog.New(logs))
			const n = 10
			for i := range n {
				o.Write(testAlert(i, 1))
			}
			calls0 := commandCalls(t, rc, tc.cmd)
			watchFailing(t, o, clk, logs)
			calls := commandCalls(t, rc, tc.cmd) - calls0
			t.Logf("redis ran %s %d times in %s of the output's clock", tc.cmd, calls, failSpan)
			if calls > 60*n { // stream mode sends one XADD per alert
				t.Errorf("redis ran %s %d times, want ≤ %d", tc.cmd, calls, 60*n)
			}
			closeAllFailed(t, o, clk, n)
		})
	}
}

// commandCalls returns how many times redis ran or rejected cmd, from
// INFO commandstats.
func commandCalls(t *testing.T, rc *redis.Client, cmd string) int {
	t.Helper()
	info, err := rc.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(info, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "calls" || k == "rejected_calls" {
				c, _ := strconv.Atoi(v)
				n += c
			}
		}
	}
	return n
}

// TestKafkaProduceErrors makes a kfake broker answer every Produce with a
// non-retriable error: the output backs off, and Close, at its first
// failure, ends at once with everything spooled.
func TestKafkaProduceErrors(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "alerts"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	var produces sync.Mutex
	nProduce := 0
	cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		produces.Lock()
		nProduce++
		produces.Unlock()
		r := req.(*kmsg.ProduceRequest)
		resp := r.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range r.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			st.TopicID = rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	spool := filepath.Join(t.TempDir(), "kafka.spool")
	logs := &logLines{}
	clk := newFakeClock()
	o := openClocked(t, "kafka://"+cluster.ListenAddrs()[0]+"/alerts?backoff_min=10ms&backoff_max=100ms&drain_timeout=500ms&write_timeout=1s&spool="+spool,
		clk, zerolog.New(logs))
	const n = 10
	for i := range n {
		o.Write(testAlert(i, 1))
	}
	watchFailing(t, o, clk, logs)
	produces.Lock()
	t.Logf("kfake answered %d produce requests", nProduce)
	produces.Unlock()
	if err := closeOnClock(t, o, clk, closeNow); err != nil {
		t.Errorf("Close: %v, want nil (everything spooled)", err)
	}
	checkAccounting(t, o, n)
	if s := o.Stats(); s.Spooled != n || len(readLines(t, spool)) != n {
		t.Errorf("stats %+v, spool %d lines; want %d spooled", s, len(readLines(t, spool)), n)
	}
}

// TestErrorLogRateLimit checks a failing output logs its first error, then
// one line per ErrorLogInterval of its clock with the count of errors
// since.
func TestErrorLogRateLimit(t *testing.T) {
	defer func(d time.Duration) { ErrorLogInterval = d }(ErrorLogInterval)
	ErrorLogInterval = 500 * time.Millisecond
	logs := &logLines{}
	port := freePort(t, "tcp")
	clk := newFakeClock()
	o := openClocked(t, "syslog+tcp://127.0.0.1:"+strconv.Itoa(port)+"?backoff_min=10ms&backoff_max=20ms&drain_timeout=100ms", clk, zerolog.New(logs))
	waitFor(t, "the first error", func() bool { return o.Stats().Errors > 0 })
	const span = failSpan + 250*time.Millisecond
	var spent time.Duration
	for spent < span {
		d := waitParked(t, o, clk)
		clk.Advance(d)
		spent += d
	}
	waitParked(t, o, clk)
	if err := closeOnClock(t, o, clk, closeRetrying); err != nil {
		t.Errorf("Close: %v, want nil (nothing queued)", err)
	}
	errs := o.Stats().Errors
	lines := logs.count()
	t.Logf("%d errors, %d log lines in %s of the output's clock:\n%s", errs, lines, spent+o.drain, logs)
	// Over 2.35 s, waits of 5 to 20 ms: 117 to 470 errors; 1 first line
	// + 4 interval lines (each 500 ms after the last, plus at most one
	// 20 ms wait: the 4th by 2.08 s, the 5th not before 2.5 s) + 0 at
	// close (nothing was queued).
	if errs < 100 || lines != 5 {
		t.Errorf("%d errors gave %d log lines, want 5 (the first, then one per %s)", errs, lines, ErrorLogInterval)
	}
	if l := logs.String(); !strings.Contains(l, `"message":"alert output still down; errors since the last line"`) || !strings.Contains(l, `"errors":`) {
		t.Errorf("no interval line with a count of errors in\n%s", l)
	}
}

// TestFileDeletedReopen deletes the alert file while the output runs: it is
// noticed within about a second, the file is recreated, and the alerts
// written to the deleted file since the last check are in the new one.
func TestFileDeletedReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	o := openFile(t, &FileConfig{Path: path})
	o.Write(testAlert(0, 1))
	waitFor(t, "the first alert written", func() bool { return o.Stats().Written == 1 })
	// One check passes with the file there (and the first alert in it):
	// checks run in the goroutine that wrote it, so one ending after
	// this read began after the write.
	fb := o.b.(*fileBackend)
	c0 := fb.checks.Load()
	waitFor(t, "a check of the file", func() bool { return fb.checks.Load() > c0 })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 1; i <= 3; i++ {
		o.Write(testAlert(i, 1))
		want = append(want, eveLine(t, testAlert(i, 1)))
	}
	waitFor(t, "the deleted file to be noticed", func() bool { return o.Stats().Reopens == 1 })
	o.Write(testAlert(4, 1))
	want = append(want, eveLine(t, testAlert(4, 1)))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if got := checkJSONLines(t, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("new file has %d lines %.200q, want alerts 1–4", len(got), got)
	}
	if s := o.Stats(); s.Written != 5 || s.Reopens != 1 {
		t.Errorf("stats %+v, want 5 written, 1 reopen", s)
	}
}

// shortWriter takes writes up to limit bytes in all and fails the write
// that would go past it after taking part of it, like a pipe whose reader
// stalls.
type shortWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
	fails int
}

func (w *shortWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.limit - w.buf.Len(); room < len(p) {
		w.fails++
		w.buf.Write(p[:max(0, room)])
		return max(0, room), syscall.EAGAIN
	}
	return w.buf.Write(p)
}

func (w *shortWriter) set(limit int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limit = limit
}

func (w *shortWriter) state() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String(), w.fails
}

// TestStreamShortWrite checks a line torn by a short write on stdout is
// finished when the stream takes writes again, and nothing is sent twice.
func TestStreamShortWrite(t *testing.T) {
	var want []string
	for i := range 3 {
		want = append(want, eveLine(t, testAlert(i, 1)))
	}
	w := &shortWriter{limit: len(want[0]) + 1 + len(want[1])/2} // one and a half alerts
	o, err := newOutput("stdout", "stdout", &Common{BatchSize: 3, BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond},
		&streamBackend{w: w}, SpoolConfig{}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		o.Write(testAlert(i, 1))
	}
	waitFor(t, "a short write", func() bool { _, f := w.state(); return f > 0 })
	w.set(1 << 20)
	waitFor(t, "3 alerts written", func() bool { return o.Stats().Written == 3 })
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.state(); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("stream holds\n%s\nwant the 3 lines once each", got)
	}
}

// TestKafkaCloseBrokerSilent makes a kfake broker never answer Produce:
// Close still ends at the drain deadline (the write timeout is much
// longer), dropping (no spool) what the broker did not acknowledge.
func TestKafkaCloseBrokerSilent(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "alerts"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		return nil, nil, true // no answer
	})
	clk := newFakeClock()
	o := openClocked(t, "kafka://"+cluster.ListenAddrs()[0]+"/alerts?drain_timeout=500ms&write_timeout=30s", clk, testLog(t))
	const n = 5
	for i := range n {
		o.Write(testAlert(i, 1))
	}
	err = closeOnClock(t, o, clk, closeBlocked)
	var ue *UndeliveredError
	if !errors.As(err, &ue) {
		t.Errorf("Close error %v, want undelivered alerts", err)
	}
	checkAccounting(t, o, n)
}

// closeAllFailed closes o (at its drain deadline, retrying until then)
// after a peer refused all of its n alerts: Close reports them
// undelivered, none was written, all count as failed, and the accounting
// holds.
func closeAllFailed(t *testing.T, o *Output, clk *fakeClock, n uint64) {
	t.Helper()
	err := closeOnClock(t, o, clk, closeRetrying)
	var ue *UndeliveredError
	if !errors.As(err, &ue) || uint64(ue.Alerts) != n {
		t.Errorf("Close error %v, want %d undelivered", err, n)
	}
	if s := o.Stats(); s.Written != 0 || s.Dropped.Failed != n {
		t.Errorf("stats %+v, want none written, %d dropped as failed", s, n)
	}
	checkAccounting(t, o, n)
}

// silentServer listens on loopback TCP and holds every connection open,
// never reading from it nor answering (a read buffer of readBuf bytes when
// > 0), until the test ends; it returns the address.
func silentServer(t *testing.T, readBuf int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if readBuf > 0 {
				c.(*net.TCPConn).SetReadBuffer(readBuf)
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

// TestSyslogCloseStalledPeer sends to a TCP server that accepts and never
// reads: once the socket buffers are full the write blocks. Close still
// ends at the drain deadline (the write timeout is much longer), and
// every alert is accounted for.
func TestSyslogCloseStalledPeer(t *testing.T) {
	addr := silentServer(t, 4096)
	clk := newFakeClock()
	o := openClocked(t, "syslog+tcp://"+addr+"?queue_size=40000&write_timeout=1m&drain_timeout=500ms", clk, testLog(t))
	const n = 40000 // about 25 MB: more than loopback socket buffers take
	for i := range n {
		o.Write(testAlert(i%10, 1))
	}
	err := closeOnClock(t, o, clk, closeBlocked)
	var ue *UndeliveredError
	if !errors.As(err, &ue) || ue.Alerts == 0 {
		t.Errorf("Close error %v, want undelivered alerts", err)
	}
	checkAccounting(t, o, n)
}

// TestSpoolDiskFull fills the tmpfs a spool is on: what fits is spooled as
// whole lines, the rest is counted (spool_full), and the spool file never
// holds a partial line.
func TestSpoolDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 16<<10)
	path := filepath.Join(dir, "s.spool")
	s, err := openSpool(path, 1<<20) // the cap is above what the disk holds
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	line := eveLine(t, testAlert(0, 1))
	total := 0
	for range 10 { // 10 batches of 5 lines, about 27 KiB
		var batch []string
		for range 5 {
			batch = append(batch, line)
		}
		n, _ := s.append(entries(batch...))
		total += n
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' || int64(len(b)) != s.sizeNow() {
		t.Fatalf("spool of %d bytes (size %d) ends in %q; want whole lines", len(b), s.sizeNow(), b[max(0, len(b)-20):])
	}
	if got := bytes.Count(b, []byte{'\n'}); got != total || total == 0 || total >= 50 {
		t.Errorf("spool holds %d lines, append reported %d; want the same, between 1 and 49", got, total)
	}
	// The disk freed up: the next append lands on a whole line.
	os.Truncate(path, 0) // stands in for space freed elsewhere
	s.size.Store(0)
	if n, err := s.append(entries(line)); n != 1 || err != nil {
		t.Fatalf("append after space came back = %d, %v", n, err)
	}
	if got := readLines(t, path); len(got) != 1 || got[0] != line {
		t.Errorf("spool holds %q, want one whole line", got)
	}
}

// TestCloseStuckWrite blocks stdout-like output in a write nothing can cut
// short (a pipe nobody reads): Close still returns, at the end of the
// grace after the drain deadline, with a StuckError.
func TestCloseStuckWrite(t *testing.T) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pr.Close() })
	clk := newFakeClock()
	o, err := newOutput("stdout", "stdout", &Common{DrainTimeout: 200 * time.Millisecond, clock: clk}, &streamBackend{w: pw}, SpoolConfig{}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		o.Write(testAlert(i, 1))
	}
	err = closeOnClock(t, o, clk, closeStuck)
	var se *StuckError
	if !errors.As(err, &se) {
		t.Errorf("Close error %v, want a StuckError", err)
	}
}

// TestSpoolUnreadable starts an output on a spool whose first line is
// longer than the replay reads: the spool is discarded and its lines
// counted as SpoolDiscarded, not as drops of alerts accepted in this run.
func TestSpoolUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	good := eveLine(t, testAlert(1, 1))
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 70<<10)+"\n"+good+"\n"+good+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	o, err := newOutput("stdout", "stdout", &Common{}, &streamBackend{w: &buf}, SpoolConfig{Path: path, MaxBytes: 1 << 20}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the spool to be discarded", func() bool { return o.Stats().SpoolDiscarded > 0 })
	o.Write(testAlert(2, 1))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if s := o.Stats(); s.SpoolDiscarded != 3 || s.Dropped.Total() != 0 || s.Written != 1 {
		t.Errorf("stats %+v; want 3 discarded, no drops, 1 written", s)
	}
	checkAccounting(t, o, 1)
	if got, want := buf.String(), eveLine(t, testAlert(2, 1))+"\n"; got != want {
		t.Errorf("stream %q, want %q", got, want)
	}
}
