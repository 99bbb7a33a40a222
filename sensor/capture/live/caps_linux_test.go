//go:build linux

package live

import (
	"strings"
	"testing"
)

func TestParseCapEff(t *testing.T) {
	status := "Name:\tborderwatch\nCapInh:\t0000000000000000\nCapPrm:\t000000c000003000\nCapEff:\t000000c000003000\n"
	caps, err := parseCapEff(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if m := missingCaps(caps, capBPF, capNetAdmin, capPerfmon, capNetRaw); len(m) != 0 {
		t.Errorf("missing %v from the unit's four capabilities", m)
	}
	if m := missingCaps(1<<capNetRaw, capBPF, capNetAdmin, capPerfmon, capNetRaw); strings.Join(m, ",") != "CAP_BPF,CAP_NET_ADMIN,CAP_PERFMON" {
		t.Errorf("missing %v", m)
	}
	if _, err := parseCapEff(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("no error without a CapEff line")
	}
}
