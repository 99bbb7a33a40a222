package metrics

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// printFloods writes the kernel stage's flood handling (XDP): samples handed
// off and packets kept in the kernel, by reason (sampled away, forwarded
// copies, past the per-CPU cap on flood-class hand-offs), and the destinations the
// kernel counts as flooded, busiest first (nothing when none is tracked).
func printFloods(w io.Writer, ms Scrape) {
	ev := ms.by("borderwatch_kernel_events_total", "event", nil)
	fmt.Fprintf(w, "kernel floods: samples handed off %.0f, packets kept in the kernel %.0f, forwarded copies %.0f, untracked %.0f, samples lost (ring full) %.0f, capped (flood_total_pps) %.0f, samples over the total (flood_samples_pps) %.0f\n",
		ev["flood_sampled"], ev["flood_suppressed"], ev["flood_forwarded"], ev["flood_untracked"], ev["flood_sample_lost"], ev["flood_capped"], ev["flood_sample_budget"])
	type row struct {
		dst, class                                string
		packets, sampled, suppressed, src, active float64
	}
	rows := map[[2]string]*row{}
	for _, m := range []string{"packets_total", "sampled_total", "suppressed_total", "sources", "active"} {
		for _, s := range ms["borderwatch_kernel_flood_"+m] {
			k := [2]string{s.labels["dst"], s.labels["class"]}
			r := rows[k]
			if r == nil {
				r = &row{dst: k[0], class: k[1]}
				rows[k] = r
			}
			switch m {
			case "packets_total":
				r.packets = s.value
			case "sampled_total":
				r.sampled = s.value
			case "suppressed_total":
				r.suppressed = s.value
			case "sources":
				r.src = s.value
			case "active":
				r.active = s.value
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	list := make([]*row, 0, len(rows))
	for _, r := range rows {
		list = append(list, r)
	}
	slices.SortFunc(list, func(a, b *row) int {
		if a.packets != b.packets {
			if a.packets > b.packets {
				return -1
			}
			return 1
		}
		return strings.Compare(a.dst+a.class, b.dst+b.class)
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DESTINATION\tCLASS\tPACKETS\tSAMPLED\tKEPT IN KERNEL\tSOURCES\tUNDER FLOOD\t")
	for _, r := range list {
		under := "no"
		if r.active != 0 {
			under = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t~%.0f\t%s\t\n", r.dst, r.class, r.packets, r.sampled, r.suppressed, r.src, under)
	}
	tw.Flush()
}

// handoffPaths are the kernel's hand-off paths in the order status prints
// them (kernel_handoffs_total's path label).
var handoffPaths = []string{"listed", "dropped", "flood_sample", "cap_budget", "below_cap", "fragment", "tcp_flags", "flow_first", "budget_new", "budget"}

// printHandoffs writes the kernel's hand-offs by the path that sent each
// up (nothing when the kernel does not export them).
func printHandoffs(w io.Writer, ms Scrape) {
	if _, ok := ms["borderwatch_kernel_handoffs_total"]; !ok {
		return
	}
	by := ms.by("borderwatch_kernel_handoffs_total", "path", nil)
	parts := make([]string, 0, len(handoffPaths))
	for _, p := range handoffPaths {
		parts = append(parts, fmt.Sprintf("%s %.0f", p, by[p]))
	}
	fmt.Fprintf(w, "kernel hand-offs by path: %s\n", strings.Join(parts, ", "))
}
