//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/systemd/systemdtest"
)

// TestRunNotifiesSystemd runs `borderwatch run` (AF_PACKET on a veth of a
// test namespace) with NOTIFY_SOCKET set, as systemd's Type=notify does:
// READY=1 arrives once capture is attached, RELOADING=1 then READY=1
// around a SIGHUP reload, STOPPING=1 at shutdown.
func TestRunNotifiesSystemd(t *testing.T) {
	sensorNS, _ := labNetns(t)
	dir := t.TempDir()
	c := systemdtest.NotifySocket(t, filepath.Join(dir, "notify.sock"))
	cfg := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(cfg, []byte("# comments only: the defaults\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInNetns(ctx, sensorNS, &logs, "-c", cfg,
		"run", "-i", "bwv0", "--capture", "afpacket", "--metrics-listen", "off")
	next := func(want string) string {
		t.Helper()
		got, err := systemdtest.ReadNotify(c, 30*time.Second)
		if err != nil {
			cancel()
			t.Fatalf("waiting for %s: %v\nlogs:\n%s", want, err, logs.String())
		}
		if !strings.HasPrefix(got, want) {
			t.Fatalf("received %q, want %s first\nlogs:\n%s", got, want, logs.String())
		}
		return got
	}
	ready := next("READY=1")
	if !strings.Contains(logs.String(), "AF_PACKET capture open") || !strings.Contains(ready, "STATUS=capturing with afpacket on bwv0") {
		t.Errorf("READY=1 (%q) before the capture was open:\n%s", ready, logs.String())
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if r := next("RELOADING=1"); !strings.Contains(r, "\nMONOTONIC_USEC=") {
		t.Errorf("reload notification without MONOTONIC_USEC: %q", r)
	}
	next("READY=1")
	cancel()
	next("STOPPING=1")
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
}
