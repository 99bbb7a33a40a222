package bpf

// Defaults and limits of the load-time settings users tune (DefaultOptions),
// in a portable file so that configuration code on any platform shares them.
const (
	// DefaultSnapLen: see Options.SnapLen.
	DefaultSnapLen = 160
	// DefaultRingBytes: see Options.RingBytes.
	DefaultRingBytes = 1 << 20
	// DefaultSourceBudget and DefaultSourceBurst: see Options.SourceBudget.
	DefaultSourceBudget = 100
	DefaultSourceBurst  = 100
	// DefaultFlowPackets: see Options.FlowPackets.
	DefaultFlowPackets = 8
	// DefaultReportBytes: see Options.ReportBytes.
	DefaultReportBytes = 256 << 10
	// MaxSnapLen is the largest snap length.
	MaxSnapLen = 1024
	// MaxReportBytes is the largest Options.ReportBytes, and the most bytes
	// one byte report carries (BW_REPORT_MAX).
	MaxReportBytes = 1 << 30
	// MaxSourceBudget bounds Options.SourceBudget and SourceBurst.
	MaxSourceBudget = 1 << 20
	// DefaultFloodPPS and DefaultFloodSamples: see Options.FloodPPS. 1000
	// packets a second of one class to one host, per CPU, is far below
	// what user space handles and at the lowest flood rule's burst
	// (rules/default/flood.yaml: 5000 SYNs within a second) the samples
	// still carry every packet's count.
	DefaultFloodPPS     = 1000
	DefaultFloodSamples = 100
	// DefaultFloodTotalPPS: see Options.FloodTotalPPS. 1000 flood-class
	// records a second per CPU: in the lab's spread flood against a
	// sensor capped at 3% of a CPU, 10000 (the cap following the ring's
	// fill doing the rest) handed off 63-99 k records a run against 27-47 k
	// and read alerts later (docs/performance.md). The cost: a gateway
	// with more new inbound flows a second per CPU has the first packet
	// of each new source past 1000 kept back even with an empty ring
	// (TestFloodTotalLegit: 2000 of 3000 clients' first packets); raise
	// capture.handoff.flood_total_pps there.
	DefaultFloodTotalPPS = 1000
	// DefaultFloodSamplesPPS: see Options.FloodSamplesPPS. The total of
	// flood samples a second per CPU over all flooded hosts, each host
	// getting its first sample of each second whatever the total
	// (docs/performance.md, "kflood3", for the measurement).
	DefaultFloodSamplesPPS = 200
	// MaxFloodRate bounds Options.FloodPPS, FloodSamples and FloodTotalPPS.
	MaxFloodRate = 1 << 24
)
