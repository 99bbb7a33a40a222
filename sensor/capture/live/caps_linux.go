//go:build linux

package live

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

// Capability numbers, linux/capability.h.
const (
	capNetAdmin = 12
	capNetRaw   = 13
	capPerfmon  = 38
	capBPF      = 39
)

// effectiveCaps reads the effective capability set of the process.
func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseCapEff(f)
}

// parseCapEff finds the CapEff line of a /proc/PID/status file.
func parseCapEff(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}

// missingCaps names the capabilities of want that caps lacks.
func missingCaps(caps uint64, want ...int) []string {
	names := map[int]string{capNetAdmin: "CAP_NET_ADMIN", capNetRaw: "CAP_NET_RAW", capPerfmon: "CAP_PERFMON", capBPF: "CAP_BPF"}
	var miss []string
	for _, c := range want {
		if caps&(1<<c) == 0 {
			miss = append(miss, names[c])
		}
	}
	return miss
}
