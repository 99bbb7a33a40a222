//go:build linux

package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// EgressMode chooses how the TC egress program attaches.
type EgressMode uint8

const (
	// EgressAuto uses TCX, and a clsact filter where the kernel has no TCX
	// (before Linux 6.6).
	EgressAuto EgressMode = iota
	// EgressTCX uses TCX only.
	EgressTCX
	// EgressClsact uses a clsact qdisc and a direct-action bpf filter.
	EgressClsact
)

// String returns the mode's word of EgressModeWords ("auto", "tcx" or
// "clsact").
func (m EgressMode) String() string {
	if int(m) < len(EgressModeWords) {
		return EgressModeWords[m]
	}
	return fmt.Sprintf("EgressMode(%d)", uint8(m))
}

// ParseEgressMode parses a word of EgressModeWords.
func ParseEgressMode(s string) (EgressMode, error) {
	for i, w := range EgressModeWords {
		if w == s {
			return EgressMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown egress mode %q (want %s)", s, Words(EgressModeWords))
}

// Traffic-control constants of linux/pkt_sched.h and linux/pkt_cls.h that
// x/sys/unix lacks.
const (
	tcHClsact       = 0xfffffff1 // TC_H_CLSACT: the clsact qdisc's parent
	tcHClsactHandle = 0xffff0000 // its handle, ffff:
	tcHEgress       = 0xfffffff3 // TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)
	tcaBPFFD        = 6          // TCA_BPF_FD
	tcaBPFName      = 7          // TCA_BPF_NAME
	tcaBPFFlags     = 8          // TCA_BPF_FLAGS
	tcaBPFActDirect = 1          // TCA_BPF_FLAG_ACT_DIRECT
	sizeofTcMsg     = 20
	// clsactPrio and clsactHandle place our filter in the egress chain;
	// the priority is fixed so that a left-over filter is recognised.
	clsactPrio   = 0xb0d
	clsactHandle = 1
	tcProgName   = "bw_tc_egress"
)

// attachEgress attaches the TC egress program to ifindex as
// Options.EgressMode says.
func (o *Objects) attachEgress(ifindex int) (io.Closer, error) {
	if o.opts.EgressMode != EgressClsact {
		l, err := link.AttachTCX(link.TCXOptions{Program: o.objs.BwTcEgress, Attach: ebpf.AttachTCXEgress, Interface: ifindex})
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, ebpf.ErrNotSupported) {
			return nil, err
		}
		if o.opts.EgressMode == EgressTCX {
			return nil, fmt.Errorf("tcx needs linux 6.6 or later: %w", err)
		}
	}
	return attachClsact(o.objs.BwTcEgress, ifindex)
}

// clsactFilter is our filter on a clsact qdisc; Close removes it, and the
// qdisc when the filter created it. The netlink socket is opened at attach
// time, so Close works in the interface's namespace from any thread.
type clsactFilter struct {
	c       *routeConn
	ifindex int
	created bool // the qdisc was created by attachClsact
}

// attachClsact adds a clsact qdisc to ifindex (unless there is one) and the
// program as a direct-action bpf filter on its egress, at priority
// clsactPrio. Unlike a link, the filter outlives the process: a crashed
// sensor leaves it, and the next attach fails naming it (remove it with
// `tc filter del dev IFACE egress prio 2829`). A qdisc we created is
// deleted on Close even if others added filters to it meanwhile.
func attachClsact(prog *ebpf.Program, ifindex int) (io.Closer, error) {
	c, err := dialRoute()
	if err != nil {
		return nil, fmt.Errorf("opening rtnetlink: %w", err)
	}
	f := &clsactFilter{c: c, ifindex: ifindex}
	q := tcMsg(ifindex, tcHClsactHandle, tcHClsact, 0)
	q = append(q, attr(unix.TCA_KIND, []byte("clsact\x00"))...)
	_, err = c.request(unix.RTM_NEWQDISC, unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL, q)
	switch {
	case err == nil:
		f.created = true
	case errors.Is(err, unix.EEXIST): // a clsact qdisc is there already
	default:
		c.Close()
		return nil, fmt.Errorf("adding clsact qdisc: %w", err)
	}
	fd := make([]byte, 4)
	binary.NativeEndian.PutUint32(fd, uint32(prog.FD()))
	fl := make([]byte, 4)
	binary.NativeEndian.PutUint32(fl, tcaBPFActDirect)
	opts := attr(tcaBPFFD, fd)
	opts = append(opts, attr(tcaBPFName, []byte(tcProgName+"\x00"))...)
	opts = append(opts, attr(tcaBPFFlags, fl)...)
	m := f.filterMsg()
	m = append(m, attr(unix.TCA_KIND, []byte("bpf\x00"))...)
	m = append(m, attr(unix.TCA_OPTIONS|unix.NLA_F_NESTED, opts)...)
	if _, err := c.request(unix.RTM_NEWTFILTER, unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL, m); err != nil {
		// The filter at our place, if any, is not ours: only the qdisc
		// we created goes.
		var ferr error
		if f.created {
			ferr = f.delQdisc()
		}
		c.Close()
		if errors.Is(err, unix.EEXIST) {
			err = fmt.Errorf("a filter is attached at egress priority %d (a borderwatch left over or running?): %w", clsactPrio, err)
		}
		return nil, errors.Join(fmt.Errorf("adding bpf filter: %w", err), ferr)
	}
	return f, nil
}

// filterMsg is the tcmsg naming our filter: egress of clsact, priority
// clsactPrio, all protocols, handle clsactHandle.
func (f *clsactFilter) filterMsg() []byte {
	return tcMsg(f.ifindex, clsactHandle, tcHEgress, clsactPrio<<16|uint32(htons(unix.ETH_P_ALL)))
}

// Close removes the filter, then the qdisc if attachClsact created it.
func (f *clsactFilter) Close() error {
	if f.c == nil {
		return nil
	}
	defer func() { f.c.Close(); f.c = nil }()
	var errs []error
	if _, err := f.c.request(unix.RTM_DELTFILTER, unix.NLM_F_ACK, f.filterMsg()); err != nil && !errors.Is(err, unix.ENOENT) {
		errs = append(errs, fmt.Errorf("removing bpf filter: %w", err))
	}
	if f.created {
		errs = append(errs, f.delQdisc())
	}
	return errors.Join(errs...)
}

// delQdisc deletes the clsact qdisc of the interface.
func (f *clsactFilter) delQdisc() error {
	q := tcMsg(f.ifindex, tcHClsactHandle, tcHClsact, 0)
	q = append(q, attr(unix.TCA_KIND, []byte("clsact\x00"))...)
	if _, err := f.c.request(unix.RTM_DELQDISC, unix.NLM_F_ACK, q); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing clsact qdisc: %w", err)
	}
	return nil
}

// tcMsg encodes a struct tcmsg.
func tcMsg(ifindex int, handle, parent, info uint32) []byte {
	b := make([]byte, sizeofTcMsg)
	b[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(b[4:], uint32(ifindex))
	binary.NativeEndian.PutUint32(b[8:], handle)
	binary.NativeEndian.PutUint32(b[12:], parent)
	binary.NativeEndian.PutUint32(b[16:], info)
	return b
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
