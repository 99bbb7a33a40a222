package main

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

func TestList(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-list"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "scan         TCP SYN scan of ports 1-1024") || strings.Count(out.String(), "\n") != 25 {
		t.Errorf("list:\n%s", out.String())
	}
}

func TestGenerate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pcapng")
	var errb bytes.Buffer
	if err := run([]string{"-scenario", "pingsweep+bruteforce", "-vlan", "200,100", "-ipv6", "-o", path}, io.Discard, &errb); err != nil {
		t.Fatal(err)
	}
	if errb.String() != "wrote 679 packets to "+path+"\n" {
		t.Errorf("stderr %q", errb.String())
	}
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := decode.NewDecoder()
	var f capture.Frame
	var p decode.Packet
	for {
		if err := src.Next(&f); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if d.Decode(&f, &p) != decode.OK || p.VLAN != 200 || !p.Src.Is6() {
			t.Fatalf("packet %+v", p)
		}
	}
	if d.Stats.Decoded != 679 {
		t.Errorf("decoded %d", d.Stats.Decoded)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-scenario", "scan"}, "need -scenario and -o (see -list)"},
		{[]string{"-scenario", "nope", "-o", "x.pcap"}, `unknown scenario "nope" (see -list)`},
		{[]string{"-scenario", "scan", "-o", "x.pcap", "-vlan", "5000"}, `bad VLAN id "5000": want 1-4094`},
		{[]string{"-scenario", "scan", "-o", "x.pcap", "-vlan", "1,2,3"}, "at most two VLAN tags, got 3"},
	} {
		err := run(c.args, io.Discard, io.Discard)
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}
