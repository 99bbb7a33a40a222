// Command alertfmt prints borderwatch EVE alert lines readably, one line per
// alert, as they arrive. It reads standard input, or follows a file (like
// tail -F from its current end, or from the start with -from-start).
// scripts/lab/demo.sh uses it.
//
//	alertfmt < alerts.json
//	alertfmt -follow alerts.json
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

type side struct {
	Country       string   `json:"country_iso_code"`
	ASOrg         string   `json:"as_org"`
	Jurisdictions []string `json:"jurisdictions"`
}

type eve struct {
	Timestamp string `json:"timestamp"`
	SrcIP     string `json:"src_ip"`
	SrcPort   int    `json:"src_port"`
	DestIP    string `json:"dest_ip"`
	DestPort  int    `json:"dest_port"`
	Proto     string `json:"proto"`
	ICMPType  *int   `json:"icmp_type"`
	Alert     struct {
		SignatureID int    `json:"signature_id"`
		Signature   string `json:"signature"`
		Severity    int    `json:"severity"`
		Metadata    struct {
			Kind []string `json:"kind"`
		} `json:"metadata"`
		Context struct {
			Geo struct {
				Direction string `json:"direction"`
				Src       side   `json:"src"`
				Dest      side   `json:"dest"`
			} `json:"geo"`
			Stats struct {
				DistinctPorts   int `json:"distinct_ports"`
				DistinctHosts   int `json:"distinct_hosts"`
				DistinctSources int `json:"distinct_sources"`
			} `json:"stats"`
			Threshold struct {
				Observed int64 `json:"observed"`
			} `json:"threshold"`
		} `json:"context"`
	} `json:"alert"`
	Flow struct {
		PktsToServer  int64 `json:"pkts_toserver"`
		PktsToClient  int64 `json:"pkts_toclient"`
		BytesToServer int64 `json:"bytes_toserver"`
		BytesToClient int64 `json:"bytes_toclient"`
	} `json:"flow"`
}

func main() {
	follow := flag.String("follow", "", "follow this alert file as it grows")
	fromStart := flag.Bool("from-start", false, "with -follow: print the alerts already in the file first")
	color := flag.Bool("color", isTerminal(), "colour the severity")
	flag.Parse()
	var err error
	if *follow != "" {
		err = followFile(*follow, *fromStart, *color)
	} else {
		err = format(os.Stdin, os.Stdout, *color)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "alertfmt:", err)
		os.Exit(1)
	}
}

func isTerminal() bool {
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func format(r io.Reader, w io.Writer, color bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fmt.Fprintln(w, line(sc.Bytes(), color))
	}
	return sc.Err()
}

// followFile prints the lines appended to path until interrupted.
func followFile(path string, fromStart, color bool) error {
	var f *os.File
	for {
		var err error
		if f, err = os.Open(path); err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer f.Close()
	if !fromStart {
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			return err
		}
	}
	r := bufio.NewReader(f)
	var partial []byte
	for {
		b, err := r.ReadBytes('\n')
		partial = append(partial, b...)
		if err == io.EOF {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		fmt.Println(line(partial, color))
		partial = partial[:0]
	}
}

// line renders one alert:
//
//	23:46:26.215 sev2 scan     8100101 BW SCAN inbound TCP port scan from abroad
//	             inbound CN 198.51.100.11 → DE 192.0.2.11:10 TCP  [BRICS → home,EU,…]  15 ports, 29 pkts
func line(b []byte, color bool) string {
	var e eve
	if err := json.Unmarshal(b, &e); err != nil {
		return "unparsable alert: " + strings.TrimSpace(string(b))
	}
	ts := e.Timestamp
	if t, err := time.Parse("2006-01-02T15:04:05.999999-0700", e.Timestamp); err == nil {
		ts = t.Local().Format("15:04:05.000")
	}
	kind := strings.Join(e.Alert.Metadata.Kind, ",")
	sev := fmt.Sprintf("sev%d", e.Alert.Severity)
	if color {
		c := map[int]string{1: "31", 2: "33", 3: "36"}[e.Alert.Severity]
		if c == "" {
			c = "37"
		}
		sev = "\x1b[1;" + c + "m" + sev + "\x1b[0m"
	}
	var extra []string
	if e.Alert.Context.Stats.DistinctPorts > 0 {
		extra = append(extra, fmt.Sprintf("%d ports", e.Alert.Context.Stats.DistinctPorts))
	}
	if e.Alert.Context.Stats.DistinctHosts > 0 {
		extra = append(extra, fmt.Sprintf("%d hosts", e.Alert.Context.Stats.DistinctHosts))
	}
	if e.Alert.Context.Stats.DistinctSources > 0 {
		extra = append(extra, fmt.Sprintf("%d sources", e.Alert.Context.Stats.DistinctSources))
	}
	extra = append(extra, fmt.Sprintf("%d pkts", e.Flow.PktsToServer+e.Flow.PktsToClient),
		bytesText(e.Flow.BytesToServer+e.Flow.BytesToClient))
	return fmt.Sprintf("%s %s %-13s %d %s\n             %-8s %s → %s %s  [%s → %s]  %s",
		ts, sev, kind, e.Alert.SignatureID, e.Alert.Signature,
		e.Alert.Context.Geo.Direction, endpoint(e.Alert.Context.Geo.Src.Country, e.SrcIP, e.SrcPort, e.Proto), endpoint(e.Alert.Context.Geo.Dest.Country, e.DestIP, e.DestPort, e.Proto),
		e.Proto, jur(e.Alert.Context.Geo.Src.Jurisdictions), jur(e.Alert.Context.Geo.Dest.Jurisdictions), strings.Join(extra, ", "))
}

func endpoint(cc, ip string, port int, proto string) string {
	if cc == "" {
		cc = "??"
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	if port != 0 && (proto == "TCP" || proto == "UDP") {
		return fmt.Sprintf("%s %s:%d", cc, ip, port)
	}
	return cc + " " + ip
}

func jur(j []string) string {
	if len(j) == 0 {
		return "-"
	}
	if len(j) > 3 {
		return strings.Join(j[:3], ",") + ",…"
	}
	return strings.Join(j, ",")
}

func bytesText(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
