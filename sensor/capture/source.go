package capture

import (
	"errors"

	"github.com/google/gopacket/layers"
)

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("capture source closed")

// ErrIdle is returned by Next of a live source opened to report idleness
// (AFPacketOptions.ReportIdle) when no frame arrived within its poll
// timeout: the caller can publish what it counted so far and call Next
// again. Sources never return it unless asked to.
var ErrIdle = errors.New("capture source idle")

// Frame is one captured frame. Data is owned by the Source and valid only until
// the next call to Next on the same Source or its Close (a file source's Data
// points into the file's mapping, which Close makes inaccessible).
type Frame struct {
	Data      []byte
	Timestamp int64           // capture time, ns since the Unix epoch
	WireLen   uint32          // length on the wire (Data may be shorter: snap length)
	Link      layers.LinkType // link type of Data
	Iface     uint16          // index into the source's interface names

	// A byte report of the kernel stage (XDP) is not a packet: it stands
	// for ReportPackets packets with ReportBytes IP bytes in all, of the
	// flow of the packet in Data, that the kernel counted and did not hand
	// off; with ReportReverse they flowed from that packet's destination to
	// its source. Zero for packets.
	ReportPackets uint32
	ReportBytes   uint32
	ReportReverse bool
	// A flood sample of the kernel stage (XDP) is a packet that stands for
	// SamplePackets packets of its kind (SYN, UDP or ICMP) to its
	// destination, with SampleBytes IP bytes in all: itself and those the
	// kernel kept back while the destination was under flood. Zero for
	// other frames.
	SamplePackets uint32
	SampleBytes   uint32
}

// Stats are a source's counters.
type Stats struct {
	Frames  uint64 // frames delivered
	Bytes   uint64 // wire bytes delivered
	Dropped uint64 // frames lost before delivery (kernel/ring drops), if known
	Errors  uint64 // unreadable records skipped, of every reason below

	// Reasons of Errors, for file sources.
	Oversize  uint64 // records longer than MaxRecordSize, skipped unread
	Truncated uint64 // a final record cut short by the end of the input
	// BadLength counts the records skipped because their lengths
	// contradict each other: a captured length above the original length.
	// (One above the snap length of the pcap header or pcapng interface
	// is read whole, as Wireshark reads it.)
	BadLength uint64
	// BadTime counts the records skipped because of their timestamp: a
	// pcap record's fraction of a second beyond its resolution (a
	// microsecond field of 1e6 or more, a nanosecond one of 1e9 or more),
	// which would move the timestamp by up to 71 minutes, silently; a
	// pcapng block's time that does not fit (before 1678 or after 2262,
	// its interface's units and if_tsoffset together).
	BadTime uint64

	// WireClamped counts the frames whose original length claimed more
	// than MaxWireLen: they are delivered (and counted in Bytes) with
	// WireLen MaxWireLen.
	WireClamped uint64
}

// MaxWireLen bounds the original (wire) length a source reports: 256 KiB,
// above the largest plausible frame, GRO/TSO superpackets included, and
// the most a record may capture (MaxRecordSize). A larger claim (up to
// 4 GiB in a pcap record header) is counted in Stats.WireClamped and
// reported as MaxWireLen, so that it cannot inflate byte counters and the
// byte thresholds of rules. The file and AF_PACKET sources clamp; the XDP
// source does not: its lengths come from the kernel, and a byte report
// legitimately sums many packets.
const MaxWireLen = 256 << 10

// WireClamper is a source that can tell which frame first claimed an
// original length above MaxWireLen.
type WireClamper interface {
	// WireClamp describes, with the file and record number, the first
	// frame whose original length was clamped and how many were; nil if
	// none was.
	WireClamp() error
}

// Publisher is a source whose Stats lag Next by a few frames (the file
// source publishes its frame and byte counts every 64 frames): Publish,
// called from the goroutine that calls Next, makes them exact.
type Publisher interface {
	Publish()
}

// Publish calls src's Publish if it has one. A reader calls it when it
// stops calling Next (the end of the input, or its context ended), so that
// the counters of an interrupted run are exact.
func Publish(src Source) {
	if p, ok := src.(Publisher); ok {
		p.Publish()
	}
}

// Positioner is a file source that can tell how far it has read its file,
// for a progress line: Position returns the bytes of the file consumed so
// far and true when the source reads a regular file from a memory mapping
// (OpenFile); false for a stream, whose bytes only its reader can count.
// Position lags Next as Stats does (see Publisher) and is safe to call
// concurrently with Next.
type Positioner interface {
	Position() (int64, bool)
}

// Source yields frames.
type Source interface {
	// Next fills f with the next frame. It returns io.EOF at the end of a file
	// and ErrClosed after Close.
	Next(f *Frame) error
	// Name describes the source (file path or interface), for logs and alerts.
	Name() string
	// Stats returns the counters so far; safe to call concurrently with Next
	// (see Publisher: they may lag Next by a few frames until it returns an
	// error or Publish is called).
	Stats() Stats
	// Close stops the source; a blocked Next returns ErrClosed.
	Close() error
}

// LinkTypeLinuxSLL2 is how a Frame carries LINKTYPE_LINUX_SLL2 (276, the Linux
// cooked header v2 of "tcpdump -i any"). gopacket v1.1.19's LinkType is a
// uint8 and its pcap/pcapng readers keep the low byte of the file's link type,
// so 276 arrives as 20, a value the tcpdump link-type registry leaves
// unassigned; the decoder reads 20 as SLL2. (Other link types above 255 alias
// low values the same way; none of them is one the decoder supports.)
const LinkTypeLinuxSLL2 layers.LinkType = 276 & 0xff

// LinkLister is implemented by file sources: LinkTypes returns the link
// types of the file as numbered in it (they may exceed 255, which a Frame's
// Link cannot hold), each once, so that a summary can name the ones the
// decoder does not support. Safe to call concurrently with Next.
type LinkLister interface {
	LinkTypes() []uint32
}
