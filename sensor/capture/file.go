package capture

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/google/gopacket/layers"
)

// MaxRecordSize bounds the captured length of a record a file source
// delivers, as tcpdump's MAXIMUM_SNAPLEN does, whatever snap length the file
// announces. A longer record (up to maxBlockSize) is skipped without being
// read into memory and counted in Stats.Oversize; a record announcing more
// than maxBlockSize is a corrupt file.
const MaxRecordSize = 262144

// maxBlockSize bounds a pcapng block and a pcap record: beyond it (libpcap's
// limit for pcapng blocks) the length field is taken as corruption.
const maxBlockSize = 16 << 20

// readBufferSize is the read-ahead buffer of a file source. pcapng blocks
// the source parses (section headers, interface descriptions) must fit in it.
const readBufferSize = 256 << 10

// maxInterfaces bounds the interfaces of a pcapng section (Frame.Iface is a
// uint16).
const maxInterfaces = 1 << 16

// maxIfaceName bounds the interface name kept from a pcapng file.
const maxIfaceName = 64

// File format magics, as the first four bytes appear in the file.
var (
	magicPcapUsLE = [4]byte{0xd4, 0xc3, 0xb2, 0xa1}
	magicPcapUsBE = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	magicPcapNsLE = [4]byte{0x4d, 0x3c, 0xb2, 0xa1}
	magicPcapNsBE = [4]byte{0xa1, 0xb2, 0x3c, 0x4d}
	magicPcapNG   = [4]byte{0x0a, 0x0d, 0x0d, 0x0a}
)

// pcapng block types and option codes the source reads.
const (
	ngBlockSection    = 0x0a0d0d0a
	ngBlockInterface  = 1
	ngBlockPacket     = 2 // obsolete Packet Block
	ngBlockSimple     = 3
	ngBlockEnhanced   = 6
	ngByteOrderMark   = 0x1a2b3c4d
	ngOptEnd          = 0
	ngOptIfName       = 2
	ngOptIfTsresol    = 9
	ngOptIfTsoffset   = 14
	ngMinSectionBlock = 28 // type, length, byte order, version, section length, length
	ngMinIfaceBlock   = 20 // type, length, link type, reserved, snap length, length
)

// LinkTypeUnknown is how a Frame carries a link type above 255 that the
// decoder does not know (gopacket's LinkType is a uint8): a value no
// supported link type has, so the frame is counted as an unsupported link
// instead of being read as whatever its low byte names.
const LinkTypeUnknown layers.LinkType = 0xff

// FormatError is a capture file that breaks its format: the file, the byte
// offset in the (decompressed) stream of the header, block or record at
// fault, and the reason. Replay reports it as invalid input (exit status 2).
type FormatError struct {
	File   string
	Offset int64
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: offset %d: %s", e.File, e.Offset, e.Reason)
}

// Truncator is a source that can tell that its input ended inside a record.
type Truncator interface {
	// Truncation returns a *FormatError describing the final record cut
	// short, or nil when the input ended on a record boundary (or has not
	// ended yet).
	Truncation() error
}

// OpenFile opens a capture file for reading: pcap (either byte order,
// microsecond or nanosecond timestamps) or pcapng (any number of interfaces
// and sections, each interface with its own link type), optionally gzip
// compressed; the format is detected from the content, not the name. The path
// "-" reads standard input. Close closes the file.
//
// A regular file (not compressed) is mapped read-only into memory and its
// records are returned in place from the mapping, with no copy; the pages
// read are handed back to the kernel as the reading goes, so that the
// resident memory stays bounded whatever the file's size. A file truncated
// while it is read ends like a final record cut short (Truncation says where
// and how), never with a crash: the reading goroutine panics on the fault
// instead of crashing (debug.SetPanicOnFault, left set for the goroutine
// that calls Next) and Next recovers it; a fault on a page the file still
// has (an I/O error of the disk) is a read error, as a stream's. The bytes
// of the file read are those it had when opened: what is appended later is
// not read. Anything else (a pipe, a device, gzip) is read as a stream.
//
// The source trusts nothing in the file: every length is checked against the
// block holding it and against MaxRecordSize before anything is read, so a
// hostile file gives a *FormatError naming the offset, never a panic nor an
// allocation of the size it announces.
func OpenFile(path string) (Source, error) {
	if path == "-" {
		return OpenReader("-", os.Stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening capture: %w", err)
	}
	if m, ok := mapFile(f); ok {
		if len(m) < 2 || m[0] != 0x1f || m[1] != 0x8b {
			return openMapped(path, f, m)
		}
		if err := unmap(m); err != nil {
			f.Close()
			return nil, fmt.Errorf("opening capture: %w", err)
		}
	}
	s, err := openReader(path, f, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// OpenReader reads a capture from r; name is used in errors, logs and Name.
// Close does not close r.
func OpenReader(name string, r io.Reader) (Source, error) {
	return openReader(name, r, nil)
}

func openReader(name string, r io.Reader, closer io.Closer) (*fileSource, error) {
	s := &fileSource{name: name, closer: closer}
	s.in.br = bufio.NewReaderSize(r, readBufferSize)
	return s.open()
}

// open reads the file header from s.in (decompressing it first if it is
// gzip: never the case of a mapping, OpenFile reads those as a stream).
func (s *fileSource) open() (*fileSource, error) {
	if head, _ := s.in.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(s.in.br)
		if err != nil {
			return nil, s.formatErr(0, "reading gzip header: %v", err)
		}
		s.gz = gz
		s.in.br = bufio.NewReaderSize(gz, readBufferSize)
	}
	head, err := s.in.Peek(4)
	if len(head) < 4 {
		if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, s.formatErr(0, "not a capture file: only %d bytes", len(head))
		}
		return nil, s.readErr(0, err)
	}
	switch [4]byte(head) {
	case magicPcapUsLE, magicPcapUsBE, magicPcapNsLE, magicPcapNsBE:
		err = s.readPcapHeader()
	case magicPcapNG:
		s.ng = true
		var blk []byte
		if blk, err = s.peekBlock(); err == nil {
			err = s.readSection(blk)
		}
	default:
		return nil, s.formatErr(0, "unknown capture format: not pcap, pcapng or gzip (starts with % x)", head)
	}
	if err != nil {
		if errors.Is(err, errEnd) {
			return nil, s.formatErr(0, "file header cut short: %d bytes", s.in.Buffered())
		}
		return nil, err
	}
	s.buf = make([]byte, MaxRecordSize)
	return s, nil
}

// openMapped reads the file header from the mapping m of f.
func openMapped(path string, f *os.File, m []byte) (_ Source, err error) {
	s := &fileSource{name: path, closer: f, file: f}
	s.in = input{m: m, release: releasePages}
	unmapLater(s, m)
	// See OpenFile; only while the header is read: the goroutine that
	// opens the file need not be the one that reads it, and keeps its own
	// setting.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface{ Addr() uintptr })
			if !ok || !s.in.holds(fault.Addr()) {
				panic(r)
			}
			if fe, rerr := s.faulted(s.in.at(fault.Addr())); rerr != nil {
				err = rerr
			} else {
				err = fe
			}
		}
		if err != nil {
			_ = unmapNow(m)
			f.Close()
		}
	}()
	if _, err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// errEnd is the input ending inside a header, block or record.
var errEnd = errors.New("unexpected end of input")

// ngIface is what the source keeps of a pcapng interface description.
type ngIface struct {
	name   string
	link   layers.LinkType
	snap   uint32 // as written: 0 is no limit
	units  uint64 // timestamp units per second
	offset int64  // seconds added to every timestamp
}

// fileSource is a Source over a pcap or pcapng stream.
type fileSource struct {
	name   string
	closer io.Closer
	file   *os.File // the file mapped, nil when not mapped
	touch  byte     // the last byte of each record read from a mapping
	gz     *gzip.Reader
	in     input
	off    int64  // bytes of the (decompressed) stream consumed
	buf    []byte // record data, MaxRecordSize, when it is not read in place
	// pending is the length of the record last returned in place: its
	// bytes, f.Data among them, stay in the input (Peek) until the next
	// Next consumes them, so that a record is not copied.
	pending int
	order   binary.ByteOrder
	big     bool // order is big-endian (u32 reads without an interface call)
	// slow turns the in-buffer fast paths off (tests compare both ways).
	slow bool

	// pcap
	link   layers.LinkType
	nsMult uint32 // 1 for nanosecond timestamps, 1000 for microseconds
	// fracEnd bounds a record's fraction of a second: 1e9 for
	// nanosecond timestamps, 1e6 for microseconds.
	fracEnd uint32
	swapped lengthOrder

	// pcapng
	ng     bool
	ifaces []ngIface // of the current section

	// lastTime is the timestamp of the last frame delivered: a pcapng
	// simple packet block, which has none, takes it.
	lastTime int64

	records   uint64 // records read or skipped, for errors
	done      bool
	truncated *FormatError

	// nFrames and nBytes are the frames and bytes delivered, counted by
	// Next in plain fields and published to frames and bytes every
	// publishEvery frames, when Next returns an error and by Publish: two
	// atomic adds per record were ~3% of a replay's CPU.
	nFrames, nBytes uint64

	frames, bytes, errs, oversize, short, badLen, badTime atomic.Uint64
	// position is off, published with frames and bytes: how far a
	// progress line has come through a mapped file (Position).
	position atomic.Int64
	clamped  atomic.Uint64
	// firstClamp is the first record whose original length was clamped
	// (record number, claimed length); written by Next only.
	firstClamp struct {
		record uint64
		wire   uint32
	}
	closed atomic.Bool

	linkMu sync.Mutex
	links  []uint32 // link types as written in the file, distinct, in order seen
}

// lengthOrder is the order of the captured and original lengths in a pcap
// record header: libpcap interchanged them at version 2.3, and some 2.3
// files were written in the old order.
type lengthOrder uint8

const (
	lengthsCurrent lengthOrder = iota // captured, then original
	lengthsOld                        // original, then captured (before 2.3)
	lengthsMaybe                      // 2.3: old when captured > original
)

// LinkTypes returns the link types of the file (pcapng: of every interface
// seen so far) as numbered in the file, each once; safe to call
// concurrently with Next.
func (s *fileSource) LinkTypes() []uint32 {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	return slices.Clone(s.links)
}

func (s *fileSource) addLink(lt uint32) {
	s.linkMu.Lock()
	if !slices.Contains(s.links, lt) && len(s.links) < maxInterfaces {
		s.links = append(s.links, lt)
	}
	s.linkMu.Unlock()
}

// Name returns the file name given to OpenFile or OpenReader.
func (s *fileSource) Name() string { return s.name }

// publishEvery is how many frames Next delivers between two publications
// of its frame and byte counts: a power of two dividing the pipeline's
// 1024-frame check of its context, so that an interrupted replay stops on a
// publication even before it calls Publish.
const publishEvery = 64

// Publish makes Stats exact: it publishes the frames and bytes counted
// since the last publication. Call it from the goroutine that calls Next
// (the pipeline does when it stops reading); Next publishes every
// publishEvery frames and when it returns an error (the end of the input,
// Close, a broken file), so Stats lags by fewer than publishEvery frames
// while a reader runs.
func (s *fileSource) Publish() {
	s.frames.Store(s.nFrames)
	s.bytes.Store(s.nBytes)
	s.position.Store(s.off)
}

// Position returns how many bytes of the file the source has consumed,
// published with the frame and byte counts (it lags Next as they do), and
// true, when the source reads a regular file from its mapping; 0 and false
// for a stream (gzip, a pipe, standard input, OpenReader), whose bytes a
// caller counts through its reader. Safe to call concurrently with Next.
func (s *fileSource) Position() (int64, bool) {
	if !s.in.mapped() {
		return 0, false
	}
	return s.position.Load(), true
}

// Stats returns the counters; safe to call concurrently with Next. Frames
// and Bytes lag Next by fewer than publishEvery frames until Next returned
// an error or Publish was called.
func (s *fileSource) Stats() Stats {
	return Stats{Frames: s.frames.Load(), Bytes: s.bytes.Load(), Errors: s.errs.Load(),
		Oversize: s.oversize.Load(), Truncated: s.short.Load(), BadLength: s.badLen.Load(), BadTime: s.badTime.Load(),
		WireClamped: s.clamped.Load()}
}

// Truncation returns the final record cut short, if the input ended in one.
// Call it after Next returned io.EOF, from the goroutine that calls Next.
func (s *fileSource) Truncation() error {
	if s.truncated == nil {
		return nil
	}
	return s.truncated
}

// InterfaceName returns the name of interface i of the current section as
// recorded in a pcapng file (empty if none), or the file name for pcap. Call
// it from the goroutine that calls Next.
func (s *fileSource) InterfaceName(i uint16) string {
	if !s.ng {
		return s.name
	}
	if int(i) >= len(s.ifaces) {
		return ""
	}
	return s.ifaces[i].name
}

// Close stops the source and closes the file OpenFile opened. A Next in
// progress returns ErrClosed (or completes), later ones return ErrClosed.
func (s *fileSource) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var err error
	if s.gz != nil {
		err = s.gz.Close()
	}
	if s.in.mapped() {
		err = unmapNow(s.in.m)
	}
	if s.closer != nil {
		if cerr := s.closer.Close(); cerr != nil {
			err = cerr
		}
	}
	return err
}

// Next reads the next record into f. f.Data points into the source's buffer
// or the file's mapping and is valid until the next call or Close: most
// records are returned in place, in the mapping or the read-ahead buffer,
// not copied.
// At the end of the input it returns io.EOF; a final record cut short is
// counted in Stats.Truncated and Stats.Errors, reported by Truncation, and
// also ends with io.EOF. A record longer than MaxRecordSize is skipped and
// counted in Stats.Oversize and Stats.Errors. A file that breaks its format
// (a length beyond its block, an unknown interface, an unsupported timestamp
// resolution, ...) gives a *FormatError; the source then stays at its end.
func (s *fileSource) Next(f *Frame) (err error) {
	if s.closed.Load() {
		s.Publish()
		return ErrClosed
	}
	if s.done {
		return io.EOF
	}
	if s.in.mapped() {
		// A fault on the mapping (the file truncated by someone else)
		// panics rather than crashing, here and in the caller's decoding
		// of the record: see OpenFile.
		debug.SetPanicOnFault(true)
	}
	defer func() {
		// Last line of defence: a panic here is a bug of this reader, not
		// bad input; it ends the file with an error that is not a
		// FormatError, so replay reports it as a failure (exit 1).
		if r := recover(); r != nil {
			s.Publish()
			s.done = true
			if fault, ok := r.(interface{ Addr() uintptr }); ok && s.in.holds(fault.Addr()) {
				if s.closed.Load() {
					err = ErrClosed // unmapped by Close while reading
					return
				}
				fe, rerr := s.faulted(s.in.at(fault.Addr()))
				if rerr != nil {
					err = rerr // as a stream's read error: not counted
					return
				}
				err = s.shrink(fe)
				return
			}
			err = fmt.Errorf("%s: offset %d: internal error reading the capture: %v", s.name, s.off, r)
		}
	}()
	if s.ng {
		err = s.nextNg(f)
	} else {
		err = s.nextPcap(f)
	}
	if err == nil {
		s.records++
		if s.in.mapped() && len(f.Data) != 0 {
			// Fault the record's pages in now, inside the recover above:
			// a file truncated later than this faults in the caller.
			s.touch ^= f.Data[len(f.Data)-1]
		}
		if f.WireLen > MaxWireLen {
			s.clampWire(f)
		}
		s.lastTime = f.Timestamp
		s.nFrames++
		s.nBytes += uint64(f.WireLen)
		if s.nFrames%publishEvery == 0 {
			s.Publish()
		}
		return nil
	}
	s.Publish()
	s.done = true
	if s.closed.Load() {
		return ErrClosed
	}
	if s.in.mapped() && !errors.Is(err, ErrClosed) {
		// The end of the mapping or a broken record may be a file
		// truncated while it was read: the kernel maps the bytes of its
		// last page past its new end as zeros, which read as records or
		// as a broken block until the next page faults.
		if fe := s.shrunk(-1); fe != nil {
			return s.shrink(fe)
		}
	}
	return err
}

// shrink ends the input at the truncation of a mapped file: counted, kept
// for Truncation, and io.EOF, as a final record cut short.
func (s *fileSource) shrink(fe *FormatError) error {
	s.truncated = fe
	s.errs.Add(1)
	s.short.Add(1)
	return io.EOF
}

// faulted is the error of a fault on byte at of the mapping: the file
// truncated while it was read (a *FormatError, shrunk's), or, when the
// file still holds that byte, a read error of the file or the disk (the
// kernel signals an I/O error on a mapping as a fault too): not bad input,
// so not a truncation, and reported as a read error of a stream is.
func (s *fileSource) faulted(at int64) (*FormatError, error) {
	if fi, err := s.file.Stat(); err == nil && fi.Size() > at {
		return nil, fmt.Errorf("%s: offset %d: reading: byte %d of the file (of %d) could not be read: an I/O error of the file or the disk",
			s.name, s.off, at, fi.Size())
	}
	return s.shrunk(at), nil
}

// shrunk describes the truncation of the mapped file while it was read:
// after a fault on byte at of the mapping, or, with at -1, if its size is
// now below the mapping's (nil if it is not).
func (s *fileSource) shrunk(at int64) *FormatError {
	now := "fewer"
	if fi, err := s.file.Stat(); err == nil {
		if at < 0 && fi.Size() >= int64(len(s.in.m)) {
			return nil
		}
		now = strconv.FormatInt(fi.Size(), 10)
	} else if at < 0 {
		return nil
	}
	reason := fmt.Sprintf("file truncated while being read: %s of the %d bytes it had when opened", now, len(s.in.m))
	if at >= 0 {
		reason += fmt.Sprintf(" (byte %d gone)", at)
	}
	return &FormatError{File: s.name, Offset: s.off, Reason: reason}
}

// clampWire reports the original length of f, above MaxWireLen, as
// MaxWireLen, and counts it.
func (s *fileSource) clampWire(f *Frame) {
	if s.clamped.Add(1) == 1 {
		s.firstClamp.record, s.firstClamp.wire = s.records, f.WireLen
	}
	f.WireLen = MaxWireLen
}

// WireClamp describes the first record whose original length was clamped.
// Call it from the goroutine that calls Next.
func (s *fileSource) WireClamp() error {
	n := s.clamped.Load()
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%s: record %d: original length %d above the %d-byte limit, counted as %d (clamped records: %d)",
		s.name, s.firstClamp.record, s.firstClamp.wire, MaxWireLen, MaxWireLen, n)
}

// end turns the end of the input inside the record or block that starts at
// start, want bytes long, into a truncation: counted, kept for Truncation,
// and io.EOF.
func (s *fileSource) end(start int64, want int64, what string) error {
	s.errs.Add(1)
	s.short.Add(1)
	s.truncated = &FormatError{File: s.name, Offset: start,
		Reason: fmt.Sprintf("truncated final %s: %d of %d bytes", what, s.off-start, want)}
	return io.EOF
}

func (s *fileSource) formatErr(off int64, format string, a ...any) error {
	return &FormatError{File: s.name, Offset: off, Reason: fmt.Sprintf(format, a...)}
}

// readErr is a read error at off: corrupt compressed data is a FormatError,
// the end of the input errEnd, anything else (an I/O error) is returned
// with the place.
func (s *fileSource) readErr(off int64, err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errEnd
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &ce):
		return s.formatErr(off, "corrupt gzip data: %v", err)
	}
	return fmt.Errorf("%s: offset %d: reading: %w", s.name, off, err)
}

// read reads len(p) bytes.
func (s *fileSource) read(p []byte) error {
	n, err := io.ReadFull(&s.in, p)
	s.off += int64(n)
	if err != nil {
		return s.readErr(s.off, err)
	}
	return nil
}

// discard skips n bytes.
func (s *fileSource) discard(n int) error {
	d, err := s.in.Discard(n)
	s.off += int64(d)
	if err != nil {
		return s.readErr(s.off, err)
	}
	return nil
}

// peek returns the next n bytes, n <= readBufferSize, without consuming them.
func (s *fileSource) peek(n int) ([]byte, error) {
	b, err := s.in.Peek(n)
	if len(b) == n {
		return b, nil
	}
	return nil, s.readErr(s.off, err)
}

// readPcapHeader reads the 24-byte header of a pcap file.
func (s *fileSource) readPcapHeader() error {
	h, err := s.peek(24)
	if err != nil {
		return err
	}
	switch [4]byte(h[0:4]) {
	case magicPcapUsLE:
		s.order, s.nsMult = binary.LittleEndian, 1000
	case magicPcapNsLE:
		s.order, s.nsMult = binary.LittleEndian, 1
	case magicPcapUsBE:
		s.order, s.nsMult = binary.BigEndian, 1000
	default:
		s.order, s.nsMult = binary.BigEndian, 1
	}
	s.big = s.order == binary.BigEndian
	s.fracEnd = 1e9 / s.nsMult
	major, minor := s.order.Uint16(h[4:6]), s.order.Uint16(h[6:8])
	if major != 2 {
		return s.formatErr(4, "unsupported pcap version %d.%d (want 2.x)", major, minor)
	}
	switch {
	case minor < 3:
		s.swapped = lengthsOld // 2.0 to 2.2, e.g. "Unknown minor version 1" elsewhere
	case minor == 3:
		s.swapped = lengthsMaybe
	}
	// The snap length bounds no allocation (records are bounded by
	// MaxRecordSize whatever it says), and a record capturing more than
	// it is read whole, as Wireshark reads it (libpcap cuts it to the
	// snap length): the header is only what the writer meant to keep.
	// The link type is the low 16 bits; the upper ones describe a frame
	// check sequence.
	lt := s.order.Uint32(h[20:24]) & 0xffff
	s.link = linkType(lt)
	s.addLink(lt)
	return s.discard(24)
}

// linkType maps a file's link type onto gopacket's uint8 LinkType.
func linkType(lt uint32) layers.LinkType {
	switch {
	case lt <= 0xff:
		return layers.LinkType(lt)
	case lt == 276:
		return LinkTypeLinuxSLL2
	default:
		return LinkTypeUnknown
	}
}

// nextPcap reads the next pcap record, skipping oversize ones.
func (s *fileSource) nextPcap(f *Frame) error {
	if err := s.consume(); err != nil {
		return err
	}
	if !s.slow && s.bufferedPcap(f) {
		return nil
	}
	for {
		start := s.off
		h, err := s.peek(16)
		if err != nil {
			if errors.Is(err, errEnd) {
				if s.in.Buffered() == 0 {
					return io.EOF
				}
				s.off += int64(s.in.Buffered())
				return s.end(start, 16, "record header")
			}
			return err
		}
		sec, frac := s.order.Uint32(h[0:4]), s.order.Uint32(h[4:8])
		capLen, wireLen := s.order.Uint32(h[8:12]), s.order.Uint32(h[12:16])
		if s.swapped == lengthsOld || s.swapped == lengthsMaybe && capLen > wireLen {
			capLen, wireLen = wireLen, capLen
		}
		if capLen > maxBlockSize {
			return s.formatErr(start, "record %d: captured length %d beyond the %d-byte limit: corrupt record header", s.records+1, capLen, maxBlockSize)
		}
		if capLen <= MaxRecordSize && capLen > wireLen {
			// A record capturing more than was on the wire: its lengths
			// contradict each other, so it is skipped (framed by its
			// captured length, as libpcap frames it) and counted.
			if err := s.skipRecord(start, 16+int64(capLen), 16+int(capLen), &s.badLen); err != nil {
				return err
			}
			continue
		}
		if frac >= s.fracEnd {
			// A fraction of a second beyond the resolution: the
			// timestamp would move by up to 71 minutes. The record is
			// skipped and counted, as one with contradictory lengths.
			if err := s.skipRecord(start, 16+int64(capLen), 16+int(capLen), &s.badTime); err != nil {
				return err
			}
			continue
		}
		if n := 16 + int(capLen); n <= readBufferSize && capLen <= MaxRecordSize {
			// In place: the record stays in the read buffer until the
			// next call (a copy of every packet otherwise).
			if b, err := s.in.Peek(n); err == nil {
				s.pending = n
				f.Data = b[16:n:n]
				f.Link = s.link
				f.Iface = 0
				f.WireLen = wireLen
				f.Timestamp = int64(sec)*1e9 + int64(frac)*int64(s.nsMult)
				resetReport(f)
				return nil
			}
		}
		if err := s.discard(16); err != nil {
			return err
		}
		if capLen > MaxRecordSize {
			if err := s.skipRecord(start, 16+int64(capLen), int(capLen), &s.oversize); err != nil {
				return err
			}
			continue
		}
		data := s.buf[:capLen]
		if err := s.read(data); err != nil {
			if errors.Is(err, errEnd) {
				return s.end(start, 16+int64(capLen), "record")
			}
			return err
		}
		f.Data = data
		f.Link = s.link
		f.Iface = 0
		f.WireLen = wireLen
		f.Timestamp = int64(sec)*1e9 + int64(frac)*int64(s.nsMult)
		resetReport(f)
		return nil
	}
}

// skipPacketBlock skips the rest of a pcapng packet block of n bytes and
// counts it as an error of the kind c (oversize, badLen, badTime), as
// skipRecord does for a pcap record.
func (s *fileSource) skipPacketBlock(n uint32, c *atomic.Uint64) error {
	if err := s.skipBlock(n); err != nil {
		return err
	}
	s.records++
	s.errs.Add(1)
	c.Add(1)
	return nil
}

// skipRecord discards the n bytes left of a pcap record of size bytes
// (header included) that starts at start, and counts it as an error of the
// kind c (oversize, badLen, badTime).
func (s *fileSource) skipRecord(start, size int64, n int, c *atomic.Uint64) error {
	if err := s.discard(n); err != nil {
		if errors.Is(err, errEnd) {
			return s.end(start, size, "record")
		}
		return err
	}
	s.records++
	s.errs.Add(1)
	c.Add(1)
	return nil
}

// bufferedPcap is the fast path of nextPcap: a record held whole in the
// read buffer, of a sound length, is returned in place from one look at the
// buffer, its header read without the byte-order interface. Anything else
// returns false, having changed nothing, for nextPcap to read and judge.
func (s *fileSource) bufferedPcap(f *Frame) bool {
	b := s.in.buffered() // what is buffered: no read
	if len(b) < 16 {
		return false
	}
	capLen, wireLen := s.u32(b[8:12]), s.u32(b[12:16])
	if s.swapped == lengthsOld || s.swapped == lengthsMaybe && capLen > wireLen {
		capLen, wireLen = wireLen, capLen
	}
	frac := s.u32(b[4:8])
	if capLen > wireLen || capLen > MaxRecordSize || 16+int(capLen) > len(b) || frac >= s.fracEnd {
		return false
	}
	n := 16 + int(capLen)
	s.pending = n
	f.Data = b[16:n:n]
	f.Link = s.link
	f.Iface = 0
	f.WireLen = wireLen
	f.Timestamp = int64(s.u32(b[0:4]))*1e9 + int64(frac)*int64(s.nsMult)
	resetReport(f)
	return true
}

// consume consumes the record last returned in place.
func (s *fileSource) consume() error {
	if s.pending == 0 {
		return nil
	}
	n := s.pending
	s.pending = 0
	return s.discard(n)
}

func resetReport(f *Frame) {
	f.ReportPackets, f.ReportBytes, f.ReportReverse = 0, 0, false
}

// peekBlock returns the type and total length of the pcapng block ahead,
// checked: a multiple of 4, at least 12 and at most maxBlockSize. A section
// header block also sets the byte order. It returns the first 12 bytes.
func (s *fileSource) peekBlock() ([]byte, error) {
	b, err := s.peek(12)
	if err != nil {
		return nil, err
	}
	typ := binary.LittleEndian.Uint32(b[0:4]) // the section type reads the same both ways
	if typ == ngBlockSection {
		switch {
		case binary.BigEndian.Uint32(b[8:12]) == ngByteOrderMark:
			s.order, s.big = binary.BigEndian, true
		case binary.LittleEndian.Uint32(b[8:12]) == ngByteOrderMark:
			s.order, s.big = binary.LittleEndian, false
		default:
			return nil, s.formatErr(s.off, "section header: bad byte-order magic % x", b[8:12])
		}
	}
	n := s.order.Uint32(b[4:8])
	switch {
	case n < 12 || n%4 != 0:
		return nil, s.formatErr(s.off, "block type %#x: total length %d is not a multiple of 4 of at least 12", s.order.Uint32(b[0:4]), n)
	case n > maxBlockSize:
		return nil, s.formatErr(s.off, "block type %#x: total length %d beyond the %d-byte limit", s.order.Uint32(b[0:4]), n, maxBlockSize)
	}
	return b, nil
}

// wholeBlock returns the whole block of total length n ahead, which must
// fit the read-ahead buffer, with its trailing length checked.
func (s *fileSource) wholeBlock(n uint32, what string, least uint32) ([]byte, error) {
	switch {
	case n < least:
		return nil, s.formatErr(s.off, "%s: total length %d below the minimum %d", what, n, least)
	case n > readBufferSize:
		return nil, s.formatErr(s.off, "%s: total length %d beyond the %d-byte limit", what, n, readBufferSize)
	}
	b, err := s.peek(int(n))
	if err != nil {
		return nil, err
	}
	if t := s.order.Uint32(b[n-4:]); t != n {
		return nil, s.formatErr(s.off, "%s: trailing total length %d differs from the leading %d", what, t, n)
	}
	return b, nil
}

// readSection reads a section header block: it sets the byte order (done by
// peekBlock) and starts a section without interfaces.
func (s *fileSource) readSection(hdr []byte) error {
	b, err := s.wholeBlock(s.order.Uint32(hdr[4:8]), "section header", ngMinSectionBlock)
	if err != nil {
		return err
	}
	if major, minor := s.order.Uint16(b[12:14]), s.order.Uint16(b[14:16]); major != 1 || (minor != 0 && minor != 2) {
		return s.formatErr(s.off, "section header: unsupported pcapng version %d.%d (want 1.0)", major, minor)
	}
	s.ifaces = s.ifaces[:0]
	return s.discard(len(b))
}

// readInterface reads an interface description block.
func (s *fileSource) readInterface(n uint32) error {
	b, err := s.wholeBlock(n, "interface description", ngMinIfaceBlock)
	if err != nil {
		return err
	}
	if len(s.ifaces) >= maxInterfaces {
		return s.formatErr(s.off, "interface description: more than %d interfaces in a section", maxInterfaces)
	}
	lt := uint32(s.order.Uint16(b[8:10]))
	s.addLink(lt)
	ifc := ngIface{link: linkType(lt), snap: s.order.Uint32(b[12:16]), units: 1e6}
	var sawTsresol, sawTsoffset bool
	for o := 16; o+4 <= len(b)-4; {
		code, l := s.order.Uint16(b[o:o+2]), int(s.order.Uint16(b[o+2:o+4]))
		if code == ngOptEnd {
			break
		}
		v := o + 4
		next := v + (l+3)&^3
		if next > len(b)-4 {
			return s.formatErr(s.off+int64(o), "interface description: option %d of %d bytes runs past the end of the block", code, l)
		}
		val := b[v : v+l]
		switch code {
		case ngOptIfName:
			ifc.name = ifaceName(val)
		case ngOptIfTsresol:
			// A second one would leave the timestamps' resolution to
			// the order of the options: libpcap refuses it too.
			if sawTsresol {
				return s.formatErr(s.off+int64(o), "interface description: more than one if_tsresol")
			}
			sawTsresol = true
			if l != 1 {
				return s.formatErr(s.off+int64(o), "interface description: if_tsresol of %d bytes, want 1", l)
			}
			u, ok := tsUnits(val[0])
			if !ok {
				return s.formatErr(s.off+int64(o), "interface description: unsupported if_tsresol %#02x (at most 10^-19 or 2^-63 s)", val[0])
			}
			ifc.units = u
		case ngOptIfTsoffset:
			if sawTsoffset {
				return s.formatErr(s.off+int64(o), "interface description: more than one if_tsoffset")
			}
			sawTsoffset = true
			if l != 8 {
				return s.formatErr(s.off+int64(o), "interface description: if_tsoffset of %d bytes, want 8", l)
			}
			ifc.offset = int64(s.order.Uint64(val))
		}
		o = next
	}
	s.ifaces = append(s.ifaces, ifc)
	return s.discard(len(b))
}

// tsUnits returns the timestamp units per second of an if_tsresol value:
// 10^v, or 2^(v&0x7f) with the high bit set; false if it does not fit 64 bits.
func tsUnits(v byte) (uint64, bool) {
	if v&0x80 != 0 {
		e := v & 0x7f
		if e > 63 {
			return 0, false
		}
		return 1 << e, true
	}
	if v > 19 {
		return 0, false
	}
	u := uint64(1)
	for range v {
		u *= 10
	}
	return u, true
}

// ifaceName keeps at most maxIfaceName bytes of a recorded interface name,
// printable ASCII only (others become '?'): it ends up in alerts and logs.
func ifaceName(v []byte) string {
	v = v[:min(len(v), maxIfaceName)]
	for len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1] // names are often NUL-terminated
	}
	b := make([]byte, len(v))
	for i, c := range v {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b[i] = c
	}
	return string(b)
}

// maxTimestampSec bounds a timestamp so that it fits int64 nanoseconds.
const maxTimestampSec = (1<<63-1)/1_000_000_000 - 1

// timestamp converts a pcapng timestamp of interface ifc to ns since the
// epoch; false if it does not fit.
func timestamp(ifc *ngIface, ts uint64) (int64, bool) {
	// The usual resolutions without an offset, without dividing (the
	// general path below divides twice, once 128 by 64 bits).
	if ifc.offset == 0 {
		switch ifc.units {
		case 1e6:
			if ts < (maxTimestampSec+1)*1e6 {
				return int64(ts) * 1e3, true
			}
		case 1e9:
			if ts < (maxTimestampSec+1)*1e9 {
				return int64(ts), true
			}
		}
	}
	sec, frac := ts/ifc.units, ts%ifc.units
	if sec > maxTimestampSec {
		return 0, false
	}
	total := int64(sec) + ifc.offset
	if (ifc.offset > 0 && total < int64(sec)) || total > maxTimestampSec || total < -maxTimestampSec {
		return 0, false
	}
	hi, lo := bits.Mul64(frac, 1e9)
	ns, _ := bits.Div64(hi, lo, ifc.units) // frac < units: no overflow
	return total*1e9 + int64(ns), true
}

// nextNg reads blocks up to the next packet and reads that packet.
func (s *fileSource) nextNg(f *Frame) error {
	if err := s.consume(); err != nil {
		return err
	}
	for {
		if !s.slow && s.bufferedEPB(f) {
			return nil
		}
		start := s.off
		hdr, err := s.peekBlock()
		if err != nil {
			if errors.Is(err, errEnd) {
				if s.in.Buffered() == 0 {
					return io.EOF
				}
				s.off += int64(s.in.Buffered())
				return s.end(start, 12, "block header")
			}
			return err
		}
		typ, n := s.order.Uint32(hdr[0:4]), s.order.Uint32(hdr[4:8])
		switch typ {
		case ngBlockSection:
			err = s.readSection(hdr)
		case ngBlockInterface:
			err = s.readInterface(n)
		case ngBlockEnhanced, ngBlockPacket, ngBlockSimple:
			var ok bool
			ok, err = s.readPacket(f, typ, n)
			if err == nil && ok {
				return nil
			}
		default: // statistics, name resolution, custom, ...: skipped
			err = s.skipBlock(n)
		}
		if err != nil {
			if errors.Is(err, errEnd) {
				s.off += int64(s.in.Buffered())
				return s.end(start, int64(n), "block")
			}
			return err
		}
	}
}

// u32 reads a 32-bit field in the file's byte order.
func (s *fileSource) u32(b []byte) uint32 {
	if s.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// bufferedEPB is the fast path of nextNg: when the next block is an
// enhanced packet block held whole in the read buffer and passing every
// check of peekBlock and readPacket, it returns its packet in place, as
// readPacket does, from one look at the buffer (readPacket looks three
// times and reads each field through the byte-order interface). Anything
// else returns false, having changed nothing: nextNg then reads the block
// and reports what is wrong with it.
func (s *fileSource) bufferedEPB(f *Frame) bool {
	b := s.in.buffered() // what is buffered: no read
	if len(b) < 32 || s.u32(b[0:4]) != ngBlockEnhanced {
		return false
	}
	n := s.u32(b[4:8])
	if n < 32 || n%4 != 0 || n > readBufferSize || int(n) > len(b) {
		return false
	}
	iface := s.u32(b[8:12])
	capLen, wireLen := s.u32(b[20:24]), s.u32(b[24:28])
	if capLen > n-32 || capLen > MaxRecordSize || capLen > wireLen || int(iface) >= len(s.ifaces) || s.u32(b[n-4:n]) != n {
		return false
	}
	ifc := &s.ifaces[iface]
	t, ok := timestamp(ifc, uint64(s.u32(b[12:16]))<<32|uint64(s.u32(b[16:20])))
	if !ok {
		return false
	}
	s.pending = int(n)
	f.Data = b[28 : 28+capLen : 28+capLen]
	f.Link = ifc.link
	f.Iface = uint16(iface)
	f.WireLen = wireLen
	f.Timestamp = t
	resetReport(f)
	return true
}

// skipBlock skips a block of total length n, checking its trailing length.
func (s *fileSource) skipBlock(n uint32) error {
	start := s.off
	if err := s.discard(int(n) - 4); err != nil {
		return err
	}
	return s.trailer(start, n, "block")
}

// trailer consumes the trailing total length of the block that started at
// start and checks it against the leading one, n.
func (s *fileSource) trailer(start int64, n uint32, what string) error {
	t, err := s.peek(4)
	if err != nil {
		return err
	}
	if got := s.order.Uint32(t); got != n {
		return s.formatErr(start, "%s: trailing total length %d differs from the leading %d", what, got, n)
	}
	return s.discard(4)
}

// readPacket reads an enhanced, simple or obsolete packet block of total
// length n into f; false (and no error) if it was skipped as oversize.
func (s *fileSource) readPacket(f *Frame, typ, n uint32) (bool, error) {
	start := s.off
	var (
		hdrLen  uint32
		iface   uint32
		ts      uint64
		capLen  uint32
		wireLen uint32
		what    string
	)
	switch typ {
	case ngBlockSimple:
		hdrLen, what = 16, "simple packet block"
	case ngBlockEnhanced:
		hdrLen, what = 32, "enhanced packet block"
	default:
		hdrLen, what = 32, "packet block"
	}
	if n < hdrLen {
		return false, s.formatErr(start, "%s: total length %d below the minimum %d", what, n, hdrLen)
	}
	h, err := s.peek(int(hdrLen) - 4)
	if err != nil {
		return false, err
	}
	switch typ {
	case ngBlockSimple:
		iface = 0
		wireLen = s.order.Uint32(h[8:12])
		capLen = min(wireLen, n-hdrLen)
		if len(s.ifaces) > 0 && s.ifaces[0].snap != 0 {
			capLen = min(capLen, s.ifaces[0].snap)
		}
	case ngBlockEnhanced:
		iface = s.order.Uint32(h[8:12])
	default:
		iface = uint32(s.order.Uint16(h[8:10]))
	}
	if typ != ngBlockSimple {
		ts = uint64(s.order.Uint32(h[12:16]))<<32 | uint64(s.order.Uint32(h[16:20]))
		capLen, wireLen = s.order.Uint32(h[20:24]), s.order.Uint32(h[24:28])
		if capLen > n-hdrLen {
			return false, s.formatErr(start, "%s: captured length %d beyond the block's %d bytes of data", what, capLen, n-hdrLen)
		}
	}
	if int(iface) >= len(s.ifaces) {
		return false, s.formatErr(start, "%s: interface %d not described in the section (%d interfaces)", what, iface, len(s.ifaces))
	}
	ifc := &s.ifaces[iface]
	// A simple packet block has no timestamp: it takes the last frame's
	// (libpcap gives it 0, the epoch, which would read as a jump back of
	// decades: the flow of such a packet would end, idle since 1970).
	t := s.lastTime
	if typ != ngBlockSimple {
		var ok bool
		if t, ok = timestamp(ifc, ts); !ok {
			// A time that does not fit (before 1678 or after 2262, its
			// units and if_tsoffset together): the block is skipped (its
			// own length frames it) and counted, as a pcap record whose
			// fraction of a second is beyond its resolution.
			return false, s.skipPacketBlock(n, &s.badTime)
		}
	}
	if capLen > MaxRecordSize {
		return false, s.skipPacketBlock(n, &s.oversize)
	}
	if typ != ngBlockSimple && capLen > wireLen {
		// Captured more than was on the wire: the lengths contradict
		// each other; the block is skipped (its own length frames it)
		// and counted, as a pcap record is. One capturing more than its
		// interface's snap length is read whole, as a pcap record is.
		return false, s.skipPacketBlock(n, &s.badLen)
	}
	if n <= readBufferSize {
		// In place, as nextPcap: the whole block stays in the read
		// buffer until the next call.
		if b, err := s.in.Peek(int(n)); err == nil {
			if got := s.order.Uint32(b[n-4:]); got != n {
				return false, s.formatErr(start, "%s: trailing total length %d differs from the leading %d", what, got, n)
			}
			s.pending = int(n)
			d := hdrLen - 4
			f.Data = b[d : d+capLen : d+capLen]
			f.Link = ifc.link
			f.Iface = uint16(iface)
			f.WireLen = wireLen
			f.Timestamp = t
			resetReport(f)
			return true, nil
		}
	}
	if err := s.discard(int(hdrLen) - 4); err != nil {
		return false, err
	}
	data := s.buf[:capLen]
	if err := s.read(data); err != nil {
		return false, err
	}
	if err := s.discard(int(n - hdrLen - capLen)); err != nil { // padding and options
		return false, err
	}
	if err := s.trailer(start, n, what); err != nil {
		return false, err
	}
	f.Data = data
	f.Link = ifc.link
	f.Iface = uint16(iface)
	f.WireLen = wireLen
	f.Timestamp = t
	resetReport(f)
	return true, nil
}
