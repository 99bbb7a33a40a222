package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// TestReputationIgnoresNeighborDiscovery: ICMPv6 ND between the gateway and a
// listed neighbour is housekeeping; an echo from the same address alerts.
func TestReputationIgnoresNeighborDiscovery(t *testing.T) {
	list, errs := rules.ParseList("bad", "test", []byte("2001:db8:2::66\n"), rules.FormatPlain)
	if len(errs) != 0 {
		t.Fatalf("list: %v", errs)
	}
	r := &rules.Rule{ID: 6101, Name: "Listed", Kind: rules.KindReputation, List: list, Suppress: time.Minute}
	h := newHarness(t, []*rules.Rule{r}, Config{})
	bad := netip.MustParseAddr("2001:db8:2::66")
	gw := netip.MustParseAddr("fe80::1")
	v6 := func(ts int64, src, dst netip.Addr, typ uint8) *decode.Packet {
		return &decode.Packet{Timestamp: ts, Src: src, Dst: dst, Proto: decode.ProtoICMPv6, ICMPType: typ, IPLen: 72, WireLen: 86}
	}
	for i, typ := range []uint8{133, 134, 135, 136, 137} {
		h.feed(v6(int64(i)*sec, bad, gw, typ), v6(int64(i)*sec+1, gw, bad, typ))
	}
	if len(h.alerts) != 0 {
		t.Fatalf("%d alerts for neighbour discovery, want 0", len(h.alerts))
	}
	h.feed(v6(10*sec, bad, netip.MustParseAddr("2001:db8:de::10"), 128)) // echo request
	if len(h.alerts) != 1 || h.alerts[0].SrcIP != bad || h.alerts[0].SignatureID != 6101 {
		t.Fatalf("alerts %+v, want one for the echo from %v", h.alerts, bad)
	}
}
