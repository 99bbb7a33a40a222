// Command bw-bench is the helper of scripts/bench.sh: it writes the benchmark
// mix (internal/synth.BenchSource) as a pcap file, replays such a file through
// the capture file source and the pipeline (replay end to end), replays the
// mix generated in-process for the memory test (peak RSS with millions of
// spoofed sources: no file of that size is needed), and times the start-up
// (rules and the full embedded GeoIP database). Results are printed as Go
// benchmark lines, so that benchstat reads them:
//
//	bw-bench write -n 4000000 -o /tmp/mix.pcap
//	bw-bench replay -file /tmp/mix.pcap -workers 2
//	bw-bench replay -n 11500000 -flood 0.9 -spoofed 10000000 -workers 2
//	bw-bench startup -count 5
//	bw-bench realmix -n 900000 -o /tmp/real.pcap CAPTURE...
//
// realmix writes the held-out real-tool mix of issue 16: the given real
// captures (../shared/pcaps, testdata/cases/lab-*: scripts/realmix.sh names
// them) one after the other, each re-stamped to follow the previous one by
// a second, round after round until n packets (pcap, or pcapng for a name
// ending in .pcapng).
//
// replay -cpuprofile writes a CPU profile of the timed part only (not of
// loading the rules and the GeoIP database).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bw-bench:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: bw-bench write|replay|startup|realmix [flags]")
	}
	fs := flag.NewFlagSet("bw-bench "+args[0], flag.ContinueOnError)
	var (
		n       = fs.Int("n", 1000000, "packets of the mix")
		seed    = fs.Uint64("seed", 1, "random seed of the mix")
		flood   = fs.Float64("flood", 0, "share of spoofed SYN flood packets (0: the mix default, 0.14)")
		spoofed = fs.Int("spoofed", 0, "distinct spoofed flood sources (0: the default, 1<<20)")
		workers = fs.Int("workers", 1, "replay: detection workers")
		file    = fs.String("file", "", "replay: read this capture file (capture.OpenFile) instead of generating the mix")
		cpuProf = fs.String("cpuprofile", "", "replay: write a CPU profile of the timed part to this file")
		outPath = fs.String("o", "", "write, realmix: output capture")
		count   = fs.Int("count", 5, "startup: repetitions")
		home    = fs.String("home", "DE", "home countries")
	)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	spec := synth.BenchSpec{Seed: *seed, Packets: *n, Flood: *flood, SpoofedSources: *spoofed}
	switch args[0] {
	case "write":
		if *outPath == "" {
			return errors.New("write: -o is required")
		}
		f, err := os.Create(*outPath)
		if err != nil {
			return err
		}
		if _, err := synth.WriteBench(f, spec); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", *outPath, err)
		}
		return f.Close()
	case "replay":
		return replay(out, replayOpts{spec: spec, file: *file, workers: *workers, home: *home, cpuProfile: *cpuProf})
	case "startup":
		return startup(out, *count, *home)
	case "realmix":
		if *outPath == "" || fs.NArg() == 0 {
			return errors.New("realmix: -o and at least one capture are required")
		}
		return realMix(*outPath, *n, fs.Args())
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func load(home string) (*rules.Set, *geo.Table, error) {
	set, err := rules.Load(rules.Options{Geo: geo.Config{Home: strings.Split(home, ",")}})
	if err != nil {
		return nil, nil, err
	}
	// The tables "borderwatch replay" builds by default: the embedded
	// location, registration and ASN data.
	t, err := geo.OpenTable(geo.Paths{}, set.Zones)
	if err != nil {
		return nil, nil, err
	}
	return set, t, nil
}

// startup times what the sensor does before its first packet: loading the
// default rules and building the table from the full embedded databases.
func startup(out io.Writer, count int, home string) error {
	for range count {
		t0 := time.Now()
		if _, _, err := load(home); err != nil {
			return err
		}
		fmt.Fprintf(out, "BenchmarkStartupInProcess 1 %d ns/op\n", time.Since(t0).Nanoseconds())
		runtime.GC()
	}
	return nil
}

type countSink struct {
	enc *alert.Encoder
	buf []byte
	n   int
}

func (s *countSink) Write(a *alert.Alert) error {
	var err error
	s.buf, err = s.enc.Append(s.buf[:0], a)
	s.n++
	return err
}

type replayOpts struct {
	spec       synth.BenchSpec
	file       string // capture file to replay; "" generates spec's mix
	workers    int
	home       string
	cpuProfile string
}

// replay times one replay. With a file, the packets are the frames read
// through capture.OpenFile, as "borderwatch replay" reads them, and the line
// is named BenchmarkReplayFile; without, BenchmarkReplayMix, whose figure
// includes generating the mix (internal/synth.BenchSource).
func replay(out io.Writer, o replayOpts) error {
	set, t, err := load(o.home)
	if err != nil {
		return err
	}
	var (
		src  capture.Source
		name string
	)
	if o.file != "" {
		if src, err = capture.OpenFile(o.file); err != nil {
			return err
		}
		defer src.Close()
		name = fmt.Sprintf("BenchmarkReplayFile/workers=%d", o.workers)
	} else {
		src = synth.NewBenchSource(o.spec)
		spoofed := o.spec.SpoofedSources
		if spoofed == 0 {
			spoofed = 1 << 20
		}
		name = fmt.Sprintf("BenchmarkReplayMix/workers=%d/spoofed=%d", o.workers, spoofed)
	}
	sink := &countSink{enc: alert.NewEncoder(alert.FormatEVE)}
	p, err := pipeline.New(pipeline.Config{Workers: o.workers}, geo.NewHolder(t), set, sink)
	if err != nil {
		return err
	}
	var prof *os.File
	if o.cpuProfile != "" {
		if prof, err = os.Create(o.cpuProfile); err != nil {
			return err
		}
		defer prof.Close()
	}
	// Collect the set-up's garbage now: a GC cycle started by it would
	// otherwise run during the replay and be counted in its CPU time.
	runtime.GC()
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			return err
		}
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	c0, t0 := cpuTime(), time.Now()
	err = p.Run(context.Background(), src)
	wall, cpu := time.Since(t0), cpuTime()-c0
	if prof != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	p.Close()
	runtime.ReadMemStats(&ms1)
	st := p.Stats()
	n := float64(st.Capture.Frames)
	if n == 0 {
		return fmt.Errorf("replay: %s: no packets", src.Name())
	}
	fmt.Fprintf(out, "%s %d %.1f ns/op %.0f pkts/s %.1f cpu-ns/pkt %.4f allocs/pkt %d alerts %d peak-RSS-bytes %d flows-evicted\n",
		name, st.Capture.Frames, float64(wall.Nanoseconds())/n, n/wall.Seconds(),
		float64(cpu.Nanoseconds())/n, float64(ms1.Mallocs-ms0.Mallocs)/n,
		sink.n, vmHWM(), st.Flow.Evicted)
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM is the process's peak resident set size in bytes (0 if unknown).
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
