package decode

import (
	"errors"
	"io"
	"maps"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

// TestRealLinkTypes decodes real captures of the link types beside Ethernet
// (testdata/linktypes, sources in its README): every frame tshark shows as
// IP is delivered, with the protocol and the first packet's addresses
// tshark gives (tshark -o ip.defragment:FALSE -T fields -e ip.proto -e
// ipv6.nxt); the rest is non-IP.
func TestRealLinkTypes(t *testing.T) {
	for _, c := range []struct {
		file     string
		frames   uint64
		stats    Stats
		protos   map[uint8]int
		src, dst string // first packet
	}{
		// BSD loopback (DLT_NULL), three DNS queries on 127.0.0.1.
		{"null_zeek.pcap", 3, Stats{Decoded: 3}, map[uint8]int{17: 3}, "127.0.0.1", "127.0.0.1"},
		// 802.11 data frames, bare and under radiotap: DNS over a WLAN.
		{"ieee80211_zeek.pcap", 3, Stats{Decoded: 3}, map[uint8]int{17: 3}, "172.17.156.76", "208.67.220.220"},
		{"radiotap_zeek.pcap", 3, Stats{Decoded: 3}, map[uint8]int{17: 3}, "172.17.156.76", "208.67.220.220"},
		// PPP (one-byte protocol field) with IPv4 fragments of a TCP SYN;
		// the first carries 8 bytes of the 20-byte TCP header (a tiny
		// fragment): truncated, as on any link.
		{"ppp_ipv4_suricata-verify.pcap", 3, Stats{Decoded: 2, Truncated: 1, Fragments: 2}, map[uint8]int{6: 2}, "1.1.1.1", "2.2.2.2"},
		// PPP with IPv6 fragments of TCP.
		{"ppp_ipv6_suricata-verify.pcap", 3, Stats{Decoded: 3, Fragments: 3}, map[uint8]int{6: 3}, "::1", "::1"},
		// PPPoE: 40 discovery and LCP/IPCP frames, 25 IPv6 (4 UDP, 21
		// ICMPv6, 8 of them behind a hop-by-hop header).
		{"pppoe_zeek.pcap", 65, Stats{Decoded: 25, NonIP: 40}, map[uint8]int{17: 4, 58: 21}, "", ""},
		// PPPoE sessions inside 802.1ad QinQ.
		{"pppoe_qinq_zeek.pcap", 86, Stats{Decoded: 86}, map[uint8]int{6: 86}, "1.1.1.1", "2.2.2.2"},
		// FDDI with LLC/SNAP: a DNS exchange over TCP.
		{"fddi_zeek.pcap", 11, Stats{Decoded: 11}, map[uint8]int{6: 11}, "212.180.42.100", "131.243.64.3"},
		// Linux NFLOG: an HTTP connection logged by iptables.
		{"nflog_zeek.pcap", 13, Stats{Decoded: 13}, map[uint8]int{6: 13}, "10.0.2.15", "93.184.216.34"},
		// Cisco HDLC: one HTTP transaction.
		{"chdlc_suricata-verify.pcap", 17, Stats{Decoded: 17}, map[uint8]int{6: 17}, "192.168.2.7", "65.55.116.183"},
	} {
		t.Run(c.file, func(t *testing.T) {
			src, err := capture.OpenFile(filepath.Join("testdata", "linktypes", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			d := NewDecoder()
			protos := map[uint8]int{}
			var f capture.Frame
			var p Packet
			var first *Packet
			for {
				err := src.Next(&f)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if d.Decode(&f, &p) == OK {
					protos[p.Proto]++
					if first == nil {
						q := p
						first = &q
					}
				}
			}
			if n := src.Stats().Frames; n != c.frames {
				t.Errorf("frames %d, want %d", n, c.frames)
			}
			if d.Stats != c.stats {
				t.Errorf("stats %+v, want %+v", d.Stats, c.stats)
			}
			if !maps.Equal(protos, c.protos) {
				t.Errorf("protocols %v, want %v", protos, c.protos)
			}
			if c.src != "" && (first == nil || first.Src != netip.MustParseAddr(c.src) || first.Dst != netip.MustParseAddr(c.dst)) {
				t.Errorf("first packet %+v, want %s → %s", first, c.src, c.dst)
			}
		})
	}
}
