package live

import (
	"fmt"
	"slices"
	"strings"

	"github.com/borderwatch/borderwatch/bpf"
)

// Configuration is the live capture's part of the capture configuration.
// The CLI decodes it from the capture section of the configuration file;
// the keys are the YAML keys there.
type Configuration struct {
	Interfaces []string `yaml:"interfaces"`
	Mode       string   `yaml:"mode"`     // xdp (falls back to afpacket) or afpacket
	XDPMode    string   `yaml:"xdp_mode"` // auto, native or generic
	Egress     bool     `yaml:"egress"`   // also watch egress (TC, XDP mode)
	// EgressMode is how the TC egress program attaches: auto (TCX, clsact
	// before Linux 6.6), tcx or clsact.
	EgressMode string `yaml:"egress_mode"`
	SnapLen    int    `yaml:"snap_length"` // bytes of each handed-off packet (XDP)
	RingBytes  int    `yaml:"ring_bytes"`  // XDP ring buffer (power of two)
	// AFPacketBlocks is the number of 1 MiB blocks of each AF_PACKET ring.
	AFPacketBlocks int `yaml:"afpacket_blocks"`
	// Readers is the number of AF_PACKET sockets (a fanout group) per
	// interface.
	Readers int `yaml:"readers"`
	// Enforce lets the kernel stage drop the packets of rules with action
	// drop (XDP mode only); off, the sensor never drops.
	Enforce bool `yaml:"enforce"`
	// Handoff is what the kernel stage hands to the sensor (XDP mode).
	Handoff HandoffConfiguration `yaml:"handoff"`
}

// HandoffConfiguration is the kernel stage's hand-off policy: which
// packets of the ones it counts it copies to the sensor for decoding and
// detection (XDP mode; AF_PACKET sees every packet). TCP packets with SYN,
// FIN, RST or odd flags and packets of listed addresses are always handed
// off; these settings bound the rest.
type HandoffConfiguration struct {
	// SourceBudget is how many UDP, ICMP and fragment packets per second
	// each source address may hand off, SourceBurst the bucket size.
	// Floods, reflection and UDP scans are detected from these packets:
	// past the budget a source's packets are counted in the kernel but
	// not seen by the detectors. 0 hands off none.
	SourceBudget int `yaml:"source_budget"`
	SourceBurst  int `yaml:"source_burst"`
	// FlowPackets is how many packets of each boundary-crossing TCP flow
	// are handed off whatever their flags (SYN, FIN and RST packets are
	// handed off for their flags and do not count). Brute force is counted
	// at the initiator's first data segment, which comes after the
	// handshake's last ACK and, where the server speaks first (SSH, FTP,
	// SMTP), after its greeting and the client's acknowledgement: below 4,
	// such attempts go unseen. 0 disables it.
	FlowPackets int `yaml:"flow_packets"`
	// ReportBytes: the bytes of a TCP flow direction past its first
	// FlowPackets packets are reported to the sensor each time they reach
	// ReportBytes, and when the flow ends. Volume (exfiltration) rules see
	// a flow's bytes only through these reports; 0 disables them.
	ReportBytes int `yaml:"report_bytes"`
	// FloodPPS and FloodSamples: the kernel counts each home host's
	// inbound SYN, UDP and ICMP packets per second (per CPU). Past
	// FloodPPS of a kind the host is under flood and its packets of that
	// kind are handed off only FloodSamples times a second, each sample
	// carrying the count of the packets kept back, so that a spoofed flood
	// cannot fill the ring buffer and blind the sensor while the flood
	// rules still count every packet. FloodPPS 0 hands off as without a
	// flood.
	FloodPPS     int `yaml:"flood_pps"`
	FloodSamples int `yaml:"flood_samples"`
	// FloodTotalPPS caps, per CPU and second, the inbound SYN, UDP and
	// ICMP packets to home hosts handed off outside samples (a flood
	// spread over many hosts, each below FloodPPS): past it, only sources
	// already seen, within their budget, go up; a new source's first
	// packet is counted and kept in the kernel. 0: no cap.
	FloodTotalPPS int `yaml:"flood_total_pps"`
	// FloodSamplesPPS bounds, per CPU and second, the flood samples of
	// all the hosts under flood together (FloodSamples stays each host's
	// ceiling): each flooded host gets its first sample of each second and
	// a fair share of the rest; a sample refused is counted and its
	// packets' count carried by the host's next sample. 0: no total.
	FloodSamplesPPS int `yaml:"flood_samples_pps"`
	// CoarseClock stamps handed-off packets with the kernel's coarse
	// clock (the last timer tick: 4 ms resolution at 250 Hz, packets of
	// one tick share a time) instead of the precise one, saving ~20 ns a
	// hand-off. Off by default: alert and flow times keep the packet's
	// time to the microsecond.
	CoarseClock bool `yaml:"coarse_clock"`
}

// Mode words, listed once.
var (
	Modes       = []string{"xdp", "afpacket"}
	XDPModes    = bpf.XDPModeWords    // the kernel stage's words
	EgressModes = bpf.EgressModeWords // the kernel stage's words
)

// Bounds of the values.
const (
	MinSnapLen        = 64
	MaxRingBytes      = 1 << 28
	MaxAFPacketBlocks = 1024
	MaxReaders        = 64
	MaxInterfaces     = 64
	// MaxAFPacketMiB bounds the AF_PACKET ring memory of all interfaces
	// and readers.
	MaxAFPacketMiB = 4096
	MaxFlowPackets = 1 << 16
)

// DefaultConfiguration is the live capture's configuration without file
// or flags: XDP (falling back to AF_PACKET), the kernel stage's defaults
// for snap length, ring and hand-off, one AF_PACKET reader with 64 MiB.
func DefaultConfiguration() Configuration {
	return Configuration{
		Mode: "xdp", XDPMode: "auto", EgressMode: "auto",
		SnapLen: bpf.DefaultSnapLen, RingBytes: bpf.DefaultRingBytes,
		AFPacketBlocks: 64, Readers: 1,
		Handoff: HandoffConfiguration{
			SourceBudget: bpf.DefaultSourceBudget, SourceBurst: bpf.DefaultSourceBurst,
			FlowPackets: bpf.DefaultFlowPackets, ReportBytes: bpf.DefaultReportBytes,
			FloodPPS: bpf.DefaultFloodPPS, FloodSamples: bpf.DefaultFloodSamples,
			FloodTotalPPS: bpf.DefaultFloodTotalPPS, FloodSamplesPPS: bpf.DefaultFloodSamplesPPS,
		},
	}
}

// Problem is an invalid value: Key is its YAML key in the capture
// section ("snap_length", "handoff.flow_packets", "interfaces[2]").
type Problem struct {
	Key, Msg string
}

// Problems checks the values; messages name the key as capture.KEY.
func (c Configuration) Problems() []Problem {
	var ps []Problem
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	if !slices.Contains(Modes, c.Mode) {
		add("mode", "capture.mode %q: want %s", c.Mode, words(Modes))
	}
	if c.Enforce && c.Mode != "xdp" {
		add("enforce", "capture.enforce needs capture.mode xdp: AF_PACKET only copies packets and cannot drop them")
	}
	if !slices.Contains(EgressModes, c.EgressMode) {
		add("egress_mode", "capture.egress_mode %q: want %s", c.EgressMode, words(EgressModes))
	}
	if !slices.Contains(XDPModes, c.XDPMode) {
		add("xdp_mode", "capture.xdp_mode %q: want %s", c.XDPMode, words(XDPModes))
	}
	h := c.Handoff
	for _, l := range []struct {
		key      string
		v        int
		min, max int
	}{
		{"snap_length", c.SnapLen, MinSnapLen, bpf.MaxSnapLen},
		{"ring_bytes", c.RingBytes, 4096, MaxRingBytes},
		{"afpacket_blocks", c.AFPacketBlocks, 1, MaxAFPacketBlocks},
		{"readers", c.Readers, 1, MaxReaders},
		{"handoff.source_budget", h.SourceBudget, 0, bpf.MaxSourceBudget},
		{"handoff.source_burst", h.SourceBurst, 0, bpf.MaxSourceBudget},
		{"handoff.flow_packets", h.FlowPackets, 0, MaxFlowPackets},
		{"handoff.report_bytes", h.ReportBytes, 0, bpf.MaxReportBytes},
		{"handoff.flood_pps", h.FloodPPS, 0, bpf.MaxFloodRate},
		{"handoff.flood_samples", h.FloodSamples, 0, bpf.MaxFloodRate},
		{"handoff.flood_total_pps", h.FloodTotalPPS, 0, bpf.MaxFloodRate},
		{"handoff.flood_samples_pps", h.FloodSamplesPPS, 0, bpf.MaxFloodRate},
	} {
		if l.v < l.min || l.v > l.max {
			add(l.key, "capture.%s %d: want %d to %d", l.key, l.v, l.min, l.max)
		}
	}
	if c.RingBytes >= 4096 && c.RingBytes&(c.RingBytes-1) != 0 {
		add("ring_bytes", "capture.ring_bytes %d: want a power of two", c.RingBytes)
	}
	if n := len(c.Interfaces) * c.Readers * c.AFPacketBlocks; n > MaxAFPacketMiB && c.Readers <= MaxReaders && c.AFPacketBlocks <= MaxAFPacketBlocks {
		add("afpacket_blocks", "capture: interfaces × readers × afpacket_blocks is %d MiB of AF_PACKET rings: want at most %d", n, MaxAFPacketMiB)
	}
	if len(c.Interfaces) > MaxInterfaces {
		add("interfaces", "capture.interfaces: %d interfaces: want at most %d", len(c.Interfaces), MaxInterfaces)
	}
	for i, ifc := range c.Interfaces {
		if ifc == "" || len(ifc) > 15 || strings.ContainsAny(ifc, "/ \t,") {
			add(fmt.Sprintf("interfaces[%d]", i), "capture.interfaces: %q is not an interface name", ifc)
		}
	}
	return ps
}

// words is "a, b or c".
func words(ws []string) string { return bpf.Words(ws) }
