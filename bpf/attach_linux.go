//go:build linux

package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// XDPMode chooses how the XDP program attaches.
type XDPMode uint8

const (
	// XDPAuto lets the kernel choose: driver mode where the driver supports
	// XDP, generic otherwise.
	XDPAuto XDPMode = iota
	// XDPDriver forces driver (native) mode; attaching fails without driver
	// support.
	XDPDriver
	// XDPGeneric forces generic (skb) mode.
	XDPGeneric
)

// String returns the mode's word of XDPModeWords ("auto", "native" or
// "generic"), the words of the configuration's capture.xdp_mode.
func (m XDPMode) String() string {
	if int(m) < len(XDPModeWords) {
		return XDPModeWords[m]
	}
	return fmt.Sprintf("XDPMode(%d)", uint8(m))
}

// ParseXDPMode parses a word of XDPModeWords.
func ParseXDPMode(s string) (XDPMode, error) {
	for i, w := range XDPModeWords {
		if w == s {
			return XDPMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown xdp mode %q (want %s)", s, Words(XDPModeWords))
}

// xdpProgName is the kernel's name of our XDP program; it identifies stale
// attachments.
const xdpProgName = "bw_xdp"

type attachment struct {
	links []io.Closer
}

// Close detaches the programs.
func (a *attachment) Close() error {
	var errs []error
	for i := len(a.links) - 1; i >= 0; i-- {
		errs = append(errs, a.links[i].Close())
	}
	a.links = nil
	return errors.Join(errs...)
}

// Attach attaches the XDP program to the ingress of iface and, with egress,
// the TC program to its egress through TCX. Closing the result detaches both.
//
// The programs are attached through BPF links owned by this process and not
// pinned: when the process exits, also by a crash, the kernel detaches them.
// A borderwatch XDP program attached the legacy way (netlink, no link; for
// instance by `ip link set dev X xdp` or an older build) is stale by
// definition and removed first; any other XDP program is left alone and
// attaching fails. Interface names and indexes are those of the calling
// thread's network namespace.
//
// The interface gets its own counters (InterfaceCounters), up to IfaceSlots
// interfaces per Objects.
//
// TC egress attaches as Options.EgressMode says: through TCX (Linux 6.6 or
// later), or as a direct-action bpf filter on a clsact qdisc (netlink; see
// attachClsact), or TCX with the clsact fallback where TCX is unsupported.
func (o *Objects) Attach(iface string, mode XDPMode, egress bool) (io.Closer, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("attaching to %s: %w", iface, err)
	}
	var flags link.XDPAttachFlags
	switch mode {
	case XDPAuto:
	case XDPDriver:
		flags = link.XDPDriverMode
	case XDPGeneric:
		flags = link.XDPGenericMode
	default:
		return nil, fmt.Errorf("attaching to %s: unknown xdp mode %d", iface, mode)
	}
	if err := removeStaleXDP(ifi.Index); err != nil {
		return nil, fmt.Errorf("attaching to %s: %w", iface, err)
	}
	if err := o.ifaceSlot(iface, ifi.Index); err != nil {
		return nil, fmt.Errorf("attaching to %s: %w", iface, err)
	}
	a := &attachment{}
	l, err := link.AttachXDP(link.XDPOptions{Program: o.objs.BwXdp, Interface: ifi.Index, Flags: flags})
	if err != nil {
		return nil, fmt.Errorf("attaching xdp (%s mode) to %s: %w", mode, iface, err)
	}
	a.links = append(a.links, l)
	if egress {
		l, err := o.attachEgress(ifi.Index)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("attaching tc egress to %s: %w", iface, err)
		}
		a.links = append(a.links, l)
	}
	return a, nil
}

// removeStaleXDP removes a borderwatch XDP program attached to ifindex
// without a link.
func removeStaleXDP(ifindex int) error {
	st, err := queryXDP(ifindex)
	if err != nil || st.progID == 0 {
		return err
	}
	it := new(link.Iterator)
	defer it.Close()
	for it.Next() {
		info, err := it.Link.Info()
		if err != nil || info.Type != link.XDPType {
			continue
		}
		if x := info.XDP(); x != nil && int(x.Ifindex) == ifindex {
			if name := progName(info.Program); name == xdpProgName {
				return fmt.Errorf("a borderwatch xdp program is attached by link %d (another borderwatch running?)", info.ID)
			}
			return fmt.Errorf("xdp program %q is attached by link %d", progName(info.Program), info.ID)
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("listing bpf links: %w", err)
	}
	name := progName(ebpf.ProgramID(st.progID))
	if name != xdpProgName {
		return fmt.Errorf("xdp program %q (id %d) is attached", name, st.progID)
	}
	if err := detachXDP(ifindex, st.mode); err != nil {
		return fmt.Errorf("removing stale borderwatch xdp program %d: %w", st.progID, err)
	}
	return nil
}

func progName(id ebpf.ProgramID) string {
	p, err := ebpf.NewProgramFromID(id)
	if err != nil {
		return ""
	}
	defer p.Close()
	info, err := p.Info()
	if err != nil {
		return ""
	}
	return info.Name
}

// XDP_ATTACHED_* from linux/if_link.h (not in x/sys/unix).
const (
	xdpAttachedDrv = 1
	xdpAttachedSKB = 2
	xdpAttachedHW  = 3
)

// xdpState is the XDP attachment of an interface as rtnetlink reports it.
type xdpState struct {
	progID uint32
	mode   uint8 // XDP_ATTACHED_*
}

// queryXDP asks rtnetlink for the XDP program of ifindex.
func queryXDP(ifindex int) (xdpState, error) {
	var st xdpState
	msgs, err := rtnetlink(unix.RTM_GETLINK, 0, ifindex, nil)
	if err != nil {
		return st, fmt.Errorf("querying xdp state: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		for typ, val := range attrs(m.Data[unix.SizeofIfInfomsg:]) {
			if typ&^unix.NLA_F_NESTED != unix.IFLA_XDP {
				continue
			}
			for t, v := range attrs(val) {
				switch {
				case t == unix.IFLA_XDP_ATTACHED && len(v) >= 1:
					st.mode = v[0]
				case t == unix.IFLA_XDP_PROG_ID && len(v) >= 4:
					st.progID = binary.NativeEndian.Uint32(v)
				}
			}
		}
	}
	return st, nil
}

// detachXDP removes the netlink-attached XDP program of ifindex.
func detachXDP(ifindex int, mode uint8) error {
	var flags uint32
	switch mode {
	case xdpAttachedSKB:
		flags = unix.XDP_FLAGS_SKB_MODE
	case xdpAttachedDrv:
		flags = unix.XDP_FLAGS_DRV_MODE
	case xdpAttachedHW:
		flags = unix.XDP_FLAGS_HW_MODE
	}
	fd := make([]byte, 4)
	binary.NativeEndian.PutUint32(fd, uint32(0xffffffff)) // -1: detach
	fl := make([]byte, 4)
	binary.NativeEndian.PutUint32(fl, flags)
	nest := append(attr(unix.IFLA_XDP_FD, fd), attr(unix.IFLA_XDP_FLAGS, fl)...)
	_, err := rtnetlink(unix.RTM_SETLINK, unix.NLM_F_ACK, ifindex, attr(unix.IFLA_XDP|unix.NLA_F_NESTED, nest))
	return err
}

// rtnetlink sends one link request and returns the replies.
func rtnetlink(typ uint16, flags uint16, ifindex int, payload []byte) ([]syscall.NetlinkMessage, error) {
	c, err := dialRoute()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	body := make([]byte, unix.SizeofIfInfomsg)
	body[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(body[4:], uint32(ifindex))
	return c.request(typ, flags, append(body, payload...))
}

// routeConn is an rtnetlink socket. It belongs to the network namespace of
// the thread that opened it, whichever thread uses it later.
type routeConn struct {
	fd  int
	seq uint32
}

func dialRoute() (*routeConn, error) {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(s, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(s)
		return nil, err
	}
	return &routeConn{fd: s}, nil
}

func (c *routeConn) Close() error { return unix.Close(c.fd) }

// request sends one request (body: the family header and attributes) and
// returns the replies; an NLMSG_ERROR with an error code is the error.
// Requests that change state must ask for an acknowledgement (NLM_F_ACK),
// or there is nothing to read.
func (c *routeConn) request(typ uint16, flags uint16, body []byte) ([]syscall.NetlinkMessage, error) {
	c.seq++
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|flags)
	binary.NativeEndian.PutUint32(msg[8:], c.seq)
	msg = append(msg, body...)
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	buf := make([]byte, 65536)
	n, _, err := unix.Recvfrom(c.fd, buf, 0)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
			if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
				return nil, unix.Errno(-e)
			}
		}
	}
	return msgs, nil
}

// attr encodes one netlink attribute.
func attr(typ uint16, val []byte) []byte {
	l := unix.SizeofRtAttr + len(val)
	b := make([]byte, (l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1))
	binary.NativeEndian.PutUint16(b[0:], uint16(l))
	binary.NativeEndian.PutUint16(b[2:], typ)
	copy(b[unix.SizeofRtAttr:], val)
	return b
}

// attrs iterates over the netlink attributes in b.
func attrs(b []byte) func(yield func(uint16, []byte) bool) {
	return func(yield func(uint16, []byte) bool) {
		for len(b) >= unix.SizeofRtAttr {
			l := int(binary.NativeEndian.Uint16(b[0:]))
			typ := binary.NativeEndian.Uint16(b[2:])
			if l < unix.SizeofRtAttr || l > len(b) {
				return
			}
			if !yield(typ, b[unix.SizeofRtAttr:l]) {
				return
			}
			al := (l + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1)
			if al > len(b) {
				return
			}
			b = b[al:]
		}
	}
}

var _ io.Closer = (*attachment)(nil)
