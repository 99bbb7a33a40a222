// Command bw-sweep replays many captures one by one, each through a fresh
// pipeline with the default rules and the embedded GeoIP tables loaded once,
// and prints one line per capture: FILE, ok or the error, the alert count
// and the alerts' signature ids. It is the benign sweep of issue 14 (every
// capture of a benign collection must give 0 alerts) in seconds instead of
// one `borderwatch replay` start-up per file.
//
//	find TRACES -name '*.pcap*' | bw-sweep --home DE
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/replay"
)

func main() {
	home := flag.String("home", "DE", "home jurisdiction (as --home)")
	flag.Parse()
	if err := sweep(os.Stdin, os.Stdout, *home); err != nil {
		fmt.Fprintln(os.Stderr, "bw-sweep:", err)
		os.Exit(1)
	}
}

func sweep(in io.Reader, out io.Writer, home string) error {
	set, err := rules.Load(rules.Options{Geo: geo.Config{Home: strings.Split(home, ",")}})
	if err != nil {
		return err
	}
	t, err := geo.OpenTable(geo.Paths{}, set.Zones)
	if err != nil {
		return err
	}
	h := geo.NewHolder(t)
	var files, failed, alerted int
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := sc.Text()
		var sids []int
		sink := pipeline.SinkFunc(func(a *alert.Alert) error {
			sids = append(sids, int(a.SignatureID))
			return nil
		})
		_, err := replay.Run(context.Background(), replay.Options{Pipeline: pipeline.Config{Workers: 1}, Geo: h, Rules: set, Sink: sink, Files: []string{f}})
		result := "ok"
		if err != nil {
			result, failed = strconv.Quote(err.Error()), failed+1
		}
		if len(sids) > 0 {
			alerted++
		}
		slices.Sort(sids)
		ids := make([]string, len(sids))
		for i, s := range sids {
			ids[i] = strconv.Itoa(s)
		}
		fmt.Fprintf(out, "%s %s %d %s\n", f, result, len(sids), strings.Join(ids, ","))
		files++
	}
	fmt.Fprintf(out, "# %d captures, %d rejected, %d with alerts\n", files, failed, alerted)
	return sc.Err()
}
