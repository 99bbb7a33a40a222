package bpf

import "strings"

// The words of the attach modes, listed once, in a portable file: the
// configuration's checks (capture.xdp_mode, capture.egress_mode), the
// flags' help, ParseXDPMode and ParseEgressMode, and the modes' String
// methods all use these lists. XDPModeWords is indexed by XDPMode,
// EgressModeWords by EgressMode.
var (
	XDPModeWords    = []string{"auto", "native", "generic"}
	EgressModeWords = []string{"auto", "tcx", "clsact"}
)

// Words lists ws for people: "a, b or c".
func Words(ws []string) string {
	if len(ws) < 2 {
		return strings.Join(ws, "")
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " or " + ws[len(ws)-1]
}
