//go:build linux

package live

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/bpf"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/capture"
)

// Open starts live capture on the configured interfaces: XDP unless
// the mode is afpacket or XDP is unavailable (then AF_PACKET, with a warning
// saying why; with enforcement, an error instead). It runs on the calling
// goroutine's thread, so the sockets and attachments belong to that thread's
// network namespace. XDP loads kr into the kernel stage.
func Open(cc Configuration, table *geo.Table, kr *Rules, log zerolog.Logger) (*Capture, error) {
	caps, err := effectiveCaps()
	if err != nil {
		return nil, fmt.Errorf("reading capabilities: %w", err)
	}
	if cc.Mode == "xdp" {
		miss := missingCaps(caps, capBPF, capNetAdmin, capPerfmon)
		var why error
		if len(miss) > 0 {
			why = fmt.Errorf("missing %s", strings.Join(miss, ", "))
		} else {
			lc, err := openXDP(cc, table, kr, log)
			if err == nil {
				return lc, nil
			}
			why = err
		}
		if cc.Enforce {
			return nil, fmt.Errorf("--enforce needs XDP, which is unavailable (AF_PACKET cannot drop): %w", why)
		}
		if m := missingCaps(caps, capNetRaw); len(m) > 0 {
			return nil, fmt.Errorf("live capture needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (XDP) or CAP_NET_RAW (AF_PACKET); XDP: %v; AF_PACKET: missing CAP_NET_RAW", why)
		}
		log.Warn().Err(why).Msg("XDP capture unavailable; falling back to AF_PACKET")
	}
	if m := missingCaps(caps, capNetRaw); len(m) > 0 {
		return nil, errors.New("AF_PACKET capture needs root or CAP_NET_RAW")
	}
	return openAFPackets(cc, log)
}

// openAFPackets opens cc.Readers AF_PACKET sockets per interface (a fanout
// group when more than one).
func openAFPackets(cc Configuration, log zerolog.Logger) (*Capture, error) {
	lc := &Capture{Mode: "afpacket"}
	for i, ifc := range cc.Interfaces {
		opts := capture.AFPacketOptions{NumBlocks: cc.AFPacketBlocks, Promiscuous: true, ReportIdle: true}
		if cc.Readers > 1 {
			// Group ids are per network namespace; pid and index keep two
			// sensors (or two interfaces) apart.
			opts.FanoutGroup = uint16(os.Getpid()*31+i) | 1
		}
		for range cc.Readers {
			s, err := capture.OpenAFPacket(ifc, opts)
			if err != nil {
				lc.Close()
				return nil, fmt.Errorf("opening capture: %w", err)
			}
			lc.Sources = append(lc.Sources, s)
		}
	}
	log.Info().Strs("interfaces", cc.Interfaces).Int("readers_per_interface", cc.Readers).Msg("AF_PACKET capture open")
	return lc, nil
}

// kernelOptions are the kernel stage's load-time settings of cc.
func kernelOptions(cc Configuration) (bpf.Options, error) {
	opts := bpf.DefaultOptions()
	opts.SnapLen = uint32(cc.SnapLen)
	h := cc.Handoff
	opts.SourceBudget, opts.SourceBurst = uint32(h.SourceBudget), uint32(h.SourceBurst)
	opts.FlowPackets, opts.ReportBytes = uint32(h.FlowPackets), uint32(h.ReportBytes)
	opts.FloodPPS, opts.FloodSamples = uint32(h.FloodPPS), uint32(h.FloodSamples)
	opts.FloodTotalPPS, opts.FloodSamplesPPS = uint32(h.FloodTotalPPS), uint32(h.FloodSamplesPPS)
	opts.PreciseTime = !h.CoarseClock
	em, err := bpf.ParseEgressMode(cc.EgressMode)
	if err != nil {
		return opts, err
	}
	opts.EgressMode = em
	opts.RingBytes = uint32(cc.RingBytes)
	opts.Enforce = cc.Enforce
	return opts, nil
}

// openXDP loads the kernel stage, fills its geo tables and attaches it to
// every interface.
func openXDP(cc Configuration, table *geo.Table, kr *Rules, log zerolog.Logger) (*Capture, error) {
	mode, err := bpf.ParseXDPMode(cc.XDPMode)
	if err != nil {
		return nil, err
	}
	opts, err := kernelOptions(cc)
	if err != nil {
		return nil, err
	}
	objs, err := bpf.Load(opts)
	if err != nil {
		return nil, err
	}
	st, err := objs.LoadGeo(bpf.GeoRanges(table))
	if err != nil {
		objs.Close()
		return nil, fmt.Errorf("loading the geo table into the kernel: %w", err)
	}
	log.Info().Int("v4_ranges", st.V4Ranges).Int("v6_prefixes", st.V6Prefixes).Dur("build", st.Build).Dur("write", st.Write).Msg("kernel geo tables loaded")
	x := &Source{objs: objs, name: "xdp:" + strings.Join(cc.Interfaces, ","), th: newThrottle(log, time.Minute), idle: idleReport}
	objs.SetReadDeadline(time.Now().Add(idleReport))
	if err := x.loadRules(kr); err != nil {
		objs.Close()
		return nil, err
	}
	log.Info().Int("listed_prefixes", kr.Listed()).Int("drop_rules", len(kr.Drops())).Bool("enforce", cc.Enforce).Msg("kernel rules loaded")
	x.slots = make(map[uint32]uint16, len(cc.Interfaces))
	for i, ifc := range cc.Interfaces {
		l, err := objs.Attach(ifc, mode, cc.Egress)
		if err != nil {
			x.detach()
			objs.Close()
			return nil, err
		}
		x.links = append(x.links, l)
		if ifi, err := net.InterfaceByName(ifc); err == nil {
			x.slots[uint32(ifi.Index)] = uint16(i)
		}
		x.ifaces = append(x.ifaces, ifc)
	}
	log.Info().Strs("interfaces", cc.Interfaces).Str("xdp_mode", mode.String()).Bool("egress", cc.Egress).Msg("XDP attached")
	return &Capture{Mode: "xdp", Sources: []capture.Source{x}, kernel: x, enforce: cc.Enforce}, nil
}
