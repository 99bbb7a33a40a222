package sink

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis runs a private redis-server on 127.0.0.1:port, without
// persistence, until the test ends.
func startRedis(t *testing.T, port int) *redis.Client {
	t.Helper()
	bin := needBinary(t, "redis-server")
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	startProcess(t, cmd)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitTCP(t, addr)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	waitFor(t, "redis to answer PING", func() bool { return c.Ping(context.Background()).Err() == nil })
	return c
}

func openRedis(t *testing.T, url string) *Output {
	t.Helper()
	o, err := Open(url, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestRedisModes writes three alerts in each mode and reads them back.
func TestRedisModes(t *testing.T) {
	port := freePort(t, "tcp")
	rc := startRedis(t, port)
	ctx := context.Background()
	base := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
	alerts := []int{1, 2, 3}
	want := make([]string, len(alerts))
	for i, n := range alerts {
		want[i] = eveLine(t, testAlert(n, 1))
	}
	reversed := slices.Clone(want)
	slices.Reverse(reversed)

	write := func(o *Output) {
		for _, n := range alerts {
			o.Write(testAlert(n, 1))
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		if s := o.Stats(); s.Written != 3 || s.Dropped.Total() != 0 {
			t.Errorf("stats %+v, want 3 written, no drops", s)
		}
	}

	t.Run("list", func(t *testing.T) {
		write(openRedis(t, base+"?mode=list&key=bw-list"))
		got, err := rc.LRange(ctx, "bw-list", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, reversed) { // LPUSH: newest first
			t.Errorf("LRANGE = %q, want %q", got, reversed)
		}
	})
	t.Run("rpush", func(t *testing.T) {
		write(openRedis(t, base+"?mode=rpush&key=bw-rpush"))
		got, err := rc.LRange(ctx, "bw-rpush", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("LRANGE = %q, want %q", got, want)
		}
	})
	t.Run("channel", func(t *testing.T) {
		sub := rc.Subscribe(ctx, "bw-chan")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
			t.Fatal(err)
		}
		write(openRedis(t, base+"?mode=channel&key=bw-chan"))
		var got []string
		for range want {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			m, err := sub.ReceiveMessage(rctx)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, m.Payload)
		}
		if !slices.Equal(got, want) {
			t.Errorf("messages %q, want %q", got, want)
		}
	})
	t.Run("stream", func(t *testing.T) {
		write(openRedis(t, base+"?mode=stream&key=bw-stream&maxlen=1000&format=ecs"))
		msgs, err := rc.XRange(ctx, "bw-stream", "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range msgs {
			if len(m.Values) != 1 {
				t.Errorf("entry %s has fields %v, want only alert", m.ID, m.Values)
			}
			got = append(got, m.Values["alert"].(string))
		}
		var wantECS []string
		for _, n := range alerts {
			b, _ := appendAlert(1, nil, testAlert(n, 1))
			wantECS = append(wantECS, string(b[:len(b)-1]))
		}
		if !slices.Equal(got, wantECS) {
			t.Errorf("stream %q, want %q", got, wantECS)
		}
	})
}

// TestDeadTargetDrops writes to a Redis and a syslog server that are not
// there, without a spool: Write never blocks, the queue keeps QueueSize
// alerts, the rest are dropped and counted, and Close reports what it lost.
func TestDeadTargetDrops(t *testing.T) {
	for _, scheme := range []string{"redis", "syslog+tcp"} {
		t.Run(scheme, func(t *testing.T) {
			port := freePort(t, "tcp")
			o := openRedis(t, scheme+"://127.0.0.1:"+strconv.Itoa(port)+"?queue_size=4&backoff_min=5ms&backoff_max=20ms&dial_timeout=1s&drain_timeout=200ms")
			waitFor(t, "the first connect to fail", func() bool { return o.Stats().Errors > 0 })
			for i := range 100 {
				o.Write(testAlert(i, 1))
			}
			s := o.Stats()
			if s.QueueDepth != 4 || s.Dropped.QueueFull != 96 || s.Written != 0 || s.Connected {
				t.Errorf("stats %+v; want 4 queued, 96 dropped queue_full, none written, not connected", s)
			}
			err := o.Close()
			var ue *UndeliveredError
			if !errors.As(err, &ue) || ue.Alerts != 4 {
				t.Errorf("Close error %v, want 4 undelivered", err)
			}
			if s := o.Stats(); s.Dropped.Failed != 4 {
				t.Errorf("dropped failed = %d, want 4", s.Dropped.Failed)
			}
		})
	}
}

// TestRedisSpoolReplay spools alerts while Redis is down, with a cap that
// holds only some of them, then starts Redis and checks the spooled alerts
// arrive, oldest first, and the spool is emptied.
func TestRedisSpoolReplay(t *testing.T) {
	port := freePort(t, "tcp")
	spool := filepath.Join(t.TempDir(), "redis.spool")
	line := eveLine(t, testAlert(0, 1)) // all test lines with one-digit numbers have this length
	capBytes := 6 * (len(line) + 1)
	o := openRedis(t, "redis://127.0.0.1:"+strconv.Itoa(port)+"?mode=rpush&key=k&backoff_min=5ms&backoff_max=50ms&dial_timeout=1s"+
		"&spool="+spool+"&spool_max_bytes="+strconv.Itoa(capBytes))
	waitFor(t, "the first connect to fail", func() bool { return o.Stats().Errors > 0 })
	var want []string
	for i := range 10 {
		o.Write(testAlert(i, 1))
		if i < 6 {
			want = append(want, eveLine(t, testAlert(i, 1)))
		}
	}
	waitFor(t, "10 alerts spooled or dropped", func() bool {
		s := o.Stats()
		return s.Spooled+s.Dropped.SpoolFull == 10
	})
	if s := o.Stats(); s.Spooled != 6 || s.Dropped.SpoolFull != 4 || s.SpoolBytes != int64(capBytes) {
		t.Fatalf("stats %+v; want 6 spooled, 4 dropped spool_full, spool %d bytes", s, capBytes)
	}
	if got := readLines(t, spool); !slices.Equal(got, want) {
		t.Fatalf("spool file %q, want %q", got, want)
	}

	rc := startRedis(t, port)
	waitFor(t, "the spool to be replayed", func() bool { return o.Stats().Replayed == 6 })
	o.Write(testAlert(10, 1)) // after the replay: goes last
	want = append(want, eveLine(t, testAlert(10, 1)))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := rc.LRange(context.Background(), "k", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("LRANGE %q, want %q", got, want)
	}
	if s := o.Stats(); s.Written != 7 || s.SpoolBytes != 0 {
		t.Errorf("stats %+v; want 7 written, empty spool", s)
	}
	if st, err := os.Stat(spool); err != nil || st.Size() != 0 {
		t.Errorf("spool file after replay: %v, %v; want empty", st, err)
	}
}
