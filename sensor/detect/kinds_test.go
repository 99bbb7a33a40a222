package detect

import (
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// TestKindConds: every kind has its condition, and a rule that sets no
// track takes the kind's default from rules.KindSpec (the engine once had
// its own table, which disagreed for scan and bruteforce).
func TestKindConds(t *testing.T) {
	for _, k := range rules.Kinds {
		if int(k) >= len(kindConds) || kindConds[k] == nil {
			t.Errorf("kind %s has no condition in kindConds", k)
		}
		rs := newRuleState(&rules.Rule{ID: 1, Kind: k}, Config{})
		if rs.track != k.DefaultTrack() || rs.track == 0 {
			t.Errorf("kind %s: default track %s, rules.KindSpec says %s", k, rs.track, k.DefaultTrack())
		}
	}
	for k, want := range map[rules.Kind]rules.Track{rules.KindScan: rules.TrackPair, rules.KindBruteforce: rules.TrackSrc} {
		if got := newRuleState(&rules.Rule{ID: 1, Kind: k}, Config{}).track; got != want {
			t.Errorf("kind %s: default track %s, want %s", k, got, want)
		}
	}
	if rs := newRuleState(&rules.Rule{ID: 1, Kind: rules.Kind(200)}, Config{}); rs.cond(rs, tcpPkt(0, cnHost, home, 1, 2, synOnly), flow.Result{}) {
		t.Errorf("a rule of an unknown kind matched")
	}
}

// ackOnly is the flags of an ACK or Window scan probe (nmap -sA, -sW).
const ackOnly = decode.FlagACK

func ackScanRule() *rules.Rule {
	return &rules.Rule{ID: 1004, Name: "ACK scan", Kind: rules.KindScan, Protos: rules.ProtoTCP,
		TCPFlags:    []rules.FlagMatch{{Mask: 0x3f, Value: decode.FlagACK}},
		Unsolicited: true,
		Threshold:   rules.Threshold{Count: 15, Window: 5 * time.Minute, Track: rules.TrackPair, Distinct: rules.DistinctDstPort},
		Suppress:    time.Hour}
}

func TestAckScan(t *testing.T) {
	ms := int64(time.Millisecond)
	t.Run("lone ACKs to many ports fire once", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{ackScanRule()}, Config{})
		for i := range 1000 {
			ts := sec + int64(i)*ms
			h.feed(tcpPkt(ts, cnHost, home, 41000, uint16(1+i), ackOnly))
			h.feed(tcpPkt(ts+ms/2, home, cnHost, uint16(1+i), 41000, decode.FlagRST)) // the answer
		}
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		if a.SrcIP != cnHost || a.DstIP != home || a.Stats.DistinctPorts != 15 || a.DstPort != 15 || a.Threshold.Distinct != "dst_port" {
			t.Errorf("alert %v→%v port %d distinct ports %d (%s)", a.SrcIP, a.DstIP, a.DstPort, a.Stats.DistinctPorts, a.Threshold.Distinct)
		}
		if st := h.eng.Stats(); st.Suppressed == 0 {
			t.Errorf("the rest of the scan was not counted as suppressed")
		}
	})
	t.Run("ACKs of known connections do not count", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{ackScanRule()}, Config{})
		// A client with 40 connections to 40 ports of one server abroad:
		// handshake, then ACKs.
		for i := range 40 {
			ts := sec + int64(i)*10*ms
			p := uint16(8000 + i)
			h.feed(tcpPkt(ts, home, cnHost, 50000, p, synOnly))
			h.feed(tcpPkt(ts+ms, cnHost, home, p, 50000, synAck))
			h.feed(tcpPkt(ts+2*ms, home, cnHost, 50000, p, ackOnly))
			h.feed(tcpPkt(ts+3*ms, home, cnHost, 50000, p, ackOnly))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts for ACKs of known connections, want 0", len(h.alerts))
		}
	})
}

func TestProtocolScan(t *testing.T) {
	r := &rules.Rule{ID: 1005, Name: "IP protocol scan", Kind: rules.KindScan,
		Threshold: rules.Threshold{Count: 10, Window: 5 * time.Minute, Track: rules.TrackPair, Distinct: rules.DistinctIPProto},
		Suppress:  time.Hour}
	h := newHarness(t, []*rules.Rule{r}, Config{})
	// nmap -sO: one packet per protocol number, some twice.
	for i := range 256 {
		p := &decode.Packet{Timestamp: sec + int64(i)*int64(time.Millisecond), Src: cnHost, Dst: home, Proto: uint8(i), IPLen: 20}
		h.feed(p, p)
	}
	if len(h.alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(h.alerts))
	}
	a := h.alerts[0]
	if a.Proto != 9 || a.Threshold.Distinct != "ip_proto" || a.Threshold.Observed != 10 || a.Stats.Packets != 19 {
		t.Errorf("alert proto %d distinct %q observed %d packets %d", a.Proto, a.Threshold.Distinct, a.Threshold.Observed, a.Stats.Packets)
	}
	// A host pair with TCP, UDP, ICMP, GRE and ESP: five protocols.
	h = newHarness(t, []*rules.Rule{r}, Config{})
	for i, proto := range []uint8{6, 17, 1, 47, 50, 6, 17} {
		h.feed(&decode.Packet{Timestamp: sec + int64(i), Src: cnHost, Dst: home, Proto: proto, SrcPort: 1000, DstPort: 2000, IPLen: 40})
	}
	if len(h.alerts) != 0 {
		t.Errorf("%d alerts for five protocols, want 0", len(h.alerts))
	}
}
