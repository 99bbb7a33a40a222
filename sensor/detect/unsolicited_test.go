package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// backscatterRule counts SYN-ACKs nobody at the destination asked for.
func backscatterRule() *rules.Rule {
	return &rules.Rule{ID: 3005, Name: "TCP reflection", Kind: rules.KindFlood,
		Protos: rules.ProtoTCP, TCPFlags: []rules.FlagMatch{{Mask: decode.FlagSYN | decode.FlagACK, Value: decode.FlagSYN | decode.FlagACK}},
		Unsolicited: true,
		Threshold:   rules.Threshold{Count: 100, Window: time.Second, Track: rules.TrackDst, MinSources: 10},
		Suppress:    time.Minute, Severity: 2}
}

func TestUnsolicitedFlood(t *testing.T) {
	ms := int64(time.Millisecond)
	t.Run("backscatter fires", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{backscatterRule()}, Config{})
		for i := range 150 {
			h.feed(tcpPkt(sec+int64(i)*ms, v4(198, 51, 100, i%50), home, 80, uint16(2000+i), synAck))
		}
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		if a.SignatureID != 3005 || a.DstIP != home || a.Stats.Packets != 100 || a.Stats.DistinctSources != 50 || a.GeoDir != "inbound" {
			t.Errorf("alert sid %d dst %v packets %d sources %d dir %s", a.SignatureID, a.DstIP, a.Stats.Packets, a.Stats.DistinctSources, a.GeoDir)
		}
	})
	t.Run("answers to the destination's own SYNs do not count", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{backscatterRule()}, Config{})
		// A busy home client: 300 connections to 50 servers abroad, each
		// SYN answered by a SYN-ACK within 1 ms.
		for i := range 300 {
			ts := sec + int64(i)*ms
			server := v4(198, 51, 100, i%50)
			h.feed(tcpPkt(ts, home, server, uint16(2000+i), 443, synOnly))
			h.feed(tcpPkt(ts+ms/2, server, home, 443, uint16(2000+i), synAck))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts for solicited SYN-ACKs, want 0", len(h.alerts))
		}
	})
}

// fewReflectorsRule is the default pack's few-reflector bar: 1 MB of
// unsolicited UDP from service ports of 3 sources within a minute.
func fewReflectorsRule() *rules.Rule {
	return &rules.Rule{ID: 3006, Name: "reflection from any service", Kind: rules.KindAmplification,
		Protos: rules.ProtoUDP, SrcPorts: ports(20001, 20002, 20003, 27015),
		Threshold: rules.Threshold{Count: 5000, Bytes: 1_000_000, Window: time.Minute, Track: rules.TrackDst, MinSources: 3},
		Suppress:  time.Minute, Severity: 2}
}

// TestAmplificationUnanswered: reflection's victim never answers; a home
// UDP service answers its clients, and those flows are no reflection
// however much they carry.
func TestAmplificationUnanswered(t *testing.T) {
	ms := int64(time.Millisecond)
	srcs := []netip.Addr{cnHost, ruHost, frHost}
	t.Run("three reflectors, 1 MB, fires", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{fewReflectorsRule()}, Config{})
		for i := range 900 {
			h.feed(udpPkt(sec+int64(i)*ms, srcs[i%3], home, 27015, 40000, 1228))
		}
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		if a.SignatureID != 3006 || a.DstIP != home || a.Stats.Packets != 815 || a.Stats.DistinctSources != 3 {
			t.Errorf("alert sid %d dst %v packets %d sources %d", a.SignatureID, a.DstIP, a.Stats.Packets, a.Stats.DistinctSources)
		}
	})
	t.Run("a home service answering three clients does not fire", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{fewReflectorsRule()}, Config{})
		// Clients behind NAT on ports below 32768 send 1.1 MB to a home
		// VPN server on 51820, which answers each datagram.
		for i := range 900 {
			ts := sec + int64(i)*ms
			c, port := srcs[i%3], uint16(20001+i%3)
			h.feed(udpPkt(ts, c, home, port, 51820, 1228))
			h.feed(udpPkt(ts+ms/2, home, c, 51820, port, 100))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts for an answered home service, want 0", len(h.alerts))
		}
	})
}
