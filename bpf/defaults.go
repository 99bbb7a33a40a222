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
)
