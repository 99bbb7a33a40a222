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
	// DefaultFloodTotalPPS: see Options.FloodTotalPPS. 10 000 flood-class
	// records a second per CPU, ten destinations at FloodPPS, is a few per
	// cent of what user space decodes (0.5-1.3 Mpps per core): a busy
	// gateway's new inbound flows go up in full while the ring is not
	// under pressure (TestFloodTotalLegit: 3000 clients in a second, none
	// held back; 2000 of them at 1000). A reader slower than that is
	// covered by the cap following the ring's fill (from a quarter full,
	// every such packet is past the cap), not by a lower rate.
	DefaultFloodTotalPPS = 10000
	// MaxFloodRate bounds Options.FloodPPS, FloodSamples and FloodTotalPPS.
	MaxFloodRate = 1 << 24
)
