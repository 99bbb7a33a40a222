package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
)

// addrRules track a pair (distinct ports), a source (distinct hosts) and a
// destination (packets from 3 distinct sources): the three keys a packet's
// address words build, and the source hash a distinct-source rule counts.
func addrRules() []*rules.Rule {
	th := func(track rules.Track, d rules.Distinct, n uint64) rules.Threshold {
		return rules.Threshold{Count: n, Window: time.Minute, Track: track, Distinct: d}
	}
	return []*rules.Rule{
		{ID: 1, Name: "pair ports", Kind: rules.KindScan, Protos: rules.ProtoTCP, TCPFlags: synNoAck,
			Threshold: th(rules.TrackPair, rules.DistinctDstPort, 5), Suppress: time.Hour},
		{ID: 2, Name: "source hosts", Kind: rules.KindSweep, Protos: rules.ProtoTCP, TCPFlags: synNoAck,
			Threshold: th(rules.TrackSrc, rules.DistinctDstIP, 5), Suppress: time.Hour},
		{ID: 3, Name: "destination sources", Kind: rules.KindFlood, Protos: rules.ProtoTCP, TCPFlags: synNoAck,
			Threshold: rules.Threshold{Count: 10, Window: time.Minute, Track: rules.TrackDst, MinSources: 3}, Suppress: time.Hour},
	}
}

// TestPacketAddressesPerPacket: the address words and source hash the
// engine computes once per packet for all its rules are the packet's own
// (never the previous packet's), and an IPv4-mapped address keys and counts
// as its IPv4 form.
func TestPacketAddressesPerPacket(t *testing.T) {
	type want struct {
		id       uint32
		src, dst netip.Addr
		observed uint64
		sources  uint32
	}
	check := func(t *testing.T, got []*alert.Alert, wants []want) {
		t.Helper()
		if len(got) != len(wants) {
			for _, a := range got {
				t.Logf("alert %d %s -> %s observed %d", a.SignatureID, a.SrcIP, a.DstIP, a.Threshold.Observed)
			}
			t.Fatalf("%d alerts, want %d", len(got), len(wants))
		}
		for i, w := range wants {
			a := got[i]
			if a.SignatureID != w.id || a.SrcIP != w.src || a.DstIP != w.dst || a.Threshold.Observed != w.observed || a.Stats.DistinctSources != w.sources {
				t.Errorf("alert %d: %d %s -> %s observed %d sources %d; want %d %s -> %s observed %d sources %d", i,
					a.SignatureID, a.SrcIP, a.DstIP, a.Threshold.Observed, a.Stats.DistinctSources,
					w.id, w.src, w.dst, w.observed, w.sources)
			}
		}
	}

	t.Run("sources interleaved", func(t *testing.T) {
		// Four sources, each probing 4 ports of home, one packet each in
		// turn: no pair reaches 5 ports and no source 5 hosts; home
		// reaches 10 packets from 4 sources at the 10th.
		h := newHarness(t, addrRules(), Config{})
		srcs := []netip.Addr{v4(198, 51, 100, 1), v4(198, 51, 100, 2), v4(203, 0, 113, 3), v4(203, 0, 113, 4)}
		n := 0
		for port := range uint16(4) {
			for i, s := range srcs {
				n++
				h.feed(tcpPkt(int64(n)*sec/100, s, home, 40000+uint16(i), 100+port, synOnly))
			}
		}
		// The 10th packet: the second source's third port.
		check(t, h.alerts, []want{{id: 3, src: srcs[1], dst: home, observed: 10, sources: 4}})
	})

	t.Run("mapped and plain IPv4", func(t *testing.T) {
		// One source written both ways probes 5 ports of home and 5
		// hosts: one pair key, one source key, one source of home.
		h := newHarness(t, addrRules(), Config{})
		plain := v4(198, 51, 100, 9)
		mapped := netip.AddrFrom16(plain.As16())
		form := func(i int) netip.Addr {
			if i%2 == 0 {
				return plain
			}
			return mapped
		}
		for i := range 5 {
			h.feed(tcpPkt(int64(i+1)*sec, form(i), home, 50000+uint16(i), 200+uint16(i), synOnly))
		}
		for i := range 4 {
			h.feed(tcpPkt(int64(i+10)*sec, form(i+1), v4(192, 0, 2, 30+i), 51000+uint16(i), 22, synOnly))
		}
		check(t, h.alerts, []want{
			{id: 1, src: plain, dst: home, observed: 5}, // the 5th probe is plain (i = 4)
			{id: 2, src: plain, dst: v4(192, 0, 2, 33), observed: 5},
		})
	})
}
