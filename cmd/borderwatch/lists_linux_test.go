//go:build linux

package main

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo/geotest"
)

// TestRunListSourceReloads runs `borderwatch run` with a list source and
// no cache: it starts with an empty blocklist, fetches the list over TLS
// at once, swaps it in through the reload (pipeline and kernel stage), and
// traffic from the newly listed attacker then raises the pack's inbound
// reputation alert.
func TestRunListSourceReloads(t *testing.T) {
	for _, mode := range []string{"afpacket", "xdp"} {
		t.Run(mode, func(t *testing.T) {
			sensorNS, attackerNS := labNetns(t)
			f := newListFixture(t)
			f.writeConfig(t, f.lists+f.sources)
			cfg, labDB, alerts := f.cfg, f.labDB, f.alerts
			var logs lockedBuffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := runInNetns(ctx, sensorNS, &logs, "--config", cfg, "--geoip", labDB, "--home", "DE",
				"run", "--iface", "bwv0", "--capture", mode, "--xdp-mode", "generic", "--workers", "2",
				"--alerts", alerts, "--metrics-listen", "127.0.0.1:0")
			waitRunning(t, done, &logs)
			if !strings.Contains(logs.String(), "no cached list yet") {
				t.Errorf("the start does not say the list is empty until fetched:\n%s", logs.String())
			}
			eventually(t, "the fetched list to be swapped in", func() bool {
				return strings.Contains(logs.String(), `"message":"reloaded"`)
			})
			eventually(t, "the reload to put the list in force", func() bool {
				return strings.Contains(logs.String(), `"message":"list in force"`)
			})
			if l := logs.String(); !strings.Contains(l, `"message":"list updated"`) || !strings.Contains(l, `"entries":1`) {
				t.Fatalf("no list update logged:\n%s", l)
			}
			sendFromListed(t, attackerNS, alerts)
			cancel()
			waitStopped(t, done, &logs)
			if n := f.fetches.Load(); n != 1 {
				t.Errorf("%d fetches, want 1 (the refresh is an hour)", n)
			}
		})
	}
}

// TestRunSIGHUPAddsListSource: a sensor started without list sources
// takes one added to the configuration at a SIGHUP reload: the source is
// fetched at once, its list put in force through the reload, and traffic
// from the listed address raises the pack's inbound reputation alert.
func TestRunSIGHUPAddsListSource(t *testing.T) {
	sensorNS, attackerNS := labNetns(t)
	f := newListFixture(t)
	f.writeConfig(t, f.lists)
	cfg, labDB, alerts := f.cfg, f.labDB, f.alerts
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInNetns(ctx, sensorNS, &logs, "--config", cfg, "--geoip", labDB, "--home", "DE",
		"run", "--iface", "bwv0", "--capture", "afpacket", "--workers", "2",
		"--alerts", alerts, "--metrics-listen", "127.0.0.1:0")
	waitRunning(t, done, &logs)

	f.writeConfig(t, f.lists+f.sources)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the added source's list to be in force", func() bool {
		l := logs.String()
		return strings.Contains(l, `"message":"list sources reconfigured`) && strings.Contains(l, `"message":"list in force"`)
	})
	if l := logs.String(); !strings.Contains(l, `"added":["blocklist"]`) || !strings.Contains(l, `"entries":1`) {
		t.Fatalf("reconfiguration or list not logged:\n%s", l)
	}
	sendFromListed(t, attackerNS, alerts)
	cancel()
	waitStopped(t, done, &logs)
}

// listFixture is a TLS server serving a list of 198.51.100.7 (counting
// its fetches), its CA and the lab GeoIP database written to a temporary
// directory, and the configuration lines of a list state directory there
// (lists) and of a source "blocklist" fetching from the server (sources).
type listFixture struct {
	fetches                atomic.Int64
	ca, labDB, cfg, alerts string
	lists, sources         string
}

func newListFixture(t *testing.T) *listFixture {
	t.Helper()
	f := &listFixture{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		_, _ = w.Write([]byte("# lab list\n198.51.100.7\n"))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	f.ca = filepath.Join(dir, "ca.pem")
	f.labDB = filepath.Join(dir, "lab.mmdb")
	f.cfg = filepath.Join(dir, "borderwatch.yaml")
	f.alerts = filepath.Join(dir, "alerts.json")
	f.lists = "lists:\n  state_dir: " + filepath.Join(dir, "state") + "\n"
	f.sources = "  sources:\n    - name: blocklist\n      url: " + srv.URL + "/drop.txt\n" +
		"      format: plain\n      refresh: 1h\n      ca_file: " + f.ca + "\n"
	for path, data := range map[string][]byte{
		f.ca:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
		f.labDB: geotest.Lab(),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// writeConfig writes the sensor's configuration file.
func (f *listFixture) writeConfig(t *testing.T, yaml string) {
	t.Helper()
	if err := os.WriteFile(f.cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sendFromListed sends one datagram from the listed address 198.51.100.7
// (the attacker namespace) and waits for the pack's inbound reputation
// alert (8100601) naming that source.
func sendFromListed(t *testing.T, attackerNS, alerts string) {
	t.Helper()
	err := inNetns(attackerNS, func() error {
		c, err := net.Dial("udp", "192.0.2.10:5353")
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("hello"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reputation alert from 198.51.100.7", func() bool {
		b, _ := os.ReadFile(alerts)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `"signature_id":8100601`) && strings.Contains(line, `"src_ip":"198.51.100.7"`) {
				return true
			}
		}
		return false
	})
}

// waitStopped waits (30 s at most) for a cancelled run to return nil.
func waitStopped(t *testing.T, done <-chan error, logs *lockedBuffer) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}
