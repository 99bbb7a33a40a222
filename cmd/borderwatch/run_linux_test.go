//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/alert/evetest"
)

// inNetns runs fn on a locked OS thread that entered the named network
// namespace; the thread is discarded afterwards (never unlocked).
func inNetns(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + name)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// runInNetns runs the command line args in the named network namespace
// until ctx ends, with its output to logs; the channel gives what it
// returned.
func runInNetns(ctx context.Context, ns string, logs *lockedBuffer, args ...string) <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- inNetns(ns, func() error {
			root := newRootCmd(newApp())
			root.SetOut(logs)
			root.SetErr(logs)
			root.SetArgs(args)
			return root.ExecuteContext(ctx)
		})
	}()
	return done
}

// waitRunning waits for a sensor started with runInNetns to log that it is
// running, and fails the test if it ends first.
func waitRunning(t *testing.T, done <-chan error, logs *lockedBuffer) {
	t.Helper()
	eventually(t, "the sensor to start", func() bool {
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v\n%s", err, logs.String())
		default:
		}
		return strings.Contains(logs.String(), "sensor running")
	})
}

// labNetns builds sensor (192.0.2.10, DE in the lab database) and attacker
// (198.51.100.7, CN) namespaces joined by a veth pair, with no route out,
// torn down in Cleanup.
func labNetns(t *testing.T) (sensorNS, attackerNS string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and captures on a veth")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip command")
	}
	sfx := strconv.Itoa(os.Getpid()) + strings.ReplaceAll(t.Name(), "/", "")
	sensorNS, attackerNS = "bws"+sfx, "bwa"+sfx
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	for _, ns := range []string{sensorNS, attackerNS} {
		ip("netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	ip("link", "add", "bwv0", "netns", sensorNS, "type", "veth", "peer", "name", "bwv1", "netns", attackerNS)
	ip("-n", sensorNS, "link", "set", "lo", "up")
	ip("-n", sensorNS, "addr", "add", "192.0.2.10/24", "dev", "bwv0")
	ip("-n", sensorNS, "link", "set", "bwv0", "up")
	ip("-n", sensorNS, "route", "add", "198.51.100.0/24", "dev", "bwv0")
	ip("-n", attackerNS, "addr", "add", "198.51.100.7/24", "dev", "bwv1")
	ip("-n", attackerNS, "link", "set", "bwv1", "up")
	ip("-n", attackerNS, "route", "add", "192.0.2.0/24", "dev", "bwv1")
	return sensorNS, attackerNS
}

// TestRunDetectsScan runs `borderwatch run` in-process in the sensor
// namespace and a bounded SYN scan (20 connect attempts) from the attacker
// namespace, and waits for the scan alert in the alert file.
func TestRunDetectsScan(t *testing.T) {
	for _, mode := range []string{"afpacket", "xdp"} {
		t.Run(mode, func(t *testing.T) {
			sensorNS, attackerNS := labNetns(t)
			dir := t.TempDir()
			labDB := filepath.Join(dir, "lab.mmdb")
			if err := os.WriteFile(labDB, geotest.Lab(), 0o644); err != nil {
				t.Fatal(err)
			}
			alerts := filepath.Join(dir, "alerts.json")
			var logs lockedBuffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := runInNetns(ctx, sensorNS, &logs, "--config", filepath.Join(dir, "none.yaml"), "--geoip", labDB, "--home", "DE",
				"run", "--iface", "bwv0", "--capture", mode, "--xdp-mode", "generic", "--workers", "2",
				"--alerts", alerts, "--metrics-listen", "127.0.0.1:0")
			// The missing --config file is an error: the sensor must not start.
			if err := <-done; err == nil || !strings.Contains(err.Error(), "none.yaml") {
				t.Fatalf("missing --config: %v", err)
			}
			if err := os.WriteFile(filepath.Join(dir, "empty.yaml"), []byte("# comments only: the defaults\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			done = runInNetns(ctx, sensorNS, &logs, "--geoip", labDB, "--home", "DE", "--config", filepath.Join(dir, "empty.yaml"),
				"run", "--iface", "bwv0", "--capture", mode, "--xdp-mode", "generic", "--workers", "2",
				"--alerts", alerts, "--metrics-listen", "127.0.0.1:0")
			waitRunning(t, done, &logs)
			if l := logs.String(); !strings.Contains(l, `"capture":"`+mode+`"`) {
				t.Fatalf("sensor not capturing with %s:\n%s", mode, l)
			}
			scanFromCN(t, attackerNS) // bounded: 20 ports, one attempt each
			var got string
			eventually(t, "the scan alert", func() bool {
				b, _ := os.ReadFile(alerts)
				got = string(b)
				return strings.Contains(got, `"signature_id":8100101`)
			})
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v\n%s", err, logs.String())
			}
			lines := strings.Split(strings.TrimSpace(got), "\n")
			if len(lines) != 1 {
				t.Fatalf("want exactly one alert, got:\n%s", got)
			}
			for _, want := range []string{`"in_iface":"bwv0"`, `"src_ip":"198.51.100.7"`, `"dest_ip":"192.0.2.10"`, `"kind":["scan"]`,
				`"geo_direction":["inbound"]`, `"context":{"geo":{"direction":"inbound"`, `"host":"` + alert.DefaultSensorName() + `"`} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("alert lacks %s: %s", want, lines[0])
				}
			}
			evetest.ValidateLines(t, "live alert", []byte(got))
			// The exit log has the counters.
			if l := logs.String(); !strings.Contains(l, `"component":"counters"`) {
				t.Errorf("no counters logged at exit:\n%s", l)
			}
		})
	}
}
