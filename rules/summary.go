package rules

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteSummary writes, for `borderwatch rules check`, the table of the
// rules (the disabled ones marked), the counts per kind and the lists.
func WriteSummary(w io.Writer, set *Set) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tNAME\tFROM→TO\tTHRESHOLD\tSUPPRESS\tSEV")
	row := func(r *Rule, disabled bool) {
		name := r.Name
		if disabled {
			name += " (disabled)"
		}
		fromTo := strings.Join(r.FromTerms, ",") + "→" + strings.Join(r.ToTerms, ",")
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.Kind, name, fromTo, r.Threshold, FormatDuration(r.Suppress), r.Severity)
	}
	for _, r := range set.Rules {
		row(r, false)
	}
	for _, r := range set.Disabled {
		row(r, true)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := map[Kind]int{}
	for _, r := range set.Rules {
		counts[r.Kind]++
	}
	var parts []string
	for _, k := range Kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	fmt.Fprintf(w, "\nper kind: %s\n", strings.Join(parts, ", "))
	for _, name := range slices.Sorted(maps.Keys(set.Lists)) {
		l := set.Lists[name]
		fmt.Fprintf(w, "list %s: %d %s from %s (%s)", name, l.Len(), plural(l.Len(), "prefix", "prefixes"), l.Source(), l.Format())
		if l.Masked() > 0 {
			fmt.Fprintf(w, ", %d with host bits set (masked)", l.Masked())
		}
		fmt.Fprintln(w)
	}
	return nil
}

// WriteErrors writes each error Load joined on its own line and returns
// how many there were.
func WriteErrors(w io.Writer, err error) int {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
	return len(errs)
}

// WriteOK writes the line `borderwatch rules check` ends with when the
// set is good: how many rules are enabled and disabled, from how many
// files.
func WriteOK(w io.Writer, set *Set) error {
	_, err := fmt.Fprintf(w, "%d %s enabled, %d disabled, from %d %s: OK\n",
		len(set.Rules), plural(len(set.Rules), "rule", "rules"), len(set.Disabled), len(set.Files), plural(len(set.Files), "file", "files"))
	return err
}

// ErrorCount is "N error" or "N errors".
func ErrorCount(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "error", "errors")) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
