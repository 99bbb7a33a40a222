package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/replay"
)

// Hostile captures: whatever breaks in a capture file, the alerts found
// before it are written, the exit status is 2 and the error names the file
// and the offset; a truncated final record is one warning line, even with -q.

var capLE = binary.LittleEndian

// sampleAsPcapng rewrites the sample capture as pcapng (one Ethernet
// interface, nanosecond timestamps).
func sampleAsPcapng(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet,
		SnapLength: 65535, TimestampResolution: 9}, pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// badTsresolIDB is a 32-byte interface description block with if_tsresol
// 0x40, the value that made gopacket divide by zero.
func badTsresolIDB() []byte {
	b := capLE.AppendUint32(nil, 1)
	b = capLE.AppendUint32(b, 32)
	b = capLE.AppendUint16(b, 1)
	b = capLE.AppendUint16(b, 0)
	b = capLE.AppendUint32(b, 65535)
	b = append(b, 9, 0, 1, 0, 0x40, 0, 0, 0) // if_tsresol 0x40
	b = append(b, 0, 0, 0, 0)                // end of options
	return capLE.AppendUint32(b, 32)
}

func writeCapture(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReplayHostileCaptures(t *testing.T) {
	sample, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "scan-inbound.alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	ng := sampleAsPcapng(t)
	// A pcap whose header and first record announce 4 GB, in a gzip.
	huge := bytes.Clone(sample[:24])
	capLE.PutUint32(huge[16:20], 0xffffffff)
	huge = capLE.AppendUint32(capLE.AppendUint32(huge, 1714564800), 0)
	huge = capLE.AppendUint32(capLE.AppendUint32(huge, 0xfffffff0), 0xfffffff0)
	var gzHuge bytes.Buffer
	zw := gzip.NewWriter(&gzHuge)
	zw.Write(huge)
	zw.Write(make([]byte, 8<<20))
	zw.Close()

	for _, c := range []struct {
		name   string
		file   string
		data   []byte
		alerts bool // the sample's alert is written before the error
		err    string
	}{
		{"bad if_tsresol after the sample", "tsresol.pcapng", append(bytes.Clone(ng), badTsresolIDB()...), true,
			"offset " + strconv.Itoa(len(ng)+16) + ": interface description: unsupported if_tsresol 0x40"},
		{"60-byte pcapng with a bad if_tsresol", "tsresol60.pcapng", append(bytes.Clone(ng[:28]), badTsresolIDB()...), false,
			"offset 44: interface description: unsupported if_tsresol 0x40"},
		{"4 GB record in a gzip", "huge.pcap.gz", gzHuge.Bytes(), false,
			"offset 24: record 1: captured length 4294967280 beyond the 16777216-byte limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeCapture(t, c.file, c.data)
			out, stderr, code := runCLI(t, "replay", "-q", "--log-level", "warn", "--sensor-name", sampleHost, path)
			want := "borderwatch: " + path + ": " + c.err
			if code != exitUsage || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d (want 2), stderr %q\n want one line starting %q", code, stderr, want)
			}
			// The sample's alert, as replayed from this file.
			wantOut := strings.Replace(string(alerts), `"pcap_filename":"testdata/sample/scan-inbound.pcap"`, `"pcap_filename":"`+path+`"`, 1)
			if c.alerts && out != wantOut {
				t.Errorf("alerts found before the error not written:\n%s", out)
			}
			if !c.alerts && out != "" {
				t.Errorf("stdout %q", out)
			}
		})
	}
	// A record whose captured length (80) exceeds its original length (1),
	// pcapgo's "corrupt record" that exited 1, after the sample: skipped
	// and counted, the sample's alert written, exit 0.
	t.Run("captured length above the original", func(t *testing.T) {
		corrupt := capLE.AppendUint32(capLE.AppendUint32(nil, 1714564800), 0)
		corrupt = capLE.AppendUint32(capLE.AppendUint32(corrupt, 80), 1)
		corrupt = append(corrupt, make([]byte, 80)...)
		path := writeCapture(t, "corrupt.pcap", append(bytes.Clone(sample), corrupt...))
		out, stderr, code := runCLI(t, "replay", "--log-level", "warn", "--sensor-name", sampleHost, path)
		wantOut := strings.Replace(string(alerts), `"pcap_filename":"testdata/sample/scan-inbound.pcap"`, `"pcap_filename":"`+path+`"`, 1)
		if code != exitOK || out != wantOut || !strings.Contains(stderr, "unreadable records 1 (oversize 0, cut short 0)") ||
			!strings.Contains(stderr, "\nrecords skipped, captured length above the original length: 1\n") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
		}
	})
	t.Run("rules test", func(t *testing.T) {
		path := writeCapture(t, "tsresol60.pcapng", append(bytes.Clone(ng[:28]), badTsresolIDB()...))
		expect := writeCapture(t, "none.json", []byte(`{"alerts": []}`))
		_, stderr, code := runCLI(t, "rules", "test", "--log-level", "warn", "--pcap", path, "--expect", expect)
		want := "borderwatch: " + path + ": offset 44: interface description: unsupported if_tsresol 0x40"
		if code != exitUsage || !strings.HasPrefix(stderr, want) {
			t.Errorf("exit %d (want 2), stderr %q\n want %q", code, stderr, want)
		}
	})
}

// TestReplayTruncatedWarns checks a final record cut short is said on
// standard error in one line even with -q, the exit status stays 0 and the
// summary counts it.
func TestReplayTruncatedWarns(t *testing.T) {
	sample, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	path := writeCapture(t, "cut.pcap", sample[:len(sample)-10])
	// The last record of the sample holds 106 bytes.
	want := "borderwatch: warning: " + path + ": offset " + strconv.Itoa(len(sample)-16-106) + ": truncated final record: 112 of 122 bytes\n"
	out, stderr, code := runCLI(t, "replay", "-q", "--log-level", "warn", path)
	if code != exitOK || stderr != want || out == "" {
		t.Errorf("exit %d, stderr %q\n want exit 0, stderr %q", code, stderr, want)
	}
	_, stderr, code = runCLI(t, "replay", "--log-level", "warn", path)
	if code != exitOK || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "unreadable records 1 (oversize 0, cut short 1)") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestReplayInputErrorIsUsage: a replay's input error (a missing file, a
// capture that breaks its format) exits 2.
func TestReplayInputErrorIsUsage(t *testing.T) {
	fe := &capture.FormatError{File: "a.pcap", Offset: 24, Reason: "record 1: bad"}
	if code := exitCode(fmt.Errorf("x: %w", &replay.InputError{Err: fe})); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
}

// TestReplayWireClampWarns checks a record claiming a 4 GB original length
// is counted as 256 KiB (the summary's bytes) and said in one warning line
// with the file and record number, even with -q; the exit status stays 0.
func TestReplayWireClampWarns(t *testing.T) {
	sample, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	huge := bytes.Clone(sample)
	binary.LittleEndian.PutUint32(huge[24+12:], 0xffffffff) // record 1's original length
	path := writeCapture(t, "huge.pcap", huge)
	want := "borderwatch: warning: " + path + ": record 1: original length 4294967295 above the 262144-byte limit, counted as 262144 (clamped records: 1)\n"
	out, stderr, code := runCLI(t, "replay", "-q", "--log-level", "warn", path)
	if code != exitOK || stderr != want || out == "" {
		t.Errorf("exit %d, stderr %q\n want exit 0, stderr %q", code, stderr, want)
	}
}
