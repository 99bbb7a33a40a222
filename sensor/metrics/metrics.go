package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert/sink"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
)

// DefaultListen is the default metrics address: localhost only, port 9467
// (not assigned by IANA and not on the Prometheus default port allocations
// wiki page at the time of writing).
const DefaultListen = "127.0.0.1:9467"

// KernelCount is one kernel counter cell, summed over protocols.
type KernelCount struct {
	Country   geo.CountryID // the remote end's country
	Direction geo.Direction
	Egress    bool // counted by the TC egress program (else XDP ingress)
	Packets   uint64
	Bytes     uint64
}

// KernelIfaceCount are the kernel counters of one interface and hook.
type KernelIfaceCount struct {
	Iface        string
	Egress       bool   // the TC egress program (else XDP ingress)
	Packets      uint64 // packets seen
	Bytes        uint64 // wire bytes seen
	Handoff      uint64 // records handed to user space
	RingbufFull  uint64 // records lost: ring buffer full
	EnforceDrops uint64 // packets dropped by enforcement
}

// Hook is the hook label of kernel counters: "egress" for the TC egress
// program, "ingress" for XDP.
func Hook(egress bool) string {
	if egress {
		return "egress"
	}
	return "ingress"
}

// KernelFlood is the kernel's flood count of one home destination and
// flood class (syn, udp, icmp), summed over CPUs.
type KernelFlood struct {
	Dst   string // address
	Class string // syn, udp or icmp
	// Packets were counted since the destination took its kernel slot;
	// Sampled of them went up as samples, Suppressed stayed in the kernel
	// (their count carried by the samples).
	Packets, Sampled, Suppressed uint64
	// Sources estimates the distinct sources of the last two seconds.
	Sources uint64
	// UnderFlood is set while the destination's current window passed
	// the kernel's flood rate.
	UnderFlood bool
}

// MaxKernelFloods bounds KernelStats.Floods in the metrics: the busiest
// destinations only, so that a flood of many destinations does not blow
// up the label set.
const MaxKernelFloods = 16

// KernelStats are the kernel stage's counters (XDP capture only).
type KernelStats struct {
	// Packets and Bytes are what the programs saw, on every interface.
	Packets, Bytes uint64
	// Events are the program-wide counts of packets (or records) by what
	// happened to them: handoff, ringbuf_full, budget_drop, non_ip,
	// fragment, enforce_drop, byte_report, byte_report_deferred.
	Events map[string]uint64
	// Handoffs are the records handed off (Events["handoff"]) by the
	// path of the kernel's hand-off policy that sent each up.
	Handoffs map[string]uint64
	// ParseErrors are the parser's give-ups by kind.
	ParseErrors map[string]uint64
	// Countries are the per-country counters.
	Countries []KernelCount
	// RuleDrops are the packets enforcement dropped, by rule id.
	RuleDrops map[uint32]uint64
	// Interfaces are the per-interface, per-hook counters.
	Interfaces []KernelIfaceCount
	// Floods are the kernel's flood counts of home destinations, busiest
	// first; the metrics export the first MaxKernelFloods.
	Floods []KernelFlood
}

// Reloads counts SIGHUP reloads.
type Reloads struct {
	ok, failed  atomic.Uint64
	lastOK      atomic.Int64 // unix seconds
	lastAttempt atomic.Int64
}

// Record counts one reload attempt.
func (r *Reloads) Record(err error, at time.Time) {
	r.lastAttempt.Store(at.Unix())
	if err != nil {
		r.failed.Add(1)
		return
	}
	r.ok.Add(1)
	r.lastOK.Store(at.Unix())
}

// LastSuccess is the time of the last successful reload, zero before one.
func (r *Reloads) LastSuccess() time.Time {
	if s := r.lastOK.Load(); s != 0 {
		return time.Unix(s, 0)
	}
	return time.Time{}
}

// Counts returns the successful and failed reloads.
func (r *Reloads) Counts() (ok, failed uint64) { return r.ok.Load(), r.failed.Load() }

// BuildInfo labels borderwatch_build_info.
type BuildInfo struct {
	Version   string // release or module version, "dev" without one
	Commit    string // VCS revision, "" when unknown
	GoVersion string
}

// Sources are where the Collector reads its snapshots; nil fields are
// left out.
type Sources struct {
	Build    BuildInfo // left out when Version is ""
	Pipeline func() pipeline.Stats
	Rules    func() *rules.Set
	Geo      *geo.Holder
	Sinks    func() []sink.Stats
	Kernel   func() (KernelStats, error)
	Reloads  *Reloads
	// Extra are other components' collectors (the list sources).
	Extra []prometheus.Collector
}

// Collector is a prometheus.Collector over Sources.
type Collector struct {
	src        Sources
	kernelErrs atomic.Uint64
}

// New returns a Collector reading src.
func New(src Sources) *Collector { return &Collector{src: src} }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("borderwatch_"+name, help, labels, nil)
}

var (
	dPackets       = desc("packets_total", "Frames read by the pipeline, by decode result (decoded, truncated, unsupported_link, non_ip, malformed).", "result")
	dFrames        = desc("capture_frames_total", "Frames delivered by a capture source.", "source")
	dCapBytes      = desc("capture_bytes_total", "Wire bytes delivered by a capture source.", "source")
	dCapDrops      = desc("capture_drops_total", "Frames lost before delivery by a capture source (kernel ring drops).", "source")
	dCapErrors     = desc("capture_errors_total", "Unreadable records skipped by a capture source.", "source")
	dCapClamped    = desc("capture_wire_clamped_total", "Frames whose original (wire) length claimed more than 256 KiB, counted as 256 KiB.", "source")
	dWorkerPackets = desc("pipeline_packets_total", "Packets processed by the detection workers.")
	dWorkerBytes   = desc("pipeline_bytes_total", "Wire bytes of the packets processed by the detection workers.")
	dCountry       = desc("country_packets_total", "Packets processed by the workers, by jurisdiction direction and remote country (destination for outbound, source otherwise; ?? unknown).", "country", "direction")
	dQueueDrops    = desc("queue_drops_total", "Packets dropped because a detection worker's queue was full (live capture).")
	dAlerts        = desc("alerts_total", "Alerts emitted, by rule.", "rule", "kind")
	dSinkErrorsP   = desc("pipeline_sink_errors_total", "Alerts the pipeline's sink refused.")
	dWorkerPanics  = desc("worker_panics_total", "Panics recovered in the pipeline's readers and workers (decoder, flow table, detectors, enrichment, sink); each dropped the packet in process.")
	dFlows         = desc("flows", "Flows in the flow tables now. Each worker tracks the flows of the addresses it owns: a flow between addresses of two workers is in both tables, and counted in each of the flow metrics by both.")
	dFlowCap       = desc("flow_capacity", "Flow table capacity, summed over workers.")
	dFlowsCreated  = desc("flows_created_total", "Flows created.")
	dFlowsEvicted  = desc("flows_evicted_total", "Flows evicted because the table was full.")
	dFlowsExpired  = desc("flows_expired_total", "Flows removed after their idle timeout.")
	dDetKeys       = desc("detect_keys", "Keys tracked now by a rule's detector.", "rule")
	dDetKeysMax    = desc("detect_keys_capacity", "Key capacity of a rule's detector, summed over workers.", "rule")
	dDetEvicted    = desc("detect_keys_evicted_total", "Detector keys evicted because the rule's table was full.", "rule")
	dDetExpired    = desc("detect_keys_expired_total", "Detector keys removed after going idle.", "rule")
	dDetFirstOver  = desc("detect_first_packets_overwritten_total", "First packets of keys not yet tracked that the rule's doorkeeper replaced before a second packet came (the key then starts one packet later).", "rule")
	dDetDistinct   = desc("detect_distinct_dropped_total", "Distinct values not recorded, by reason (full: rule cap, capped: per-key cap).", "rule", "reason")
	dSinkWritten   = desc("sink_alerts_total", "Alerts delivered by an output.", "output", "type")
	dSinkFiltered  = desc("sink_filtered_total", "Alerts below an output's minimum severity.", "output")
	dSinkWithheld  = desc("sink_withheld_total", "Alerts an output took with nothing it may send (taxii: no foreign address to share); counted in sink_alerts_total.", "output")
	dSinkRefused   = desc("sink_refused_objects_total", "Objects a destination said it did not take in its reply to a delivered write (taxii: status failures).", "output")
	dSinkDropped   = desc("sink_dropped_total", "Alerts an output lost, by reason.", "output", "reason")
	dSinkErrors    = desc("sink_errors_total", "Failed connects and writes of an output.", "output")
	dSinkDepth     = desc("sink_queue_depth", "Alerts in an output's in-memory queue now.", "output")
	dSinkCap       = desc("sink_queue_capacity", "Capacity of an output's in-memory queue.", "output")
	dSinkSpool     = desc("sink_spool_bytes", "Size of an output's spool file.", "output")
	dSinkUp        = desc("sink_up", "1 when an output's last connect or write succeeded.", "output")
	dSinkAccepted  = desc("sink_accepted_total", "Alerts handed to an output past its minimum severity: delivered (sink_alerts_total - sink_replayed_total) + spooled + dropped + queued.", "output")
	dSinkSpooled   = desc("sink_spooled_total", "Alerts an output wrote to its spool.", "output")
	dSinkReplayed  = desc("sink_replayed_total", "Alerts an output delivered from its spool (also in sink_alerts_total).", "output")
	dSinkReopens   = desc("sink_reopens_total", "Times a file output reopened its file because it was deleted or replaced.", "output")
	dSinkDiscarded = desc("sink_spool_discarded_total", "Spooled alerts lost because the spool could not be read back.", "output")
	dGeoBuild      = desc("geoip_database_build_timestamp_seconds", "Build time (metadata build_epoch) of the loaded GeoIP databases.", "kind", "database")
	dGeoLoaded     = desc("geoip_table_built_timestamp_seconds", "When the in-memory GeoIP table was built.")
	dRules         = desc("rules_loaded", "Rules enabled in the installed rule set.")
	dReloads       = desc("reloads_total", "Reloads (SIGHUP) by result.", "result")
	dReloadOK      = desc("reload_last_success_timestamp_seconds", "Time of the last successful reload (0: none).")
	dBuild         = desc("build_info", "Always 1; the labels say which build of borderwatch runs.", "version", "commit", "goversion")
	dKSeenPackets  = desc("kernel_seen_packets_total", "Packets seen by the kernel stage (XDP ingress and TC egress), all interfaces.")
	dKSeenBytes    = desc("kernel_seen_bytes_total", "Wire bytes seen by the kernel stage (XDP ingress and TC egress), all interfaces.")
	dKEvents       = desc("kernel_events_total", "Packets (or ring-buffer records) of the kernel stage by what happened to them: handoff, ringbuf_full, budget_drop, non_ip, fragment, enforce_drop, byte_report, byte_report_deferred, flood_sampled (flood samples handed off), flood_suppressed (packets of a destination under flood kept in the kernel, their count carried by a sample), flood_untracked (flood-class packets whose kernel slot another destination held), flood_sample_lost (samples lost to a full ring; their count carried by the next), flood_forwarded (egress copies of forwarded packets already counted at ingress under flood), flood_capped (flood-class packets kept in the kernel by the per-CPU cap on flood-class hand-offs, capture.handoff.flood_total_pps), flood_sample_budget (samples of destinations under flood refused by the per-CPU total of samples, capture.handoff.flood_samples_pps; their packets are kept and counted in flood_suppressed too, their count carried by the next sample). An event can count a packet another counts too: do not sum over event.", "event")
	dKHandoffs     = desc("kernel_handoffs_total", "Records the kernel stage handed to user space (kernel_events_total{event=\"handoff\"}), by the path of its hand-off policy that sent each up, one path a record: listed (a listed endpoint), dropped (enforcement), flood_sample (a destination under flood), cap_budget (flood class past capture.handoff.flood_total_pps or with the ring filling, on a known source's budget token), below_cap (flood class, the cap's window not full), fragment, tcp_flags (SYN, FIN, RST, odd flags), flow_first (first packets of a TCP flow), budget_new (UDP/ICMP/other, a new source's first packet), budget (UDP/ICMP/other, a known source's token).", "path")
	dKFlood        = desc("kernel_flood_packets_total", "Inbound packets of a flood class (syn, udp, icmp) to a home destination counted by the kernel, for the busiest destinations (since the destination took its kernel slot).", "dst", "class")
	dKFloodSampled = desc("kernel_flood_sampled_total", "Flood samples of a destination handed to user space, each carrying the count of the packets kept back.", "dst", "class")
	dKFloodSupp    = desc("kernel_flood_suppressed_total", "Packets of a destination under flood kept in the kernel (counted, carried by a sample's count).", "dst", "class")
	dKFloodSources = desc("kernel_flood_sources", "Estimated distinct sources of a destination's flood class over the last two seconds.", "dst", "class")
	dKFloodActive  = desc("kernel_flood_active", "1 while a destination is under flood for a class (its packets sampled), else 0.", "dst", "class")
	dKParse        = desc("kernel_parse_errors_total", "Packets the kernel parser gave up on, by kind.", "kind")
	dKPackets      = desc("kernel_packets_total", "Packets counted by the kernel stage, by remote country, jurisdiction direction and hook (ingress: XDP, egress: TC).", "country", "direction", "hook")
	dKBytes        = desc("kernel_bytes_total", "Bytes counted by the kernel stage, by remote country, jurisdiction direction and hook.", "country", "direction", "hook")
	dKRuleDrops    = desc("kernel_dropped_packets_total", "Packets the kernel stage dropped (--enforce), by drop rule.", "rule")
	dKIfPackets    = desc("kernel_interface_packets_total", "Packets seen by the kernel stage, by interface and hook (ingress: XDP, egress: TC).", "iface", "hook")
	dKIfBytes      = desc("kernel_interface_bytes_total", "Wire bytes seen by the kernel stage, by interface and hook.", "iface", "hook")
	dKIfHandoffs   = desc("kernel_interface_handoffs_total", "Packets the kernel stage handed to user space, by interface and hook (byte reports not included).", "iface", "hook")
	dKIfRingFull   = desc("kernel_interface_ringbuf_full_total", "Packets not handed off because the ring buffer was full, by interface and hook.", "iface", "hook")
	dKIfDrops      = desc("kernel_interface_enforce_drops_total", "Packets the kernel stage dropped (--enforce), by interface and hook.", "iface", "hook")
	dKErrors       = desc("kernel_read_errors_total", "Failed reads of the kernel counters (each scrape that failed counts once).")
)

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		dPackets, dFrames, dCapBytes, dCapDrops, dCapErrors, dWorkerPackets, dWorkerBytes, dCountry,
		dQueueDrops, dAlerts, dSinkErrorsP, dFlows, dFlowCap, dFlowsCreated, dFlowsEvicted, dFlowsExpired,
		dDetKeys, dDetKeysMax, dDetEvicted, dDetExpired, dDetFirstOver, dDetDistinct, dSinkWritten, dSinkFiltered, dSinkWithheld, dSinkRefused,
		dSinkDropped, dSinkErrors, dSinkDepth, dSinkCap, dSinkSpool, dSinkUp, dGeoBuild, dGeoLoaded,
		dRules, dReloads, dReloadOK, dBuild, dKSeenPackets, dKSeenBytes, dKEvents, dKHandoffs, dKParse, dKPackets, dKBytes, dKRuleDrops, dKErrors,
		dKIfPackets, dKIfBytes, dKIfHandoffs, dKIfRingFull, dKIfDrops,
		dKFlood, dKFloodSampled, dKFloodSupp, dKFloodSources, dKFloodActive,
		dSinkAccepted, dSinkSpooled, dSinkReplayed, dSinkReopens, dSinkDiscarded, dWorkerPanics, dCapClamped,
	} {
		ch <- d
	}
}

// countryLabel is the two-letter code, "??" for unknown.
func countryLabel(c geo.CountryID) string {
	if s := c.String(); s != "" {
		return s
	}
	return "??"
}

// Collect reads the snapshots.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	if b := c.src.Build; b.Version != "" {
		gauge(dBuild, 1, b.Version, b.Commit, b.GoVersion)
	}
	if c.src.Pipeline != nil {
		s := c.src.Pipeline()
		counter(dPackets, s.Decode.Decoded, "decoded")
		counter(dPackets, s.Decode.Truncated, "truncated")
		counter(dPackets, s.Decode.UnsupportedLink, "unsupported_link")
		counter(dPackets, s.Decode.NonIP, "non_ip")
		counter(dPackets, s.Decode.Malformed, "malformed")
		seen := map[string]bool{}
		for _, src := range s.Sources {
			if seen[src.Name] { // a file replayed twice: first one wins
				continue
			}
			seen[src.Name] = true
			counter(dFrames, src.Frames, src.Name)
			counter(dCapBytes, src.Bytes, src.Name)
			counter(dCapDrops, src.Dropped, src.Name)
			counter(dCapErrors, src.Errors, src.Name)
			counter(dCapClamped, src.WireClamped, src.Name)
		}
		counter(dWorkerPackets, s.Packets)
		counter(dWorkerBytes, s.Bytes)
		for d := range s.Countries {
			dir := geo.Direction(d).String()
			for id, n := range s.Countries[d] {
				if n != 0 {
					counter(dCountry, n, countryLabel(geo.CountryID(id)), dir)
				}
			}
		}
		counter(dQueueDrops, s.QueueDrops)
		counter(dSinkErrorsP, s.SinkErrors)
		counter(dWorkerPanics, s.Panics)
		kinds := map[uint32]string{}
		for _, r := range s.Detect.Rules {
			kinds[r.ID] = r.Kind
		}
		for id, n := range s.AlertsByRule {
			counter(dAlerts, n, strconv.FormatUint(uint64(id), 10), kinds[id])
		}
		gauge(dFlows, float64(s.Flow.Flows))
		gauge(dFlowCap, float64(s.Flow.Capacity))
		counter(dFlowsCreated, s.Flow.Created)
		counter(dFlowsEvicted, s.Flow.Evicted)
		counter(dFlowsExpired, s.Flow.Expired)
		for _, r := range s.Detect.Rules {
			id := strconv.FormatUint(uint64(r.ID), 10)
			gauge(dDetKeys, float64(r.Keys), id)
			gauge(dDetKeysMax, float64(r.MaxKeys), id)
			counter(dDetEvicted, r.KeysEvicted, id)
			counter(dDetExpired, r.KeysExpired, id)
			counter(dDetFirstOver, r.FirstOverwritten, id)
			counter(dDetDistinct, r.DistinctFull, id, "full")
			counter(dDetDistinct, r.DistinctCapped, id, "capped")
		}
		if c.src.Rules == nil {
			gauge(dRules, float64(s.RulesLoaded))
		}
	}
	if c.src.Rules != nil {
		if set := c.src.Rules(); set != nil {
			gauge(dRules, float64(len(set.Rules)))
		}
	}
	if c.src.Geo != nil {
		if t := c.src.Geo.Load(); t != nil {
			if s := t.Source(); !s.BuildTime.IsZero() {
				gauge(dGeoBuild, float64(s.BuildTime.Unix()), "country", s.Name)
			}
			if s := t.ASNSource(); s.Name != "" && !s.BuildTime.IsZero() {
				gauge(dGeoBuild, float64(s.BuildTime.Unix()), "asn", s.Name)
			}
			if b := t.Stats().BuiltAt; !b.IsZero() {
				gauge(dGeoLoaded, float64(b.Unix()))
			}
		}
	}
	if c.src.Sinks != nil {
		for _, o := range c.src.Sinks() {
			counter(dSinkWritten, o.Written, o.Name, o.Type)
			counter(dSinkFiltered, o.Filtered, o.Name)
			if o.Type == "taxii" {
				counter(dSinkWithheld, o.Withheld, o.Name)
				counter(dSinkRefused, o.RefusedObjects, o.Name)
			}
			o.Dropped.Each(func(reason string, n uint64) { counter(dSinkDropped, n, o.Name, reason) })
			counter(dSinkErrors, o.Errors, o.Name)
			gauge(dSinkDepth, float64(o.QueueDepth), o.Name)
			gauge(dSinkCap, float64(o.QueueCap), o.Name)
			gauge(dSinkSpool, float64(o.SpoolBytes), o.Name)
			up := 0.0
			if o.Connected {
				up = 1
			}
			gauge(dSinkUp, up, o.Name)
			counter(dSinkAccepted, o.Accepted, o.Name)
			counter(dSinkSpooled, o.Spooled, o.Name)
			counter(dSinkReplayed, o.Replayed, o.Name)
			counter(dSinkReopens, o.Reopens, o.Name)
			counter(dSinkDiscarded, o.SpoolDiscarded, o.Name)
		}
	}
	if c.src.Reloads != nil {
		ok, failed := c.src.Reloads.Counts()
		counter(dReloads, ok, "success")
		counter(dReloads, failed, "failure")
		gauge(dReloadOK, float64(c.src.Reloads.lastOK.Load()))
	}
	if c.src.Kernel != nil {
		c.collectKernel(counter, gauge)
	}
}

type kernelKey struct {
	country geo.CountryID
	dir     geo.Direction
	egress  bool
}

func (c *Collector) collectKernel(counter func(*prometheus.Desc, uint64, ...string), gauge func(*prometheus.Desc, float64, ...string)) {
	k, err := c.src.Kernel()
	if err != nil {
		c.kernelErrs.Add(1)
		counter(dKErrors, c.kernelErrs.Load())
		return
	}
	counter(dKErrors, c.kernelErrs.Load())
	counter(dKSeenPackets, k.Packets)
	counter(dKSeenBytes, k.Bytes)
	for name, v := range k.Events {
		counter(dKEvents, v, name)
	}
	for path, v := range k.Handoffs {
		counter(dKHandoffs, v, path)
	}
	for kind, v := range k.ParseErrors {
		counter(dKParse, v, kind)
	}
	for id, v := range k.RuleDrops {
		counter(dKRuleDrops, v, strconv.FormatUint(uint64(id), 10))
	}
	for _, ic := range k.Interfaces {
		hook := Hook(ic.Egress)
		counter(dKIfPackets, ic.Packets, ic.Iface, hook)
		counter(dKIfBytes, ic.Bytes, ic.Iface, hook)
		counter(dKIfHandoffs, ic.Handoff, ic.Iface, hook)
		counter(dKIfRingFull, ic.RingbufFull, ic.Iface, hook)
		counter(dKIfDrops, ic.EnforceDrops, ic.Iface, hook)
	}
	for _, f := range k.Floods[:min(len(k.Floods), MaxKernelFloods)] {
		counter(dKFlood, f.Packets, f.Dst, f.Class)
		counter(dKFloodSampled, f.Sampled, f.Dst, f.Class)
		counter(dKFloodSupp, f.Suppressed, f.Dst, f.Class)
		gauge(dKFloodSources, float64(f.Sources), f.Dst, f.Class)
		active := 0.0
		if f.UnderFlood {
			active = 1
		}
		gauge(dKFloodActive, active, f.Dst, f.Class)
	}
	sum := map[kernelKey]KernelCount{}
	for _, kc := range k.Countries {
		key := kernelKey{kc.Country, kc.Direction, kc.Egress}
		s := sum[key]
		s.Packets += kc.Packets
		s.Bytes += kc.Bytes
		sum[key] = s
	}
	for key, s := range sum {
		country, dir, hook := countryLabel(key.country), key.dir.String(), Hook(key.egress)
		counter(dKPackets, s.Packets, country, dir, hook)
		counter(dKBytes, s.Bytes, country, dir, hook)
	}
}

// Handler returns the /metrics handler for c and extra, with the Go
// runtime and process collectors.
func Handler(c *Collector, extra ...prometheus.Collector) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	for _, x := range append(slices.Clip(c.src.Extra), extra...) {
		if err := reg.Register(x); err != nil {
			return nil, err
		}
	}
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}), nil
}
