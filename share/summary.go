package share

import (
	"fmt"
	"io"
	"slices"
)

// WriteSummary writes, for people, what Read shared of the alerts: the
// addresses, the alerts not shared by reason, and the bad lines skipped.
func WriteSummary(w io.Writer, res *Result) {
	fmt.Fprintf(w, "shared %d %s from %d of %d alerts (%d lines read)\n",
		len(res.Sightings), pluralWord(len(res.Sightings), "address", "addresses"), res.Shared, res.Alerts, res.Lines)
	reasons := make([]string, 0, len(res.Skipped))
	for r := range res.Skipped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "  not shared: %d: %s\n", res.Skipped[r], r)
	}
	if res.BadCount > 0 {
		fmt.Fprintf(w, "%d bad %s skipped:\n", res.BadCount, pluralWord(res.BadCount, "line", "lines"))
		for _, b := range res.Bad {
			fmt.Fprintf(w, "  %s\n", b)
		}
		if n := res.BadCount - len(res.Bad); n > 0 {
			fmt.Fprintf(w, "  … and %d more\n", n)
		}
	}
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
