// Command bw-synth writes synthetic capture files of attack and benign
// traffic, for tests, demos and benchmarks:
//
//	bw-synth -list
//	bw-synth -scenario scan -o scan.pcap
//	bw-synth -scenario mixed -ipv6 -vlan 200,100 -seed 7 -o mixed.pcapng.gz
//
// The format follows the output name: .pcapng for pcapng, .gz for gzip, pcap
// otherwise. Output is deterministic for a given seed and start time.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bw-synth:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bw-synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		list     = fs.Bool("list", false, "list the scenarios and exit")
		scenario = fs.String("scenario", "", "scenario to generate, or several joined with + (merged by time)")
		out      = fs.String("o", "", "output file (.pcap, .pcapng, optionally .gz)")
		seed     = fs.Uint64("seed", 1, "random seed")
		v6       = fs.Bool("ipv6", false, "use the IPv6 lab addresses (2001:db8::/32)")
		vlan     = fs.String("vlan", "", "VLAN tags, outermost first: 100 for 802.1Q, 200,100 for QinQ")
		start    = fs.String("start", synth.Epoch.Format(time.RFC3339), "capture start time (RFC 3339)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *list {
		for _, s := range synth.Scenarios() {
			fmt.Fprintf(stdout, "%-12s %s\n", s.Name, s.Description)
		}
		return nil
	}
	if *scenario == "" || *out == "" {
		return fmt.Errorf("need -scenario and -o (see -list)")
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("bad -start: %w", err)
	}
	tags, err := parseVLAN(*vlan)
	if err != nil {
		return err
	}
	g := synth.New(synth.Options{Seed: *seed, Start: t0, VLAN: tags})
	var streams []synth.Stream
	for _, name := range strings.Split(*scenario, "+") {
		sc, ok := synth.Lookup(name)
		if !ok {
			return fmt.Errorf("unknown scenario %q (see -list)", name)
		}
		streams = append(streams, sc.Build(g, *v6))
	}
	s := synth.Merge(streams...)
	if err := synth.WriteFile(*out, s); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d packets to %s\n", len(s), *out)
	return nil
}

func parseVLAN(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	var tags []uint16
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(f, 10, 12)
		if err != nil || v == 0 || v == 4095 {
			return nil, fmt.Errorf("bad VLAN id %q: want 1-4094", f)
		}
		tags = append(tags, uint16(v))
	}
	if len(tags) > 2 {
		return nil, fmt.Errorf("at most two VLAN tags, got %d", len(tags))
	}
	return tags, nil
}
