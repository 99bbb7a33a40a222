// Package live is live capture on gateway interfaces: the kernel stage
// (bpf: XDP on ingress, TC on egress) read through its ring buffer as a
// capture.Source, or AF_PACKET sockets where XDP cannot be used.
//
// Open chooses: XDP unless the configuration says afpacket or XDP is
// unavailable (missing capabilities, an old kernel, another XDP program), in
// which case it falls back to AF_PACKET with a warning saying why — except
// with enforcement, which needs XDP and makes the failure an error.
//
// The package also translates a rule set into the kernel stage's tables
// (CompileRules: listed prefixes and drop rules) and keeps the per-rule drop
// counters monotonic across reloads that move rules between kernel slots.
// Reloads are prepare, then commit (Capture.Prepare): everything that can
// fail is done before the running tables change.
package live
