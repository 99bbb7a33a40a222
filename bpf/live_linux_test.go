//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// lab is two network namespaces joined by a veth pair, with no route out:
// "in" holds 192.0.2.1 (home, DE) on veth inIf, "out" holds 198.51.100.1
// (US) on outIf.
type lab struct {
	in, out     string
	inIf, outIf string
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func newLab(t *testing.T) *lab {
	t.Helper()
	requireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip) to build network namespaces")
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	l := &lab{in: "bwin" + id, out: "bwout" + id, inIf: "bwi" + id, outIf: "bwo" + id}
	t.Cleanup(func() {
		// Deleting the namespaces deletes the veth pair with them.
		_ = exec.Command("ip", "netns", "del", l.in).Run()
		_ = exec.Command("ip", "netns", "del", l.out).Run()
		_ = exec.Command("ip", "link", "del", l.inIf).Run()
	})
	ipCmd(t, "netns", "add", l.in)
	ipCmd(t, "netns", "add", l.out)
	ipCmd(t, "link", "add", l.inIf, "type", "veth", "peer", "name", l.outIf)
	ipCmd(t, "link", "set", l.inIf, "netns", l.in)
	ipCmd(t, "link", "set", l.outIf, "netns", l.out)
	for _, c := range [][]string{
		{l.in, "addr", "add", "192.0.2.1/24", "dev", l.inIf},
		{l.in, "link", "set", l.inIf, "up"},
		{l.in, "route", "add", "198.51.100.0/24", "dev", l.inIf},
		{l.out, "addr", "add", "198.51.100.1/24", "dev", l.outIf},
		{l.out, "link", "set", l.outIf, "up"},
		{l.out, "route", "add", "192.0.2.0/24", "dev", l.outIf},
	} {
		ipCmd(t, append([]string{"-n"}, c...)...)
	}
	// No IPv6 on the link: no router or neighbour solicitations to account for.
	for _, ns := range []string{l.in, l.out} {
		_ = exec.Command("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1").Run()
	}
	return l
}

// inNetns runs fn on an OS thread switched into namespace ns. The thread is
// discarded afterwards (it stays locked when the goroutine ends).
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering netns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// TestLiveAttach attaches XDP and TC egress (through TCX, and through a
// clsact filter, also on an existing clsact qdisc) to the veth end in
// "in", sends 20 UDP datagrams from "out" that an echo server in "in"
// answers, and reconciles the records and counters with what was sent.
func TestLiveAttach(t *testing.T) {
	t.Run("tcx", func(t *testing.T) { testLiveAttach(t, EgressTCX, false) })
	t.Run("clsact", func(t *testing.T) { testLiveAttach(t, EgressClsact, false) })
	t.Run("clsact on an existing qdisc", func(t *testing.T) { testLiveAttach(t, EgressClsact, true) })
}

// tcShow runs `tc` in namespace ns and returns its output.
func tcShow(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "tc"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func testLiveAttach(t *testing.T, mode EgressMode, qdisc bool) {
	l := newLab(t)
	o := loadLab(t, func(o *Options) { o.EgressMode = mode })
	const n = 20
	if mode == EgressClsact {
		if _, err := exec.LookPath("tc"); err != nil {
			t.Skip("needs iproute2 (tc) to check the clsact filter")
		}
		if qdisc {
			ipCmd(t, "netns", "exec", l.in, "tc", "qdisc", "add", "dev", l.inIf, "clsact")
		}
	}

	var att interface{ Close() error }
	var server, client *net.UDPConn
	err := inNetns(l.in, func() error {
		var err error
		if att, err = o.Attach(l.inIf, XDPAuto, true); err != nil {
			return err
		}
		server, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 7777})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	if err := inNetns(l.out, func() error {
		var err error
		client, err = net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 40000}, &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 7777})
		return err
	}); err != nil {
		att.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })

	go func() { // echo server: answers exactly n datagrams
		buf := make([]byte, 1500)
		for range n {
			k, from, err := server.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = server.WriteToUDP(buf[:k], from)
		}
	}()
	buf := make([]byte, 1500)
	for i := range n {
		msg := fmt.Sprintf("borderwatch-%02d", i)
		if _, err := client.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		// Bounded wait for the echo, so requests and replies interleave.
		_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, err := client.Read(buf)
		if err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if string(buf[:k]) != msg {
			t.Fatalf("echo %d: %q, want %q", i, buf[:k], msg)
		}
	}
	if mode == EgressClsact {
		f := tcShow(t, l.in, "filter", "show", "dev", l.inIf, "egress")
		if !strings.Contains(f, "pref 2829 bpf") || !strings.Contains(f, "bw_tc_egress") || !strings.Contains(f, "direct-action") {
			t.Errorf("egress filters while attached:\n%s", f)
		}
		// A second attach finds the filter and leaves it alone.
		err := inNetns(l.in, func() error {
			ifi, err := net.InterfaceByName(l.inIf)
			if err != nil {
				return err
			}
			c, err := attachClsact(o.objs.BwTcEgress, ifi.Index)
			if err == nil {
				c.Close()
				return errors.New("a second clsact attach succeeded")
			}
			if !strings.Contains(err.Error(), "adding bpf filter: a filter is attached at egress priority 2829 (a borderwatch left over or running?)") {
				return fmt.Errorf("second clsact attach: %w", err)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		if f2 := tcShow(t, l.in, "filter", "show", "dev", l.inIf, "egress"); f2 != f {
			t.Errorf("egress filters changed by the failed attach:\n%s\nwas:\n%s", f2, f)
		}
	}
	if err := att.Close(); err != nil {
		t.Fatalf("detaching: %v", err)
	}
	if mode == EgressClsact {
		if f := tcShow(t, l.in, "filter", "show", "dev", l.inIf, "egress"); f != "" {
			t.Errorf("egress filters left after detach:\n%s", f)
		}
		if q := tcShow(t, l.in, "qdisc", "show", "dev", l.inIf); strings.Contains(q, "clsact") != qdisc {
			t.Errorf("qdiscs after detach (clsact there before: %v):\n%s", qdisc, q)
		}
	}

	var inIndex int
	_ = inNetns(l.in, func() error {
		ifi, err := net.InterfaceByName(l.inIf)
		if err == nil {
			inIndex = ifi.Index
		}
		return err
	})
	var requests, replies []string
	for _, r := range drain(t, o) {
		var eth layers.Ethernet
		var ip layers.IPv4
		var udp layers.UDP
		var pl gopacket.Payload
		parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip, &udp, &pl)
		var decoded []gopacket.LayerType
		if err := parser.DecodeLayers(r.Data, &decoded); err != nil || len(decoded) != 4 {
			t.Errorf("record %+v: not Ethernet/IPv4/UDP: %v", strip(r), err)
			continue
		}
		if int(r.Ifindex) != inIndex || r.Reasons != ReasonBudget || int(r.WireLen) != len(r.Data) {
			t.Errorf("record %+v: want ifindex %d, reason budget, whole packet", strip(r), inIndex)
		}
		switch {
		case !r.Egress && ip.SrcIP.Equal(net.IPv4(198, 51, 100, 1)) && udp.DstPort == 7777 &&
			r.SrcCountry == cid("US") && r.DstCountry == cid("DE") && r.Direction == DirInbound && r.DstHome && !r.SrcHome:
			requests = append(requests, string(pl))
		case r.Egress && ip.SrcIP.Equal(net.IPv4(192, 0, 2, 1)) && udp.SrcPort == 7777 &&
			r.SrcCountry == cid("DE") && r.DstCountry == cid("US") && r.Direction == DirOutbound && r.SrcHome && !r.DstHome:
			replies = append(replies, string(pl))
		default:
			t.Errorf("unexpected record %+v", strip(r))
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("borderwatch-%02d", i))
	}
	if strings.Join(requests, ",") != strings.Join(want, ",") || strings.Join(replies, ",") != strings.Join(want, ",") {
		t.Errorf("requests %v\nreplies %v\nwant %v each", requests, replies, want)
	}

	counts, err := o.ReadCounters()
	if err != nil {
		t.Fatal(err)
	}
	frame := uint64(14 + 20 + 8 + len("borderwatch-00"))
	in := counts[CounterKey{Country: cid("US"), Direction: DirInbound, Proto: ProtoUDP}]
	out := counts[CounterKey{Country: cid("US"), Direction: DirOutbound, Egress: true, Proto: ProtoUDP}]
	if in != (Count{n, n * frame}) || out != (Count{n, n * frame}) {
		t.Errorf("counters inbound %+v outbound %+v, want %d packets of %d bytes each way; all: %v", in, out, n, frame, counts)
	}
	g, err := o.Counters()
	if err != nil {
		t.Fatal(err)
	}
	// Besides the datagrams only ARP crosses the link.
	if g.Handoff != 2*n || g.Packets != 2*n+g.NonIP || g.RingbufFull != 0 || g.BudgetDrops != 0 {
		t.Errorf("globals %+v: want %d hand-offs, the rest ARP", g, 2*n)
	}
	ifc, err := o.InterfaceCounters()
	if err != nil {
		t.Fatal(err)
	}
	// The datagrams each way plus the ARP packets (non-IP, each of the
	// wire length of an ARP frame) the hook saw.
	c := ifc[l.inIf]
	arpIn, arpOut := c.Ingress.Packets-n, c.Egress.Packets-n
	if len(ifc) != 1 || c.Ifindex != inIndex || arpIn+arpOut != g.NonIP ||
		c.Ingress.Handoff != n || c.Egress.Handoff != n ||
		c.Ingress.Bytes-n*frame != arpIn*42 || c.Egress.Bytes-n*frame != arpOut*42 ||
		c.Ingress.RingbufFull != 0 || c.Egress.RingbufFull != 0 || c.Ingress.EnforceDrops != 0 || c.Egress.EnforceDrops != 0 {
		t.Errorf("interface counters %+v: want %d datagrams of %d bytes and %d hand-offs each way, plus %d ARP frames", ifc, n, frame, n, g.NonIP)
	}
}

// TestAttachRemovesStaleXDP attaches our program the legacy way (netlink,
// no link), as a crashed older build or `ip link set xdp` leaves it, and
// checks that Attach replaces it and detaching leaves the interface clean.
func TestAttachRemovesStaleXDP(t *testing.T) {
	l := newLab(t)
	o := loadLab(t, nil)
	// A private bpffs to pin the program in, for ip(8) to attach it.
	fs := t.TempDir()
	if err := unix.Mount("bpf", fs, "bpf", 0, ""); err != nil {
		t.Skipf("cannot mount a bpffs to pin into: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(fs, unix.MNT_DETACH) })
	pin := fs + "/bw_xdp"
	if err := o.objs.BwXdp.Pin(pin); err != nil {
		t.Fatalf("pinning: %v", err)
	}
	t.Cleanup(func() { _ = o.objs.BwXdp.Unpin() })
	ipCmd(t, "-n", l.in, "link", "set", "dev", l.inIf, "xdpgeneric", "pinned", pin)

	err := inNetns(l.in, func() error {
		ifi, err := net.InterfaceByName(l.inIf)
		if err != nil {
			return err
		}
		st, err := queryXDP(ifi.Index)
		if err != nil {
			return err
		}
		if st.progID == 0 || st.mode != xdpAttachedSKB {
			return fmt.Errorf("legacy attach not visible: %+v", st)
		}
		c, err := o.Attach(l.inIf, XDPGeneric, false)
		if err != nil {
			return err
		}
		// A second Attach finds the live link and refuses.
		if c2, err := o.Attach(l.inIf, XDPGeneric, false); err == nil {
			c2.Close()
			return errors.New("a second attach succeeded")
		} else if !strings.Contains(err.Error(), "another borderwatch running") {
			return fmt.Errorf("second attach: %v", err)
		}
		if err := c.Close(); err != nil {
			return err
		}
		st, err = queryXDP(ifi.Index)
		if err != nil {
			return err
		}
		if st.progID != 0 {
			return fmt.Errorf("xdp program %d still attached after detach", st.progID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
