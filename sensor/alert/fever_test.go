package alert

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestFeverReadsEVE feeds the EVE encoding of every sample to DCSO's fever
// (the Debian package), a consumer of Suricata's EVE socket output, and
// requires fever to parse each alert and forward it unchanged to its output
// socket: fever drops what it cannot parse as an EVE event.
func TestFeverReadsEVE(t *testing.T) {
	fever, err := exec.LookPath("fever")
	if err != nil {
		t.Skip("fever is not installed (Debian package fever): skipping the fever check")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.sock"), filepath.Join(dir, "out.sock")
	ln, err := net.Listen("unix", out)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, fever, "run", "--in-socket", in, "--out-socket", out,
		"--mgmt-socket", filepath.Join(dir, "mgmt.sock"), "--flowreport-interval", "0", "--dummy", "--in-buffer-drop=false")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("fever's log:\n%s", logs.String())
		}
	}()

	// fever drops what it cannot forward: take its output connection
	// before feeding it.
	if err := ln.(*net.UnixListener).SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	fwd, err := ln.Accept()
	if err != nil {
		t.Fatalf("fever did not connect to its output socket: %v", err)
	}
	defer fwd.Close()
	// fever forwards concurrently and, under load, drops part of what
	// arrives on its input socket (fever 1.3.5, with or without
	// in-buffer-drop): read what it forwards in the background, send each
	// alert on its own connection and send it again (at most 5 times) until
	// fever has forwarded it. An alert fever cannot parse is never
	// forwarded, however often it is sent.
	type fwdLine struct {
		sid  float64
		line []byte
		err  error
	}
	lines := make(chan fwdLine, 64)
	go func() {
		r := bufio.NewReader(fwd)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				lines <- fwdLine{err: err}
				return
			}
			var m struct {
				Alert struct {
					SID float64 `json:"signature_id"`
				} `json:"alert"`
			}
			if err := json.Unmarshal(line, &m); err != nil {
				lines <- fwdLine{err: fmt.Errorf("fever forwarded something that is not an alert: %q", line)}
				return
			}
			lines <- fwdLine{sid: m.Alert.SID, line: line}
		}
	}()
	send := func(i int, line []byte) {
		var conn net.Conn
		var err error
		for try := 0; ; try++ {
			if conn, err = net.Dial("unix", in); err == nil {
				break
			}
			if try == 200 {
				t.Fatalf("fever's input socket did not accept alert %d within 10 s: %v", i+1, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := conn.Write(line); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	var want [][]byte
	got := map[float64][]byte{}
	for i, s := range samples {
		line, err := AppendEVE(nil, &s.a)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, line)
		sid := float64(s.a.SignatureID)
		for try := 0; try < 5 && got[sid] == nil; try++ {
			send(i, line)
			deadline := time.After(5 * time.Second)
		wait:
			for got[sid] == nil {
				select {
				case l := <-lines:
					if l.err != nil {
						t.Fatalf("reading fever's output: %v", l.err)
					}
					got[l.sid] = l.line
				case <-deadline:
					break wait
				}
			}
		}
	}
	for i, w := range want {
		line, ok := got[float64(samples[i].a.SignatureID)]
		if !ok {
			t.Errorf("alert %d (%s) not forwarded by fever", i+1, samples[i].name)
			continue
		}
		var g, e any
		if err := json.Unmarshal(line, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(w, &e); err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(g)
		eb, _ := json.Marshal(e)
		if !bytes.Equal(gb, eb) {
			t.Errorf("alert %d (%s) forwarded as\n%s\nwant\n%s", i+1, samples[i].name, line, w)
		}
	}
}
