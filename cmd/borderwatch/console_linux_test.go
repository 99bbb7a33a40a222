package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/console"
	"github.com/borderwatch/borderwatch/geo/geotest"
)

// nsDial connects to addr from the named namespace (the socket is made on
// the namespace's thread; reading it later works from any thread) and
// sends a GET of path.
func nsDial(t *testing.T, ns, addr, path string) net.Conn {
	t.Helper()
	var c net.Conn
	err := inNetns(ns, func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr)
	return c
}

func nsSnapshot(t *testing.T, ns, addr string) console.Snapshot {
	t.Helper()
	c := nsDial(t, ns, addr, "/api/snapshot")
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(b), "\r\n\r\n")
	var s console.Snapshot
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("snapshot: %v: %.300s", err, b)
	}
	return s
}

// TestRunConsoleLive runs the sensor (XDP) in a namespace with the console
// on its metrics listener, follows /api/stream and reads /api/snapshot
// while a bounded scan comes from CN: the alert arrives on the stream, and
// CN's kernel packet counter and inbound alerts move.
func TestRunConsoleLive(t *testing.T) {
	sensorNS, attackerNS := labNetns(t)
	dir := t.TempDir()
	labDB := filepath.Join(dir, "lab.mmdb")
	if err := os.WriteFile(labDB, geotest.Lab(), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInNetns(ctx, sensorNS, &logs, "--geoip", labDB, "--home", "DE",
		"run", "--iface", "bwv0", "--capture", "xdp", "--xdp-mode", "generic", "--workers", "2",
		"--alerts", filepath.Join(dir, "alerts.json"), "--metrics-listen", "127.0.0.1:0")
	waitRunning(t, done, &logs)
	m := regexp.MustCompile(`"metrics":"(127\.0\.0\.1:\d+)"`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", logs.String())
	}
	addr := m[1]
	before := nsSnapshot(t, sensorNS, addr)
	if before.TrafficSource != "kernel" || before.Countries["CN"].AlertsIn != 0 {
		t.Fatalf("before: source %q, CN %+v", before.TrafficSource, before.Countries["CN"])
	}
	stream := nsDial(t, sensorNS, addr, "/api/stream?country=CN&direction=inbound")
	defer stream.Close()
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stream)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") && strings.Contains(l, `"signature_id":8100101`) {
				got <- l
				return
			}
		}
	}()
	err := inNetns(attackerNS, func() error {
		for port := 1; port <= 20; port++ {
			c, err := net.DialTimeout("tcp", net.JoinHostPort("192.0.2.10", strconv.Itoa(port)), 300*time.Millisecond)
			if err == nil {
				c.Close()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scanned := time.Now()
	select {
	case l := <-got:
		t.Logf("stream alert %v after the scan ended: %.160s", time.Since(scanned).Round(time.Millisecond), l)
		if !strings.Contains(l, `"src_ip":"198.51.100.7"`) {
			t.Errorf("stream alert: %s", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no scan alert on the console's stream\n%s", logs.String())
	}
	var after console.Snapshot
	eventually(t, "CN's counters in the snapshot", func() bool {
		after = nsSnapshot(t, sensorNS, addr)
		return after.Countries["CN"].AlertsIn == 1 && after.Countries["CN"].PacketsIn > before.Countries["CN"].PacketsIn
	})
	if after.Health.Kernel == nil || after.Health.Kernel.Packets == 0 || after.Health.GeoIP.Database != labDB {
		t.Errorf("health: %+v", after.Health)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
