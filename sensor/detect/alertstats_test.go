package detect

import (
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// TestAlertFlowDirection checks the episode's counters are written under
// the EVE direction of the packet that fired: a listed server's answer
// (to_client) gives to_client counters, a listed client's request
// (to_server) to_server ones.
func TestAlertFlowDirection(t *testing.T) {
	list, errs := rules.ParseList("bad", "test", []byte("203.0.113.5\n"), rules.FormatPlain)
	if len(errs) != 0 {
		t.Fatalf("list: %v", errs)
	}
	r := &rules.Rule{ID: 6101, Name: "Listed source", Kind: rules.KindReputation, List: list,
		ListSide: rules.SideSrc, Threshold: rules.Threshold{Count: 2, Window: time.Minute}, Suppress: time.Hour}
	h := newHarness(t, []*rules.Rule{r}, Config{})
	// home opens a connection to the listed host, which answers twice.
	h.feed(
		tcpPkt(0, home, ruHost, 40000, 443, synOnly),
		tcpPkt(sec/10, ruHost, home, 443, 40000, synAck),
		withData(tcpPkt(sec/5, ruHost, home, 443, 40000, decode.FlagACK|decode.FlagPSH), 100),
	)
	if len(h.alerts) != 1 {
		t.Fatalf("want one alert, got %d", len(h.alerts))
	}
	a := h.alerts[0]
	if a.Direction != "to_client" || a.Stats.Packets != 2 || a.Stats.Bytes != 220 ||
		a.Stats.ToClientPackets != 2 || a.Stats.ToClientBytes != 220 {
		t.Errorf("direction %s, stats %+v; want to_client with 2 packets, 220 bytes, all to_client", a.Direction, a.Stats)
	}

	// The listed host connects: to_server.
	h = newHarness(t, []*rules.Rule{r}, Config{})
	h.feed(tcpPkt(0, ruHost, home, 40000, 22, synOnly), tcpPkt(sec, ruHost, home, 40001, 22, synOnly))
	if len(h.alerts) != 1 {
		t.Fatalf("want one alert, got %d", len(h.alerts))
	}
	if a := h.alerts[0]; a.Direction != "to_server" || a.Stats.Packets != 2 || a.Stats.ToClientPackets != 0 || a.Stats.ToClientBytes != 0 {
		t.Errorf("direction %s, stats %+v; want to_server, nothing to_client", a.Direction, a.Stats)
	}
}
