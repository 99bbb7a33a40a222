package rules

import (
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 90 * time.Second: "1m30s", 5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m", 48 * time.Hour: "2d", 100 * time.Millisecond: "100ms"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for b, want := range map[uint64]string{512: "512B", 1000: "1kB", 125e6: "125MB", 1.25e9: "1.25GB", 2e12: "2TB"} {
		if got := FormatBytes(b); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", b, got, want)
		}
	}
	th := Threshold{Count: 15, Window: 5 * time.Minute, Track: TrackPair, Distinct: DistinctDstPort}
	if got := th.String(); got != "15 distinct dst_port in 5m per pair" {
		t.Errorf("threshold %q", got)
	}
	th = Threshold{Count: 20000, Bytes: 125e6, Window: 10 * time.Second, Track: TrackDst, MinSources: 10}
	if got := th.String(); got != "20000 or 125MB in 10s per dst, >=10 sources" {
		t.Errorf("threshold %q", got)
	}
}

func TestParseSizeAndDuration(t *testing.T) {
	for s, want := range map[string]uint64{"1GB": 1e9, "1.25GB": 1.25e9, "2GiB": 2 << 30, "500 MB": 500e6, "10kB": 1e4, "10KB": 1e4, "7B": 7, "1024": 1024} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "GB", "-1GB", "1e3GB", "0x10MB", "1e400GB", "99999999999999999999", "10 parsecs"} {
		if got, err := parseSize(s); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", s, got)
		}
	}
	for s, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "90s": 90 * time.Second, "1h30m": 90 * time.Minute} {
		if got, err := parseDuration(s); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"5", "-5m", "1000d", "d", "5 minutes"} {
		if _, err := parseDuration(s); err == nil {
			t.Errorf("parseDuration(%q) accepted", s)
		}
	}
}

func TestParseFlags(t *testing.T) {
	for s, want := range map[string]FlagMatch{
		"S":          {Mask: 0x3f, Value: 0x02},
		"S/SA":       {Mask: 0x12, Value: 0x02},
		"0/SAFRPU":   {Mask: 0x3f, Value: 0},
		"FPU/SAFRPU": {Mask: 0x3f, Value: 0x29},
		"SE/SAEC":    {Mask: 0xd2, Value: 0x42},
	} {
		got, err := parseFlags(s)
		if err != "" || got != want {
			t.Errorf("parseFlags(%q) = %+v %q, want %+v", s, got, err, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{"scna": "scan", "SCAN": "scan", "flod": "flood", "bruteforse": "bruteforce", "xyz": "", "sc": ""} {
		if got := suggest(in, kindWords); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if c, ok := suggestCategory("policy violation"); !ok || c.short != "policy-violation" {
		t.Errorf("suggestCategory: %+v", c)
	}
	if len(classifications) != 43 {
		t.Errorf("%d classifications, Suricata ships 43", len(classifications))
	}
}
