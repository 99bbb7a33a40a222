package decode

import (
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

// fuzzLinks are the link types FuzzDecode tries; the fuzzer's first byte picks one.
var fuzzLinks = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, capture.LinkTypeLinuxSLL2,
	layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeNull, layers.LinkTypeLoop,
	layers.LinkTypePPP, LinkTypePPPSerial, LinkTypePPPoE, LinkTypeCiscoHDLC, LinkTypeIEEE80211, LinkTypeRadiotap,
	LinkTypePPI, linkTypePFLog, layers.LinkTypeFDDI, LinkTypeNFLOG}

// FuzzDecode feeds arbitrary bytes as each link type: the decoder must never
// panic, must classify every frame exactly once, exactly as the parser alone
// does, and a delivered packet must be consistent with its protocol.
func FuzzDecode(f *testing.F) {
	seeds := [][]byte{
		serialize(f, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), syn()),
		serialize(f, eth(layers.EthernetTypeQinQ), ip6(layers.IPProtocolIPv6Fragment), frag6(layers.IPProtocolUDP, 0, true), udp(53, 1)),
		serialize(f, ip6(layers.IPProtocolIPv6HopByHop), ext6(layers.IPProtocolIPv6Routing), ext6(layers.IPProtocolICMPv6)),
		serialize(f, ip4(layers.IPProtocolICMPv4)),
		serialize(f, eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 2, Type: layers.EthernetTypePPPoESession},
			gopacket.Payload(cat(pppoeSession(0x21, 40), serialize(f, ip4(layers.IPProtocolTCP), syn())))),
		cat([]byte{2, 0, 0, 0}, serialize(f, ip4(layers.IPProtocolUDP), udp(1, 2))),
		cat([]byte{0xff, 0x03, 0x00, 0x57}, serialize(f, ip6(layers.IPProtocolTCP), syn())),
		cat(ppiHeader(105, 4), wifiData(true, layers.EthernetTypeIPv4), serialize(f, ip4(layers.IPProtocolTCP), syn())),
		cat([]byte{0, 0, 8, 0, 0, 0, 0, 0}, wifiData(false, layers.EthernetTypeIPv6), serialize(f, ip6(layers.IPProtocolUDP), udp(1, 2))),
	}
	for i, s := range seeds {
		for l := range fuzzLinks {
			f.Add(byte(l), s)
			f.Add(byte(l), s[min(i*7, len(s)):])
		}
	}
	d := NewDecoder()
	pd := NewDecoder() // the parser alone, without the direct walk
	pd.parserOnly = true
	f.Fuzz(func(t *testing.T, link byte, data []byte) {
		lt := fuzzLinks[int(link)%len(fuzzLinks)]
		before := d.Stats
		var p, q Packet
		r := d.DecodeData(data, lt, 1, 0, &p)
		after := d.Stats
		if n := (after.Decoded + after.Skipped()) - (before.Decoded + before.Skipped()); n != 1 {
			t.Fatalf("frame counted %d times", n)
		}
		if rq := pd.DecodeData(data, lt, 1, 0, &q); rq != r || r == OK && q != p || pd.Stats != d.Stats {
			t.Fatalf("the direct walk gives %v %+v %+v, the parser alone %v %+v %+v", r, p, d.Stats, rq, q, pd.Stats)
		}
		if r != OK {
			return
		}
		if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() {
			t.Fatalf("bad addresses %v %v", p.Src, p.Dst)
		}
		if p.Proto != ProtoTCP && p.TCPFlags != 0 {
			t.Fatalf("tcp flags on protocol %d", p.Proto)
		}
		if p.Fragment && !p.FirstFragment && (p.SrcPort != 0 || p.DstPort != 0) {
			t.Fatalf("ports on a later fragment: %+v", p)
		}
		if int(p.WireLen) != len(data) {
			t.Fatalf("wire length %d for %d bytes", p.WireLen, len(data))
		}
	})
}
