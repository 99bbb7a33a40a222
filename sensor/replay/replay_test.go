package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// Exit codes of the CLI (README) an error of Run leads to.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// TestReplayErrorExitCodes checks only a capture that breaks its format is
// invalid input (2): a read error or a bug of the reader is a failure (1),
// an interrupted replay no error.
func TestReplayErrorExitCodes(t *testing.T) {
	const sample = "../../testdata/sample/scan-inbound.pcap"
	src, err := capture.OpenFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fe := &capture.FormatError{File: "a.pcap", Offset: 24, Reason: "record 1: captured length 5 exceeds the original length 1"}
	for _, c := range []struct {
		err  error
		code int
		msg  string
	}{
		{fe, exitUsage, "a.pcap: offset 24: record 1: captured length 5 exceeds the original length 1"},
		{fmt.Errorf("wrapped: %w", fe), exitUsage, "wrapped: a.pcap: offset 24: record 1: captured length 5 exceeds the original length 1"},
		{errors.New("a.pcap: offset 0: internal error reading the capture: boom"), exitRuntime, "replaying " + sample + ": a.pcap: offset 0: internal error reading the capture: boom"},
		{fmt.Errorf("a.pcap: offset 9: reading: %w", syscall.EIO), exitRuntime, "replaying " + sample + ": a.pcap: offset 9: reading: input/output error"},
		{context.Canceled, exitOK, ""},
	} {
		got := replayError(src, c.err)
		var ie *InputError
		code := exitRuntime
		switch {
		case got == nil:
			code = exitOK
		case errors.As(got, &ie):
			code = exitUsage
		}
		if code != c.code || (got != nil && got.Error() != c.msg) {
			t.Errorf("%v: exit %d, error %v; want %d, %s", c.err, code, got, c.code, c.msg)
		}
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(50000, 25<<20, 100<<20, 10*time.Second)
	want := "[=======                       ]  25% 50000 packets, 5000 packets/s, ETA 30s"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := progressLine(300, 0, 0, 3*time.Second); got != " 300 packets, 100 packets/s" {
		t.Errorf("stdin progress %q", got)
	}
}

// TestSummaryShowsClampsAndPanics: the summary says how many original
// lengths were clamped, how many records were skipped for contradictory
// lengths or timestamps and how many packets a recovered panic dropped, and says nothing
// of them when there were none.
func TestSummaryShowsClampsAndPanics(t *testing.T) {
	var s pipeline.Stats
	s.Capture.WireClamped, s.Panics, s.Capture.BadLength, s.Capture.BadTime = 3, 2, 4, 5
	var b strings.Builder
	WriteSummary(&b, s, time.Second)
	for _, want := range []string{"original lengths above 262144 bytes counted as 262144: 3\n", "packets dropped by a recovered panic (see the log): 2\n",
		"records skipped, captured length above the original length: 4\n",
		"records skipped, timestamp beyond its resolution or range: 5\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary %q lacks %q", b.String(), want)
		}
	}
	b.Reset()
	WriteSummary(&b, pipeline.Stats{}, time.Second)
	if strings.Contains(b.String(), "original lengths") || strings.Contains(b.String(), "panic") || strings.Contains(b.String(), "records skipped") {
		t.Errorf("summary of a clean run %q", b.String())
	}
}
