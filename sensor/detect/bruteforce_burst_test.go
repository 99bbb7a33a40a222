package detect

import (
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// oneHostRule is the default pack's 8100405: a home host guessing passwords
// on one SSH server abroad, 40 connections in a minute or 14 within a second.
func oneHostRule() *rules.Rule {
	return &rules.Rule{ID: 8100405, Name: "outbound guessing against one host", Kind: rules.KindBruteforce,
		Protos: rules.ProtoTCP, DstPorts: ports(22),
		Threshold: rules.Threshold{Count: 40, Window: time.Minute, Track: rules.TrackPair,
			Burst: 14, BurstWindow: time.Second},
		Suppress: time.Hour}
}

// login is one SSH connection from home to cnHost that sends data, at t0.
func login(t0 int64, sp uint16) []*decode.Packet {
	return []*decode.Packet{
		tcpPkt(t0, home, cnHost, sp, 22, synOnly),
		tcpPkt(t0+1, cnHost, home, 22, sp, synAck),
		tcpPkt(t0+2, home, cnHost, sp, 22, decode.FlagACK),
		withData(tcpPkt(t0+3, home, cnHost, sp, 22, decode.FlagACK|decode.FlagPSH), 21),
		withData(tcpPkt(t0+4, cnHost, home, 22, sp, decode.FlagACK|decode.FlagPSH), 21),
		tcpPkt(t0+5, home, cnHost, sp, 22, decode.FlagFIN|decode.FlagACK),
	}
}

// rounds feeds n rounds of k parallel logins (1 ms apart), one round every
// gap: hydra's 16 tasks every 32 s.
func rounds(h *harness, n, k int, gap time.Duration) {
	sp := uint16(40000)
	for r := range n {
		t0 := sec + int64(r)*int64(gap)
		for i := range k {
			h.feed(login(t0+int64(i)*int64(time.Millisecond), sp)...)
			sp++
		}
	}
}

func TestBruteforceBurst(t *testing.T) {
	t.Run("parallel rounds fire once, on the burst", func(t *testing.T) {
		// 3 rounds of 16 every 32 s: at most 32 a minute, under 40.
		h := newHarness(t, []*rules.Rule{oneHostRule()}, Config{})
		rounds(h, 3, 16, 32*time.Second)
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		if a.Stats.Packets != 14 || a.Threshold.Observed != 14 || a.Threshold.Count != 14 || a.Threshold.Window != 1 {
			t.Errorf("alert packets %d observed %d threshold %d in %gs", a.Stats.Packets, a.Threshold.Observed, a.Threshold.Count, a.Threshold.Window)
		}
		if a.SrcIP != home || a.DstIP != cnHost || a.DstPort != 22 {
			t.Errorf("alert %v:%d -> %v:%d", a.SrcIP, a.SrcPort, a.DstIP, a.DstPort)
		}
	})
	t.Run("without burst the same rounds raise nothing", func(t *testing.T) {
		r := oneHostRule()
		r.Threshold.Burst, r.Threshold.BurstWindow = 0, 0
		h := newHarness(t, []*rules.Rule{r}, Config{})
		rounds(h, 3, 16, 32*time.Second)
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts, want 0", len(h.alerts))
		}
	})
	t.Run("sequential sessions every 2 s raise nothing", func(t *testing.T) {
		// 30 logins, one every 2 s: 30 a minute, 1 a second.
		h := newHarness(t, []*rules.Rule{oneHostRule()}, Config{})
		rounds(h, 30, 1, 2*time.Second)
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts, want 0", len(h.alerts))
		}
	})
	t.Run("fast sequential guessing fires on the minute", func(t *testing.T) {
		// One login every 500 ms: 2 a second, 40 within 19.5 s.
		h := newHarness(t, []*rules.Rule{oneHostRule()}, Config{})
		rounds(h, 60, 1, 500*time.Millisecond)
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		if a := h.alerts[0]; a.Threshold.Count != 40 || a.Threshold.Window != 60 || a.Stats.Packets != 40 {
			t.Errorf("alert threshold %d in %gs, packets %d", a.Threshold.Count, a.Threshold.Window, a.Stats.Packets)
		}
	})
}
