package live

// Config is what Open needs of the capture configuration.
type Config struct {
	Interfaces []string
	Mode       string // xdp (falls back to afpacket) or afpacket
	XDPMode    string // auto, native or generic
	Egress     bool   // also watch egress (TC, XDP mode)
	EgressMode string // auto, tcx or clsact
	SnapLength int    // bytes of each handed-off packet (XDP)
	RingBytes  int    // XDP ring buffer (power of two)
	// AFPacketBlocks is the number of 1 MiB blocks of each AF_PACKET ring.
	AFPacketBlocks int
	// Readers is the number of AF_PACKET sockets (a fanout group) per
	// interface.
	Readers int
	// Enforce lets the kernel stage drop the packets of drop rules.
	Enforce bool
}
