package metrics

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	neturl "net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/borderwatch/borderwatch/internal/redact"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is what a sensor's metrics endpoint served: every sample by
// metric name. `borderwatch status` prints it with WriteStatus.
type Scrape map[string][]sample

type sample struct {
	labels map[string]string
	value  float64
}

// ErrBadAddress is the error of Fetch for an address that is no URL.
var ErrBadAddress = errors.New("bad metrics address")

// ErrNoServerName is the error of Fetch over https to a wildcard listener
// address (0.0.0.0, [::]) with no name to verify the certificate against:
// FetchOptions.ServerName (status --server-name) gives one.
var ErrNoServerName = errors.New("no name to verify the certificate against")

// FetchOptions say how Fetch reaches a sensor.
type FetchOptions struct {
	// TLS: the listener serves HTTPS (console.tls), so a bare host:port
	// is read as https://host:port/metrics.
	TLS bool
	// RootCAs verify the server's certificate; nil: the system's.
	RootCAs *x509.CertPool
	// ServerName is the name the server's certificate must be valid for
	// (status --server-name), sent as SNI too. "" is the address's host;
	// for a wildcard listener address, the first of CertNames.
	ServerName string
	// CertNames are the names of the listener's own certificate
	// (console.tls.cert_file): DNS names first, then IP addresses.
	CertNames []string
}

// wildcardLoopback returns the loopback address that reaches a listener on
// hostport when its host is a wildcard (0.0.0.0, ::, or none: a listener
// on every address of the machine, loopback included), and whether it is
// one. The certificate of such a listener cannot be for the wildcard
// address: Fetch verifies it against a name instead.
func wildcardLoopback(hostport string) (string, bool) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport, false
	}
	if host == "" {
		return net.JoinHostPort("127.0.0.1", port), true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsUnspecified() {
		return hostport, false
	}
	if ip.Is4() {
		return net.JoinHostPort("127.0.0.1", port), true
	}
	return net.JoinHostPort("::1", port), true
}

// Fetch reads the metrics of a running sensor at addr (host:port, or a
// URL), within five seconds. Its errors show a URL's secrets redacted
// (redact.URL), and say which scheme to use when the server speaks the
// other one. A wildcard address (0.0.0.0:9467, [::]:9467, :9467: the
// listener is on every address) is read on loopback (127.0.0.1 or ::1);
// over https its certificate is verified against opt.ServerName, else the
// first name of the listener's own certificate (opt.CertNames), else
// Fetch fails with ErrNoServerName: never without verification.
func Fetch(ctx context.Context, addr string, opt FetchOptions) (Scrape, error) {
	url := addr
	if !strings.Contains(url, "://") {
		scheme := "http"
		if opt.TLS {
			scheme = "https"
		}
		url = scheme + "://" + addr + "/metrics"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		var ue *neturl.Error
		if shown := redact.URL(url); shown != url || !errors.As(err, &ue) {
			// The parser's reason may quote a piece of a secret.
			return nil, fmt.Errorf("status: %w: %s", ErrBadAddress, shown)
		}
		return nil, fmt.Errorf("status: %w: %s: %w", ErrBadAddress, url, ue.Err)
	}
	shown := redact.URL(url)
	req.Header.Set("Accept", "text/plain")
	orig := req.URL.Host // what the operator gave, for the error messages
	serverName := opt.ServerName
	lo, wildcard := wildcardLoopback(req.URL.Host)
	var via, verifiedAs string // for the errors of a wildcard address
	if wildcard {
		req.URL.Host, req.Host = lo, lo
		via = " (read on " + lo + ")"
		if req.URL.Scheme == "https" && serverName == "" {
			if len(opt.CertNames) == 0 {
				return nil, fmt.Errorf("status: %s is a wildcard address%s: %w: give the name its certificate is for with --server-name "+
					"(console.tls.cert_file names none, or cannot be read)", shown, via, ErrNoServerName)
			}
			serverName = opt.CertNames[0]
			verifiedAs = "; verified as " + serverName + ", the first name of console.tls.cert_file: --server-name gives another"
		}
	}
	client := http.DefaultClient
	if opt.RootCAs != nil || serverName != "" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: opt.RootCAs, ServerName: serverName, MinVersion: tls.VersionTLS12}
		client = &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
	}
	resp, err := client.Do(req)
	if err != nil {
		if req.URL.Scheme == "https" && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
			return nil, fmt.Errorf("status: %s%s: the server speaks plain HTTP: use http://%s/metrics", shown, via, orig)
		}
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) && verifiedAs != "" {
			return nil, fmt.Errorf("status: %s%s: %w%s", shown, via, cv, verifiedAs)
		}
		return nil, fmt.Errorf("status: is borderwatch run listening on %s%s? %w", shown, via, redact.Error(err, url))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Go's server answers plain HTTP on a TLS listener with a 400
		// saying so.
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		if req.URL.Scheme == "http" && resp.StatusCode == http.StatusBadRequest && strings.Contains(string(head), "HTTP request to an HTTPS server") {
			return nil, fmt.Errorf("status: %s%s: the server speaks TLS (console.tls): use https://%s/metrics", shown, via, orig)
		}
		return nil, fmt.Errorf("status: %s%s: %s", shown, via, resp.Status)
	}
	return ParseScrape(io.LimitReader(resp.Body, maxScrapeBytes))
}

// maxScrapeBytes bounds what Fetch reads of a response.
const maxScrapeBytes = 64 << 20

// ParseScrape parses metrics in the Prometheus text format.
func ParseScrape(r io.Reader) (Scrape, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("status: parsing metrics: %w", err)
	}
	ms := Scrape{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			s := sample{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Counter != nil:
				s.value = m.Counter.GetValue()
			case m.Gauge != nil:
				s.value = m.Gauge.GetValue()
			case m.Untyped != nil:
				s.value = m.Untyped.GetValue()
			default:
				continue
			}
			ms[name] = append(ms[name], s)
		}
	}
	return ms, nil
}

// sum adds the samples of name whose labels match want.
func (ms Scrape) sum(name string, want map[string]string) float64 {
	var v float64
	for _, s := range ms[name] {
		ok := true
		for k, w := range want {
			if s.labels[k] != w {
				ok = false
				break
			}
		}
		if ok {
			v += s.value
		}
	}
	return v
}

// by sums name's samples by the value of label key, among those matching want.
func (ms Scrape) by(name, key string, want map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range ms[name] {
		ok := true
		for k, w := range want {
			if s.labels[k] != w {
				ok = false
			}
		}
		if ok {
			out[s.labels[key]] += s.value
		}
	}
	return out
}

func top(m map[string]float64, n int) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	if len(keys) == 0 {
		return "-"
	}
	parts := make([]string, 0, n)
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// WriteStatus writes the status report of the sensor at addr: per
// capture source the packets, bytes and drops, the kernel stage's counters
// (when XDP is used, per interface and hook too), the pipeline's, the
// outputs', the reloads and the top countries in and out.
func WriteStatus(w io.Writer, addr string, ms Scrape) error {
	if _, ok := ms["borderwatch_packets_total"]; !ok {
		return fmt.Errorf("status: %s does not serve borderwatch metrics", redact.URL(addr))
	}
	fmt.Fprintf(w, "borderwatch sensor at %s\n\n", redact.URL(addr))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SOURCE\tPACKETS\tBYTES\tDROPS\t")
	frames := ms.by("borderwatch_capture_frames_total", "source", nil)
	bytes := ms.by("borderwatch_capture_bytes_total", "source", nil)
	drops := ms.by("borderwatch_capture_drops_total", "source", nil)
	names := slices.Sorted(maps.Keys(frames))
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t\n", n, frames[n], bytes[n], drops[n])
	}
	tw.Flush()
	fmt.Fprintln(w, "(for xdp: sources, packets are the packets the kernel handed off, drops are ring-buffer losses)")

	_, xdp := ms["borderwatch_kernel_events_total"]
	if xdp {
		ev := ms.by("borderwatch_kernel_events_total", "event", nil)
		fmt.Fprintf(w, "kernel: packets %.0f, handed off %.0f, ring buffer full %.0f, budget drops %.0f, non-IP %.0f, enforcement drops %.0f\n",
			ms.sum("borderwatch_kernel_seen_packets_total", nil), ev["handoff"], ev["ringbuf_full"], ev["budget_drop"], ev["non_ip"], ev["enforce_drop"])
		printHandoffs(w, ms)
		printInterfaces(w, ms)
		printFloods(w, ms)
	}
	dec := ms.by("borderwatch_packets_total", "result", nil)
	skipped := dec["truncated"] + dec["non_ip"] + dec["malformed"] + dec["unsupported_link"]
	fmt.Fprintf(w, "pipeline: decoded %.0f, skipped %.0f, queue drops %.0f, flows %.0f (evicted %.0f), alerts %.0f\n",
		dec["decoded"], skipped, ms.sum("borderwatch_queue_drops_total", nil), ms.sum("borderwatch_flows", nil),
		ms.sum("borderwatch_flows_evicted_total", nil), ms.sum("borderwatch_alerts_total", nil))
	if outs := ms.by("borderwatch_sink_alerts_total", "output", nil); len(outs) > 0 {
		dropped := ms.by("borderwatch_sink_dropped_total", "output", nil)
		on := make([]string, 0, len(outs))
		for n := range outs {
			on = append(on, n)
		}
		slices.Sort(on)
		for _, n := range on {
			fmt.Fprintf(w, "output %s: written %.0f, dropped %.0f\n", n, outs[n], dropped[n])
		}
	}
	rl := ms.by("borderwatch_reloads_total", "result", nil)
	fmt.Fprintf(w, "rules loaded %.0f; reloads %.0f ok, %.0f failed\n", ms.sum("borderwatch_rules_loaded", nil), rl["success"], rl["failure"])

	metric := "borderwatch_country_packets_total"
	if xdp {
		metric = "borderwatch_kernel_packets_total"
	}
	fmt.Fprintf(w, "top countries in:  %s\n", top(ms.by(metric, "country", map[string]string{"direction": "inbound"}), 5))
	fmt.Fprintf(w, "top countries out: %s\n", top(ms.by(metric, "country", map[string]string{"direction": "outbound"}), 5))
	printLists(w, ms)
	return nil
}

// printLists writes the list sources' table (rules/feeds' borderwatch_list_*
// metrics; nothing when the sensor has none): per list the entries of the
// list in force, its age, the failures since the last success, when an
// update last failed and why (the errors by reason), and whether a fetched
// list is not in force yet.
func printLists(w io.Writer, ms Scrape) {
	entries := ms.by("borderwatch_list_entries", "list", nil)
	if len(entries) == 0 {
		return
	}
	age := ms.by("borderwatch_list_age_seconds", "list", nil)
	lastErr := ms.by("borderwatch_list_last_error_timestamp_seconds", "list", nil)
	failures := ms.by("borderwatch_list_failures", "list", nil)
	pending := ms.by("borderwatch_list_pending", "list", nil)
	names := slices.Sorted(maps.Keys(entries))
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LIST\tENTRIES\tAGE\tFAILURES\tLAST ERROR\tIN FORCE")
	for _, n := range names {
		a := "never"
		if v, ok := age[n]; ok {
			a = (time.Duration(v) * time.Second).String()
		}
		e := "-"
		if v, ok := lastErr[n]; ok {
			e = time.UnixMilli(int64(v*1e3)).UTC().Format(time.RFC3339) + " (" +
				top(ms.by("borderwatch_list_errors_total", "reason", map[string]string{"list": n}), 3) + ")"
		}
		in := "yes"
		if pending[n] > 0 {
			in = "no: a newer list is fetched, not in force (the reload failed or is due; see the log)"
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.0f\t%s\t%s\n", n, entries[n], a, failures[n], e, in)
	}
	tw.Flush()
}

// ifaceHook is a row of the kernel's per-interface table.
type ifaceHook struct{ iface, hook string }

// printInterfaces writes the kernel stage's per-interface, per-hook
// counters as a table (nothing when the sensor exports none).
func printInterfaces(w io.Writer, ms Scrape) {
	cols := []string{"packets", "bytes", "handoffs", "ringbuf_full", "enforce_drops"}
	vals := map[ifaceHook]map[string]float64{}
	for _, c := range cols {
		for _, s := range ms["borderwatch_kernel_interface_"+c+"_total"] {
			k := ifaceHook{s.labels["iface"], s.labels["hook"]}
			if vals[k] == nil {
				vals[k] = map[string]float64{}
			}
			vals[k][c] += s.value
		}
	}
	if len(vals) == 0 {
		return
	}
	rows := make([]ifaceHook, 0, len(vals))
	for k := range vals {
		rows = append(rows, k)
	}
	slices.SortFunc(rows, func(a, b ifaceHook) int {
		if c := strings.Compare(a.iface, b.iface); c != 0 {
			return c
		}
		return strings.Compare(b.hook, a.hook) // ingress before egress
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "INTERFACE\tHOOK\tPACKETS\tBYTES\tHANDOFFS\tRING FULL\tENFORCE DROPS\t")
	for _, k := range rows {
		v := vals[k]
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t\n", k.iface, k.hook,
			v["packets"], v["bytes"], v["handoffs"], v["ringbuf_full"], v["enforce_drops"])
	}
	tw.Flush()
}
