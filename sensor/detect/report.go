package detect

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/borderwatch/borderwatch/rules"
)

// WriteState writes, for `borderwatch rules check`, the memory each enabled
// rule's state takes in one detection worker once its tables are full
// (they start empty and grow with the keys seen), and the total for the
// configured workers.
func WriteState(w io.Writer, set *rules.Set, workers int) error {
	if len(set.Rules) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\ndetection state per worker, worst case (every table full; tables start empty and grow with the traffic):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKEYS\tDISTINCT\tSKETCH\tTOTAL")
	var total int64
	for _, s := range RuleState(set.Rules, Config{}) {
		total += s.Total
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", s.ID, rules.FormatSize(uint64(s.Keys)), rules.FormatSize(uint64(s.Distinct)),
			rules.FormatSize(uint64(s.Sketch)), rules.FormatSize(uint64(s.Total)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "state: up to %s per worker, %s with %d %s (capture.workers); limit %s\n",
		rules.FormatSize(uint64(total)), rules.FormatSize(uint64(total)*uint64(workers)), workers, workersWord(workers),
		rules.FormatSize(DefaultMaxState))
	return err
}

func workersWord(n int) string {
	if n == 1 {
		return "worker"
	}
	return "workers"
}
