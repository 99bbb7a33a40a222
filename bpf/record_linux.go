//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"

	"github.com/cilium/ebpf/ringbuf"
)

// Reason is a set of hand-off reasons.
type Reason uint32

// Hand-off reasons.
const (
	ReasonAll       = Reason(borderwatchBwReasonBW_REASON_ALL)        // HandoffAll is on
	ReasonListedSrc = Reason(borderwatchBwReasonBW_REASON_LISTED_SRC) // source is listed
	ReasonListedDst = Reason(borderwatchBwReasonBW_REASON_LISTED_DST) // destination is listed
	ReasonTCPFlags  = Reason(borderwatchBwReasonBW_REASON_TCP_FLAGS)  // SYN, FIN, RST or odd flags
	ReasonFlowFirst = Reason(borderwatchBwReasonBW_REASON_FLOW_FIRST) // among the first packets of its flow
	ReasonBudget    = Reason(borderwatchBwReasonBW_REASON_BUDGET)     // UDP/ICMP/other within the source budget
	ReasonDropped   = Reason(borderwatchBwReasonBW_REASON_DROPPED)    // enforcement dropped it
	ReasonFragment  = Reason(borderwatchBwReasonBW_REASON_FRAGMENT)   // non-first fragment within the budget
	// ReasonBytes marks a byte report: not a packet but the traffic of a
	// flow counted and not handed off (Record.ReportPackets and
	// ReportBytes).
	ReasonBytes = Reason(borderwatchBwReasonBW_REASON_BYTES)
	// ReasonFloodSample marks a sample of a destination under flood
	// (Options.FloodPPS): the packet stands for Record.SamplePackets
	// packets of its flood class to its destination.
	ReasonFloodSample = Reason(borderwatchBwReasonBW_REASON_FLOOD_SAMPLE)
)

var reasonNames = []string{"all", "listed-src", "listed-dst", "tcp-flags", "flow-first", "budget", "dropped", "fragment", "bytes", "flood-sample"}

// String lists the reasons, "|"-separated.
func (r Reason) String() string {
	var parts []string
	for i, n := range reasonNames {
		if r&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Record is a packet handed off by the kernel. ReadRecord refills it; Data
// points into a buffer the next ReadRecord reuses.
type Record struct {
	Monotonic  uint64    // CLOCK_MONOTONIC, coarse unless Options.PreciseTime
	Time       time.Time // Monotonic converted to wall clock
	Ifindex    uint32
	Egress     bool   // seen by the TC egress program
	IPv6       bool   // network layer is IPv6
	WireLen    uint32 // packet length on the wire
	SrcCountry uint16 // geo.CountryID; 0 unknown
	DstCountry uint16
	SrcZones   uint16 // the low 15 geo.ZoneSet bits; bit 0 = home
	DstZones   uint16
	SrcHome    bool
	DstHome    bool
	Direction  uint8 // a geo.Direction value
	Reasons    Reason
	Data       []byte // the first bytes of the packet (at most the snap length)

	// A byte report (Reasons is ReasonBytes) stands for ReportPackets
	// packets with ReportBytes IP bytes in all of the flow of the packet in
	// Data: in its direction, or the opposite one when Reverse is set. The
	// header fields above describe the packet in Data. Zero for packets.
	ReportPackets uint32
	ReportBytes   uint32
	Reverse       bool

	// A flood sample (Reasons has ReasonFloodSample) is the packet in Data
	// standing for SamplePackets packets, with SampleBytes IP bytes in all,
	// of its flood class (SYN, UDP or ICMP) to its destination: itself and
	// those the kernel kept back since the previous sample. Zero otherwise.
	SamplePackets uint32
	SampleBytes   uint32

	raw ringbuf.Record
}

// ReadRecord waits for the next handed-off packet and fills rec. After Close
// it returns an error matching ErrClosed; after a deadline set with
// SetReadDeadline, os.ErrDeadlineExceeded.
//
// The kernel wakes the reader once per Options.WakeBytes of records, so
// while the ring is empty ReadRecord sleeps at most Options.PollInterval
// at a time and then looks again: a record that woke nobody is read within
// a poll interval.
func (o *Objects) ReadRecord(rec *Record) error {
	for {
		user := o.deadline.Load()
		var d time.Time
		if o.reader.AvailableBytes() > 0 {
			d = time.Unix(0, 1) // records waiting: read them, do not sleep
		} else {
			d = time.Now().Add(o.opts.PollInterval)
			if user != 0 && user < d.UnixNano() {
				d = time.Unix(0, user)
			}
		}
		o.reader.SetDeadline(d)
		err := o.reader.ReadInto(&rec.raw)
		if err == nil {
			return o.parseRecord(rec)
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || (user != 0 && time.Now().UnixNano() >= user) {
			return err
		}
	}
}

// SetReadDeadline makes ReadRecord return os.ErrDeadlineExceeded once t has
// passed and the ring is empty; the zero time means no deadline. A
// ReadRecord already waiting sees the new deadline within a poll interval.
func (o *Objects) SetReadDeadline(t time.Time) {
	if t.IsZero() {
		o.deadline.Store(0)
		return
	}
	o.deadline.Store(max(t.UnixNano(), 1))
}

func (o *Objects) parseRecord(rec *Record) error {
	raw := rec.raw.RawSample
	if len(raw) < recordHeaderLen {
		return fmt.Errorf("ring record of %d bytes: shorter than its header", len(raw))
	}
	// The kernel wrote the header with the layout of the generated type.
	h := *(*borderwatchBwRecord)(unsafe.Pointer(&raw[0]))
	end := recordHeaderLen + int(h.CapLen)
	if end > len(raw) {
		return fmt.Errorf("ring record of %d bytes: captured length %d overruns it", len(raw), h.CapLen)
	}
	rec.Monotonic = h.TsNs
	rec.Time = time.Unix(0, int64(h.TsNs)+o.wallOffset)
	rec.Ifindex = h.Ifindex
	rec.Egress = h.Flags&uint8(borderwatchBwRecordFlagBW_F_EGRESS) != 0
	rec.IPv6 = h.Flags&uint8(borderwatchBwRecordFlagBW_F_IPV6) != 0
	rec.SrcHome = h.Flags&uint8(borderwatchBwRecordFlagBW_F_SRC_HOME) != 0
	rec.DstHome = h.Flags&uint8(borderwatchBwRecordFlagBW_F_DST_HOME) != 0
	rec.WireLen = h.WireLen
	rec.SrcCountry = h.SrcCountry
	rec.DstCountry = h.DstCountry
	rec.SrcZones = h.SrcZones
	rec.DstZones = h.DstZones
	rec.Direction = h.Dir
	rec.Reasons = Reason(h.Reasons)
	rec.Data = raw[recordHeaderLen:end]
	rec.ReportPackets, rec.ReportBytes, rec.Reverse = 0, 0, false
	if rec.Reasons&ReasonBytes != 0 {
		rec.ReportPackets, rec.ReportBytes = h.RepPackets, h.RepBytes
		rec.Reverse = h.Flags&uint8(borderwatchBwRecordFlagBW_F_REVERSE) != 0
	}
	rec.SamplePackets, rec.SampleBytes = 0, 0
	if rec.Reasons&(ReasonFloodSample|ReasonBytes) == ReasonFloodSample {
		rec.SamplePackets, rec.SampleBytes = h.RepPackets, h.RepBytes
	}
	return nil
}
