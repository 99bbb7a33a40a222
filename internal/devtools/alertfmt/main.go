// Command alertfmt prints borderwatch alert lines (EVE or ECS) readably, one
// line per alert, as they arrive: the lab's view, the same as `borderwatch
// tail` (sensor/alert/tail). It reads standard input, or follows a file
// (like tail -F, from its current end, or from the start with -from-start).
// scripts/lab/demo.sh uses it.
//
//	alertfmt < alerts.json
//	alertfmt -follow alerts.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/borderwatch/borderwatch/sensor/alert/tail"
	"golang.org/x/term"
)

func main() {
	follow := flag.String("follow", "", "follow this alert file as it grows")
	fromStart := flag.Bool("from-start", false, "with -follow: print the alerts already in the file first")
	colour := flag.Bool("color", os.Getenv("NO_COLOR") == "" && term.IsTerminal(int(os.Stdout.Fd())), "colour the severity")
	flag.Parse()
	opt := tail.Options{Colour: *colour, Lines: tail.All, Notes: os.Stderr}
	if *follow != "" && !*fromStart {
		opt.Lines = 0
	}
	opt.Follow = *follow != ""
	t, err := tail.New(os.Stdout, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "alertfmt:", err)
		os.Exit(2)
	}
	if opt.Follow {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = t.File(ctx, *follow)
		stop()
	} else {
		err = t.Reader("stdin", os.Stdin)
	}
	st := t.Stats()
	if s := st.Summary(); s != "" {
		fmt.Fprintln(os.Stderr, "alertfmt:", s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "alertfmt:", err)
		os.Exit(1)
	}
}
