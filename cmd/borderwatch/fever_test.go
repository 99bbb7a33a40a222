package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/sensor/alert/evetest"
)

// startProc starts a helper process bound to ctx; it is killed and waited
// for when the test ends. Its output is logged when the test fails.
func startProc(t *testing.T, ctx context.Context, dir, name string, args ...string) {
	t.Helper()
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s", name, logs.String())
		}
	})
}

// TestFeverReadsRedisKeySuricata is the documented way to feed fever (DCSO,
// Debian package fever) and other consumers of Suricata's Redis output: a
// real redis-server, borderwatch's Redis output in list mode on the key
// "suricata", fever reading that key (fever run -r). The sample's alert must
// come out of fever's forwarding socket, valid EVE.
func TestFeverReadsRedisKeySuricata(t *testing.T) {
	for _, tool := range []string{"fever", "redis-server"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: skipping the fever through Redis check", tool)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A free loopback port for redis-server.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	startProc(t, ctx, dir, "redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 200 {
			t.Fatalf("redis-server did not listen on %s within 10 s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	out := filepath.Join(dir, "out.sock")
	ln, err := net.Listen("unix", out)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	startProc(t, ctx, dir, "fever", "run", "--in-redis", addr, "--out-socket", out,
		"--mgmt-socket", filepath.Join(dir, "mgmt.sock"), "--flowreport-interval", "0", "--dummy")
	if err := ln.(*net.UnixListener).SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	fwd, err := ln.Accept()
	if err != nil {
		t.Fatalf("fever did not connect to its output socket: %v", err)
	}
	defer fwd.Close()

	_, stderr, code := runCLI(t, "--sensor-name", "gw-redis", "replay", "-q",
		"--output", "redis://"+addr+"/0?mode=list&key=suricata", samplePath)
	if code != exitOK {
		t.Fatalf("replay to redis: exit %d\n%s", code, stderr)
	}
	if err := fwd.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(fwd).ReadBytes('\n')
	if err != nil {
		t.Fatalf("fever forwarded nothing from the Redis key suricata: %v", err)
	}
	for _, want := range []string{`"event_type":"alert"`, `"signature_id":8100101`, `"host":"gw-redis"`,
		`"pcap_filename":` + strconv.Quote(samplePath)} {
		if !strings.Contains(string(line), want) {
			t.Errorf("fever forwarded %s\nwant %s in it", line, want)
		}
	}
	evetest.ValidateLines(t, "alert forwarded by fever", line)
}
