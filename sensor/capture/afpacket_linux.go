//go:build linux

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// AFPacketOptions configure an AF_PACKET source. The zero value is usable.
type AFPacketOptions struct {
	// BlockSize is the size of one ring block in bytes: a multiple of the page
	// size and a power of two. 0 means 1 MiB.
	BlockSize int
	// NumBlocks is the number of blocks in the ring. 0 means 64 (64 MiB of
	// ring with the default block size).
	NumBlocks int
	// BlockTimeout is how long the kernel fills a block before handing it
	// over partly full. 0 means 10 ms.
	BlockTimeout time.Duration
	// PollTimeout bounds one wait for a block; Next then checks again. Close
	// does not depend on it (it wakes a blocked Next at once). 0 means 100 ms.
	PollTimeout time.Duration
	// ReportIdle makes Next return ErrIdle when a poll timed out with no
	// frame, instead of waiting on: the pipeline then publishes its
	// counters, so that an idle link shows exact counts.
	ReportIdle bool
	// Promiscuous puts the interface in promiscuous mode while the source is
	// open.
	Promiscuous bool
	// FanoutGroup, if not 0, joins the socket to this PACKET_FANOUT_HASH group
	// (with defragmentation) so that several sources, one per worker, share
	// the interface's traffic, each flow going to one of them.
	FanoutGroup uint16
}

// Offsets in struct tpacket_block_desc (tpacket_hdr_v1) and struct
// tpacket3_hdr, linux/if_packet.h.
const (
	blkStatus     = 8
	blkNumPkts    = 12
	blkFirstPkt   = 16
	pktNextOffset = 0
	pktSec        = 4
	pktNsec       = 8
	pktSnaplen    = 12
	pktLen        = 16
	pktStatus     = 20
	pktMac        = 24
	pktVLANTCI    = 32
	pktVLANTPID   = 36
)

// afPacket is a Source over a TPACKET_V3 receive ring.
type afPacket struct {
	name       string
	fd         int
	wake       int // eventfd that Close writes to end a blocked poll
	ring       []byte
	blockSize  int
	numBlocks  int
	link       layers.LinkType
	pollMS     int
	reportIdle bool

	// mu is held by Next for its whole run, so Close, which signals wake
	// and then takes mu, unmaps the ring only when no read is in flight.
	mu        sync.Mutex
	closed    atomic.Bool
	block     int // current block
	inBlock   bool
	remaining uint32 // packets left in the current block
	off       int    // offset of the next packet in the current block
	scratch   []byte // frame with its VLAN tag put back

	// handedOut: the last Next returned a frame that points into the ring.
	// Close then leaves the ring mapped (the frame stays valid, as Source
	// promises, until the next Next), and that Next unmaps it.
	handedOut bool
	mapping   *ringMapping

	frames, bytes atomic.Uint64
	clamped       atomic.Uint64 // frames whose wire length was above MaxWireLen
	statsMu       sync.Mutex    // guards drops and fd use by Stats
	drops         uint64
	fdClosed      bool
}

// ringMapping owns the mapped ring; a cleanup unmaps it if the source is
// dropped without the last Next after Close.
type ringMapping struct{ mem []byte }

func (m *ringMapping) unmap() {
	if m.mem != nil {
		_ = unix.Munmap(m.mem)
		m.mem = nil
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// OpenAFPacket opens a live capture on iface with an AF_PACKET socket and a
// TPACKET_V3 memory-mapped ring (pure Go, no cgo). It needs CAP_NET_RAW. The
// socket is created in the network namespace of the calling thread. Frames
// are delivered as seen on the wire: a VLAN tag the kernel took out is put
// back. Frame.Data is valid until the next Next or Close.
func OpenAFPacket(iface string, opts AFPacketOptions) (Source, error) {
	s, err := openAFPacket(iface, opts)
	if err != nil {
		return nil, fmt.Errorf("af_packet %s: %w", iface, err)
	}
	return s, nil
}

func openAFPacket(iface string, opts AFPacketOptions) (*afPacket, error) {
	if opts.BlockSize == 0 {
		opts.BlockSize = 1 << 20
	}
	if opts.NumBlocks == 0 {
		opts.NumBlocks = 64
	}
	if opts.BlockTimeout == 0 {
		opts.BlockTimeout = 10 * time.Millisecond
	}
	if opts.PollTimeout == 0 {
		opts.PollTimeout = 100 * time.Millisecond
	}
	page := unix.Getpagesize()
	if opts.BlockSize%page != 0 || opts.BlockSize&(opts.BlockSize-1) != 0 || opts.NumBlocks < 1 {
		return nil, fmt.Errorf("block size %d must be a power of two multiple of the page size %d, with at least one block",
			opts.BlockSize, page)
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	link := layers.LinkTypeEthernet
	if ifi.Flags&net.FlagLoopback == 0 && len(ifi.HardwareAddr) != 6 {
		if len(ifi.HardwareAddr) != 0 {
			return nil, fmt.Errorf("unsupported link layer (hardware address %v)", ifi.HardwareAddr)
		}
		link = layers.LinkTypeRaw // tun and other interfaces without a link header
	}

	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	s := &afPacket{name: "afpacket:" + iface, fd: fd, wake: -1, blockSize: opts.BlockSize, numBlocks: opts.NumBlocks,
		link: link, pollMS: int(opts.PollTimeout / time.Millisecond), reportIdle: opts.ReportIdle}
	fail := func(what string, err error) (*afPacket, error) {
		s.release()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("setting TPACKET_V3", err)
	}
	const frameSize = 2048 // only checked by the kernel for V3
	req := unix.TpacketReq3{
		Block_size:     uint32(opts.BlockSize),
		Block_nr:       uint32(opts.NumBlocks),
		Frame_size:     frameSize,
		Frame_nr:       uint32(opts.BlockSize / frameSize * opts.NumBlocks),
		Retire_blk_tov: uint32(max(opts.BlockTimeout/time.Millisecond, 1)),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail("setting up the receive ring", err)
	}
	s.ring, err = unix.Mmap(fd, 0, opts.BlockSize*opts.NumBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail("mapping the ring", err)
	}
	s.mapping = &ringMapping{mem: s.ring}
	runtime.AddCleanup(s, (*ringMapping).unmap, s.mapping)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return fail("binding", err)
	}
	if opts.Promiscuous {
		mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fail("enabling promiscuous mode", err)
		}
	}
	if opts.FanoutGroup != 0 {
		arg := int(opts.FanoutGroup) | (unix.PACKET_FANOUT_HASH|unix.PACKET_FANOUT_FLAG_DEFRAG)<<16
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, arg); err != nil {
			return fail(fmt.Sprintf("joining fanout group %d", opts.FanoutGroup), err)
		}
	}
	if s.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fail("eventfd", err)
	}
	return s, nil
}

// release closes the descriptors and, unless a frame handed out by Next may
// still be in use, unmaps the ring. The caller holds mu or owns s.
func (s *afPacket) release() {
	s.statsMu.Lock()
	s.readKernelStats()
	s.fdClosed = true
	s.statsMu.Unlock()
	if !s.handedOut {
		s.unmap()
	}
	_ = unix.Close(s.fd)
	if s.wake >= 0 {
		_ = unix.Close(s.wake)
	}
}

// readKernelStats adds the kernel's drop counter, which reading resets.
// statsMu must be held.
func (s *afPacket) readKernelStats() {
	if s.fdClosed {
		return
	}
	if st, err := unix.GetsockoptTpacketStatsV3(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		s.drops += uint64(st.Drops)
	}
}

// Name returns "afpacket:" and the interface name.
func (s *afPacket) Name() string { return s.name }

// Stats returns the counters; Dropped is the kernel's tp_drops (frames lost
// because the ring was full). Safe to call concurrently with Next.
func (s *afPacket) Stats() Stats {
	s.statsMu.Lock()
	s.readKernelStats()
	d := s.drops
	s.statsMu.Unlock()
	return Stats{Frames: s.frames.Load(), Bytes: s.bytes.Load(), Dropped: d, WireClamped: s.clamped.Load()}
}

// InterfaceName returns the captured interface's name for index 0.
func (s *afPacket) InterfaceName(i uint16) string {
	if i != 0 {
		return ""
	}
	return s.name[len("afpacket:"):]
}

// Close wakes a Next blocked waiting for packets, waits for it to return
// (it returns ErrClosed), then closes the socket and unmaps the ring; if the
// last frame Next returned may still be in use, the ring is unmapped by the
// next call to Next (which returns ErrClosed) instead.
func (s *afPacket) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	one := [8]byte{1}
	_, _ = unix.Write(s.wake, one[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release()
	return nil
}

func (s *afPacket) unmap() {
	if s.mapping != nil {
		s.mapping.unmap()
	}
	s.ring = nil
}

func (s *afPacket) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&s.ring[off])) }

// Next waits for the next frame. It returns ErrClosed once Close was called.
func (s *afPacket) Next(f *Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handedOut = false
	for {
		if s.closed.Load() {
			s.unmap() // Close may have left it for us
			return ErrClosed
		}
		base := s.block * s.blockSize
		if s.inBlock {
			if s.remaining > 0 {
				s.frame(base+s.off, f)
				s.remaining--
				s.off += int(binary.NativeEndian.Uint32(s.ring[base+s.off+pktNextOffset:]))
				s.handedOut = true
				return nil
			}
			// The previous frame is no longer in use: give the block back.
			atomic.StoreUint32(s.u32(base+blkStatus), unix.TP_STATUS_KERNEL)
			s.inBlock = false
			s.block = (s.block + 1) % s.numBlocks
			continue
		}
		if atomic.LoadUint32(s.u32(base+blkStatus))&unix.TP_STATUS_USER != 0 {
			s.inBlock = true
			s.remaining = binary.NativeEndian.Uint32(s.ring[base+blkNumPkts:])
			s.off = int(binary.NativeEndian.Uint32(s.ring[base+blkFirstPkt:]))
			continue
		}
		fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN | unix.POLLERR}, {Fd: int32(s.wake), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, s.pollMS)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("%s: poll: %w", s.name, err)
		}
		if n == 0 && err == nil && s.reportIdle {
			return ErrIdle
		}
	}
}

// frame fills f from the tpacket3_hdr at off.
func (s *afPacket) frame(off int, f *Frame) {
	h := s.ring[off:]
	ne := binary.NativeEndian
	status := ne.Uint32(h[pktStatus:])
	snap := int(ne.Uint32(h[pktSnaplen:]))
	wire := ne.Uint32(h[pktLen:])
	mac := int(ne.Uint16(h[pktMac:]))
	data := h[mac : mac+snap]
	if status&unix.TP_STATUS_VLAN_VALID != 0 && s.link == layers.LinkTypeEthernet && snap >= 12 {
		tpid := uint16(layers.EthernetTypeDot1Q)
		if status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
			tpid = ne.Uint16(h[pktVLANTPID:])
		}
		tci := uint16(ne.Uint32(h[pktVLANTCI:]))
		s.scratch = append(s.scratch[:0], data[:12]...)
		s.scratch = binary.BigEndian.AppendUint16(s.scratch, tpid)
		s.scratch = binary.BigEndian.AppendUint16(s.scratch, tci)
		s.scratch = append(s.scratch, data[12:]...)
		data = s.scratch
		wire += 4
	}
	if wire > MaxWireLen {
		wire = MaxWireLen
		s.clamped.Add(1)
	}
	f.Data = data
	f.Timestamp = int64(ne.Uint32(h[pktSec:]))*1e9 + int64(ne.Uint32(h[pktNsec:]))
	f.WireLen = wire
	f.Link = s.link
	f.Iface = 0
	s.frames.Add(1)
	s.bytes.Add(uint64(wire))
}
