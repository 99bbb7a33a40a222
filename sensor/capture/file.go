package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// maxSnapLen bounds a record's captured length, as tcpdump's MAXIMUM_SNAPLEN
// does; files whose header announces less are still read up to this size.
const maxSnapLen = 262144

// readBufferSize is the read-ahead buffer of a file source.
const readBufferSize = 256 << 10

// File format magics, as the first four bytes appear in the file.
var (
	magicPcapUsLE = [4]byte{0xd4, 0xc3, 0xb2, 0xa1}
	magicPcapUsBE = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	magicPcapNsLE = [4]byte{0x4d, 0x3c, 0xb2, 0xa1}
	magicPcapNsBE = [4]byte{0xa1, 0xb2, 0x3c, 0x4d}
	magicPcapNG   = [4]byte{0x0a, 0x0d, 0x0d, 0x0a}
)

// pcapng block types the source looks at.
const (
	ngBlockSection  = 0x0a0d0d0a
	ngBlockPacket   = 2 // obsolete Packet Block
	ngBlockSimple   = 3
	ngBlockEnhanced = 6
	ngByteOrderMark = 0x1a2b3c4d
)

// OpenFile opens a capture file for reading: pcap (either byte order,
// microsecond or nanosecond timestamps) or pcapng (any number of interfaces
// and sections, each interface with its own link type), optionally gzip
// compressed; the format is detected from the content, not the name. The path
// "-" reads standard input. Close closes the file.
func OpenFile(path string) (Source, error) {
	if path == "-" {
		return OpenReader("-", os.Stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening capture: %w", err)
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
	// pcapgo wraps its input in bufio.NewReader, which returns s.br itself
	// (it is large enough); so the source knows how far pcapgo got. A plain
	// capture is read through that one buffer; a compressed one through a
	// second, before the decompressor.
	s.cr = &countingReader{r: r}
	s.br = bufio.NewReaderSize(s.cr, readBufferSize)
	if head, _ := s.br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(s.br)
		if err != nil {
			return nil, fmt.Errorf("%s: reading gzip header: %w", name, err)
		}
		s.gz = gz
		s.cr = &countingReader{r: gz}
		s.br = bufio.NewReaderSize(s.cr, readBufferSize)
	}
	head, err := s.br.Peek(4)
	if len(head) < 4 {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: not a capture file: only %d bytes", name, len(head))
		}
		return nil, fmt.Errorf("%s: reading: %w", name, err)
	}
	switch [4]byte(head) {
	case magicPcapUsLE, magicPcapUsBE, magicPcapNsLE, magicPcapNsBE:
		pr, err := pcapgo.NewReader(s.br)
		if err != nil {
			return nil, fmt.Errorf("%s: reading pcap header: %w", name, err)
		}
		if pr.Snaplen() < maxSnapLen {
			// Some writers store records longer than the header's snap
			// length; pcapgo would reject them and lose its place.
			pr.SetSnaplen(maxSnapLen)
		}
		s.pcap = pr
		s.link = pr.LinkType()
	case magicPcapNG:
		if b, _ := s.br.Peek(12); len(b) == 12 && binary.BigEndian.Uint32(b[8:12]) == ngByteOrderMark {
			s.ngOrder = binary.BigEndian
		} else {
			s.ngOrder = binary.LittleEndian
		}
		nr, err := pcapgo.NewNgReader(s.br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, fmt.Errorf("%s: reading pcapng section header: %w", name, err)
		}
		s.ng = nr
	default:
		return nil, fmt.Errorf("%s: unknown capture format: not pcap, pcapng or gzip (starts with % x)", name, head)
	}
	return s, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fileSource is a Source over a pcap or pcapng stream.
type fileSource struct {
	name   string
	closer io.Closer
	gz     *gzip.Reader
	cr     *countingReader
	br     *bufio.Reader
	pcap   *pcapgo.Reader
	link   layers.LinkType // pcap only
	ng     *pcapgo.NgReader
	// ngOrder is the byte order of the current pcapng section.
	ngOrder binary.ByteOrder
	records uint64
	done    bool

	frames, bytes, errs atomic.Uint64
	closed              atomic.Bool
}

// offset returns how many bytes of the (uncompressed) stream pcapgo consumed.
func (s *fileSource) offset() int64 { return s.cr.n - int64(s.br.Buffered()) }

// Name returns the file name given to OpenFile or OpenReader.
func (s *fileSource) Name() string { return s.name }

// Stats returns the counters; safe to call concurrently with Next.
func (s *fileSource) Stats() Stats {
	return Stats{Frames: s.frames.Load(), Bytes: s.bytes.Load(), Errors: s.errs.Load()}
}

// InterfaceName returns the name of interface i as recorded in a pcapng file
// (empty if none), or the file name for pcap. Call it from the goroutine that
// calls Next.
func (s *fileSource) InterfaceName(i uint16) string {
	if s.ng == nil {
		return s.name
	}
	intf, err := s.ng.Interface(int(i))
	if err != nil {
		return ""
	}
	return intf.Name
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
	if s.closer != nil {
		if cerr := s.closer.Close(); cerr != nil {
			err = cerr
		}
	}
	return err
}

// Next reads the next record into f. f.Data points into the source's buffer.
// At the end of the input it returns io.EOF; a final record cut short is
// counted in Stats.Errors and also ends with io.EOF. A corrupt record in the
// middle of a file (the reader cannot find the next one) is an error naming
// the file and the record number.
func (s *fileSource) Next(f *Frame) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.done {
		return io.EOF
	}
	start := s.offset()
	var (
		data []byte
		ci   gopacket.CaptureInfo
		err  error
		link layers.LinkType
	)
	if s.pcap != nil {
		data, ci, err = s.pcap.ZeroCopyReadPacketData()
		link = s.link
	} else {
		cut := s.ngTailCut()
		data, ci, err = s.ng.ZeroCopyReadPacketData()
		if err == nil {
			if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				link = lt
			}
		} else if cut == ngCutNone && errors.Is(err, io.EOF) {
			err = io.EOF
			start = s.offset() // the tail was whole blocks: a clean end
		}
	}
	if err != nil {
		if s.closed.Load() {
			return ErrClosed
		}
		s.done = true
		if err == io.EOF && s.offset() == start {
			return io.EOF
		}
		s.errs.Add(1)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return io.EOF // truncated final record
		}
		return fmt.Errorf("%s: record %d: %w", s.name, s.records+1, err)
	}
	s.records++
	f.Data = data
	f.Link = link
	f.Iface = uint16(ci.InterfaceIndex)
	f.WireLen = uint32(ci.Length)
	f.Timestamp = 0
	if !ci.Timestamp.IsZero() {
		f.Timestamp = ci.Timestamp.UnixNano()
	}
	s.frames.Add(1)
	s.bytes.Add(uint64(ci.Length))
	return nil
}

// ngCut is what ngTailCut found ahead in a pcapng stream.
type ngCut uint8

const (
	ngCutNone    ngCut = iota // only whole non-packet blocks up to the end
	ngCutPacket               // a packet block starts: EOF inside it is truncation
	ngCutPartial              // the stream ends inside a block
	ngCutUnknown              // beyond the read-ahead buffer: assume a packet follows
)

// ngTailCut looks ahead, without consuming, over the blocks pcapgo will read in
// its next call: the non-packet blocks (interface descriptions, statistics,
// name resolution, new sections) and the packet block after them. pcapgo
// reports io.EOF both at a clean end and inside a block; this tells them apart.
func (s *fileSource) ngTailCut() ngCut {
	off := 0
	for {
		if off+12 > s.br.Size() {
			return ngCutUnknown
		}
		b, _ := s.br.Peek(off + 12)
		b = b[off:]
		switch {
		case len(b) == 0:
			return ngCutNone
		case len(b) < 8:
			return ngCutPartial
		}
		order := s.ngOrder
		typ := order.Uint32(b[0:4])
		if typ == ngBlockSection {
			if len(b) < 12 {
				return ngCutPartial
			}
			if binary.BigEndian.Uint32(b[8:12]) == ngByteOrderMark {
				order = binary.BigEndian
			} else {
				order = binary.LittleEndian
			}
			s.ngOrder = order // pcapgo switches order with this section too
		}
		switch typ {
		case ngBlockEnhanced, ngBlockSimple, ngBlockPacket:
			return ngCutPacket
		}
		n := int(order.Uint32(b[4:8]))
		if n < 12 || n%4 != 0 {
			return ngCutPacket // corrupt: let pcapgo report it
		}
		if off+n > s.br.Size() {
			return ngCutUnknown
		}
		if whole, _ := s.br.Peek(off + n); len(whole) < off+n {
			return ngCutPartial
		}
		off += n
	}
}
