//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo/geotest"
)

// TestRunEnforce runs `borderwatch run` with XDP in the sensor namespace
// (192.0.2.10, DE) and a drop policy rule for the zone forbidden (RU); the
// attacker namespace sends 5 UDP datagrams from 203.0.113.7 (RU) and 5 from
// 198.51.100.7 (CN) to an echo server in the sensor namespace. With
// --enforce the RU datagrams are dropped by XDP (none reaches the server,
// none is answered, the rule's kernel counter is 5) and the alert says
// "blocked"; without it everything is answered and the alert says "allowed".
func TestRunEnforce(t *testing.T) {
	const sent = 5
	rulesYAML := `zones:
  forbidden: [RU]
rules:
  - id: 9200001
    name: traffic from a forbidden jurisdiction
    kind: policy
    from: forbidden
    to: home
    action: drop
`
	for _, enforce := range []bool{true, false} {
		t.Run(fmt.Sprintf("enforce=%v", enforce), func(t *testing.T) {
			sensorNS, attackerNS := labNetns(t)
			ip := func(args ...string) {
				t.Helper()
				if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
					t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
				}
			}
			ip("-n", attackerNS, "addr", "add", "203.0.113.7/24", "dev", "bwv1")
			ip("-n", sensorNS, "route", "add", "203.0.113.0/24", "dev", "bwv0")

			dir := t.TempDir()
			labDB := filepath.Join(dir, "lab.mmdb")
			rulesPath := filepath.Join(dir, "rules.yaml")
			cfgPath := filepath.Join(dir, "borderwatch.yaml")
			cfg := "# comments only: the defaults\n"
			if enforce {
				cfg = "capture:\n  enforce: true\n" // the configuration key; the flag is checked below
			}
			for name, data := range map[string][]byte{labDB: geotest.Lab(), rulesPath: []byte(rulesYAML), cfgPath: []byte(cfg)} {
				if err := os.WriteFile(name, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			// The echo server in the sensor namespace counts datagrams by source.
			var srv *net.UDPConn
			if err := inNetns(sensorNS, func() (err error) {
				srv, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 9999})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			var mu sync.Mutex
			received := map[string]int{}
			go func() {
				buf := make([]byte, 1500)
				for {
					n, from, err := srv.ReadFromUDP(buf)
					if err != nil {
						return
					}
					mu.Lock()
					received[from.IP.String()]++
					mu.Unlock()
					_, _ = srv.WriteToUDP(buf[:n], from)
				}
			}()

			alerts := filepath.Join(dir, "alerts.json")
			var logs lockedBuffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			args := []string{"--config", cfgPath, "--geoip", labDB, "--home", "DE", "--rules", rulesPath, "--no-default-rules",
				"run", "--iface", "bwv0", "--xdp-mode", "generic", "--workers", "2", "--alerts", alerts, "--metrics-listen", "127.0.0.1:0"}
			if enforce {
				args = append(args, "--enforce")
			}
			done := runInNetns(ctx, sensorNS, &logs, args...)
			waitRunning(t, done, &logs)
			m := regexp.MustCompile(`"capture":"xdp".*"metrics":"(127\.0\.0\.1:\d+)".*"enforce":` + fmt.Sprint(enforce)).FindStringSubmatch(logs.String())
			if m == nil {
				t.Fatalf("sensor not running with XDP and enforce %v:\n%s", enforce, logs.String())
			}
			metricsAddr := m[1]

			// RU first, then CN; once the CN answers are back, an RU answer
			// would be too.
			ru, cn := dialFrom(t, attackerNS, "203.0.113.7"), dialFrom(t, attackerNS, "198.51.100.7")
			send := func(c *net.UDPConn) {
				for i := range sent {
					if _, err := c.Write([]byte(fmt.Sprintf("probe %d", i))); err != nil {
						t.Fatal(err)
					}
				}
			}
			send(ru)
			send(cn)
			if got := answers(cn, sent, 5*time.Second); got != sent {
				t.Errorf("CN: %d of %d datagrams answered", got, sent)
			}
			wantRU := sent
			if enforce {
				wantRU = 0
			}
			if got := answers(ru, sent, 500*time.Millisecond); got != wantRU {
				t.Errorf("RU: %d of %d datagrams answered, want %d", got, sent, wantRU)
			}
			mu.Lock()
			if received["203.0.113.7"] != wantRU || received["198.51.100.7"] != sent {
				t.Errorf("server received %v, want %d from RU and %d from CN", received, wantRU, sent)
			}
			mu.Unlock()

			var alert string
			eventually(t, "the policy alert", func() bool {
				b, _ := os.ReadFile(alerts)
				alert = strings.TrimSpace(string(b))
				return strings.Contains(alert, `"signature_id":9200001`)
			})
			text := scrapeIn(t, sensorNS, metricsAddr)
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v\n%s", err, logs.String())
			}
			if strings.Count(alert, "\n") != 0 {
				t.Fatalf("want exactly one alert, got:\n%s", alert)
			}
			action := "allowed"
			if enforce {
				action = "blocked"
			}
			for _, want := range []string{`"src_ip":"203.0.113.7"`, `"dest_ip":"192.0.2.10"`, `"proto":"UDP"`,
				`"alert":{"action":"` + action + `","gid":1,"signature_id":9200001,`, `"geo":{"direction":"inbound"`} {
				if !strings.Contains(alert, want) {
					t.Errorf("alert lacks %s: %s", want, alert)
				}
			}
			counter := fmt.Sprintf("borderwatch_kernel_dropped_packets_total{rule=\"9200001\"} %d\n", sent)
			if enforce != strings.Contains(text, counter) {
				t.Errorf("enforce %v: metrics have %q: %v\n%s", enforce, counter, !enforce, grepLines(text, "kernel_dropped"))
			}
			if !enforce && strings.Contains(text, "borderwatch_kernel_dropped_packets_total") {
				t.Errorf("sensor mode exports drop counters:\n%s", grepLines(text, "kernel_dropped"))
			}
		})
	}
}

// dialFrom opens a UDP socket in ns bound to src and connected to the echo
// server.
func dialFrom(t *testing.T, ns, src string) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := inNetns(ns, func() (err error) {
		c, err = net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(src)}, &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 9999})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// answers reads up to want answers, waiting at most wait in all.
func answers(c *net.UDPConn, want int, wait time.Duration) int {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 1500)
	n := 0
	for n < want {
		if _, err := c.Read(buf); err != nil {
			break
		}
		n++
	}
	return n
}

// scrapeIn fetches /metrics from addr inside ns (the dial must happen on
// the namespace's thread, so no http.Client).
func scrapeIn(t *testing.T, ns, addr string) string {
	t.Helper()
	var body []byte
	err := inNetns(ns, func() error {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.0\r\nHost: metrics\r\n\r\n"); err != nil {
			return err
		}
		body, err = io.ReadAll(c)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
