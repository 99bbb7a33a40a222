package detect

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

func scanRule() *rules.Rule {
	return &rules.Rule{
		ID: 1001, Rev: 2, Name: "TCP SYN scan from abroad", Kind: rules.KindScan,
		Protos:    rules.ProtoTCP,
		TCPFlags:  synNoAck,
		Threshold: rules.Threshold{Count: 20, Window: 60 * time.Second, Track: rules.TrackSrc, Distinct: rules.DistinctDstPort},
		Suppress:  300 * time.Second, Severity: 2, Category: "Attempted Information Leak",
		Mitre: []string{"T1046"},
	}
}

// synScan returns SYN probes from src to dst on ports first..first+n-1, one
// every 10 ms from t0.
func synScan(t0 int64, src, dst netip.Addr, first, n int) []*decode.Packet {
	var ps []*decode.Packet
	for i := range n {
		ps = append(ps, tcpPkt(t0+int64(i)*int64(10*time.Millisecond), src, dst, 40000, uint16(first+i), synOnly))
	}
	return ps
}

func TestScanAlertFields(t *testing.T) {
	h := newHarness(t, []*rules.Rule{scanRule()}, Config{})
	ps := synScan(10*sec, cnHost, home, 1, 25)
	h.feed(ps...)
	if len(h.alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(h.alerts))
	}
	a := h.alerts[0]
	p := ps[19] // the 20th distinct port crosses the threshold
	want := &alert.Alert{
		Timestamp:   p.Timestamp,
		FlowID:      a.FlowID,
		CommunityID: flow.CommunityID(cnHost, home, 40000, 20, 6, 0),
		SrcIP:       cnHost, SrcPort: 40000, DstIP: home, DstPort: 20, Proto: 6,
		Direction: "to_server", GeoDir: "inbound",
		Action: "allowed", GID: 1, SignatureID: 1001, Rev: 2, Signature: "TCP SYN scan from abroad",
		Category: "Attempted Information Leak", Severity: 2, Kind: "scan", Mitre: []string{"T1046"},
		Stats: alert.Stats{Packets: 20, Bytes: 20 * 60, DistinctPorts: 20,
			FirstSeen: ps[0].Timestamp, LastSeen: p.Timestamp},
		Threshold: alert.Threshold{Track: "src", Distinct: "dst_port", Count: 20, Window: 60, Observed: 20},
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("alert\n got %+v\nwant %+v", *a, *want)
	}
	k, _ := flow.KeyOf(p)
	if a.FlowID != k.ID() || a.FlowID == 0 {
		t.Errorf("flow id %d, want %d", a.FlowID, k.ID())
	}
	if h.infos[0][0].Country.String() != "CN" || h.infos[0][1].Country.String() != "DE" {
		t.Errorf("emit got geo infos %+v", h.infos[0])
	}
}

func TestScanCases(t *testing.T) {
	stealth := func() *rules.Rule {
		r := scanRule()
		r.ID = 1002
		r.TCPFlags = []rules.FlagMatch{
			{Mask: 0x3f, Value: 0},                                                // NULL
			{Mask: 0x3f, Value: decode.FlagFIN},                                   // FIN
			{Mask: 0x3f, Value: decode.FlagFIN | decode.FlagPSH | decode.FlagURG}, // Xmas
			{Mask: 0x3f, Value: decode.FlagFIN | decode.FlagACK},                  // Maimon
		}
		return r
	}
	anyFlags := func() *rules.Rule { r := scanRule(); r.TCPFlags = nil; return r }
	udpScan := func() *rules.Rule {
		r := scanRule()
		r.ID, r.Protos, r.TCPFlags = 1003, rules.ProtoUDP, nil
		return r
	}
	probes := func(flags uint8, n int) []*decode.Packet {
		var ps []*decode.Packet
		for i := range n {
			ps = append(ps, tcpPkt(sec+int64(i), cnHost, home, 50000, uint16(100+i), flags))
		}
		return ps
	}
	cases := []struct {
		name    string
		rule    *rules.Rule
		packets func() []*decode.Packet
		alerts  int
		sid     uint32
	}{
		{"syn scan", scanRule(), func() []*decode.Packet { return synScan(0, cnHost, home, 1000, 30) }, 1, 1001},
		{"xmas scan", stealth(), func() []*decode.Packet {
			return probes(decode.FlagFIN|decode.FlagPSH|decode.FlagURG, 20)
		}, 1, 1002},
		{"null scan", stealth(), func() []*decode.Packet { return probes(0, 20) }, 1, 1002},
		{"maimon scan", stealth(), func() []*decode.Packet { return probes(decode.FlagFIN|decode.FlagACK, 20) }, 1, 1002},
		{"syn probes do not match the stealth rule", stealth(), func() []*decode.Packet { return probes(synOnly, 40) }, 0, 0},
		{"udp scan", udpScan(), func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 20 {
				ps = append(ps, udpPkt(sec, ruHost, home, 53000, uint16(1+i), 28))
			}
			return ps
		}, 1, 1003},
		{"19 ports stay below the threshold", scanRule(), func() []*decode.Packet { return synScan(0, cnHost, home, 1, 19) }, 0, 0},
		{"syn-ack backscatter is not a scan, even with any flags", anyFlags(), func() []*decode.Packet {
			// A reflector answering spoofed SYNs: SYN-ACKs from port 80 to many ports.
			var ps []*decode.Packet
			for i := range 200 {
				ps = append(ps, tcpPkt(sec+int64(i), ruHost, home, 80, uint16(1024+i), synAck))
			}
			return ps
		}, 0, 0},
		{"rst answers of a scanned host are not a scan", anyFlags(), func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 50 {
				ps = append(ps, tcpPkt(sec+int64(i), home, cnHost, uint16(1+i), 40000, decode.FlagRST|decode.FlagACK))
			}
			return ps
		}, 0, 0},
		{"benign client: many connections to one port", anyFlags(), func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 100 {
				sp := uint16(40000 + i)
				ps = append(ps,
					tcpPkt(sec+int64(i), home, cnHost, sp, 443, synOnly),
					tcpPkt(sec+int64(i)+1, cnHost, home, 443, sp, synAck),
					tcpPkt(sec+int64(i)+2, home, cnHost, sp, 443, decode.FlagACK))
			}
			return ps
		}, 0, 0},
		{"spoofed flood: at most 2 packets per source", scanRule(), func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 5000 {
				src := spoofedV6(uint32(i))
				ps = append(ps, tcpPkt(sec+int64(i), src, home, uint16(i), 25565, synOnly),
					tcpPkt(sec+int64(i)+1, src, home, uint16(i), 25566, synOnly))
			}
			return ps
		}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, []*rules.Rule{c.rule}, Config{})
			h.feed(c.packets()...)
			if len(h.alerts) != c.alerts {
				t.Fatalf("%d alerts, want %d", len(h.alerts), c.alerts)
			}
			if c.alerts > 0 && (h.alerts[0].SignatureID != c.sid || h.alerts[0].Stats.DistinctPorts != 20 || h.alerts[0].Kind != "scan") {
				t.Errorf("alert sid %d kind %s distinct ports %d", h.alerts[0].SignatureID, h.alerts[0].Kind, h.alerts[0].Stats.DistinctPorts)
			}
		})
	}
}

func TestWindowExpiresByCaptureTime(t *testing.T) {
	r := scanRule()
	r.Threshold.Count = 15
	h := newHarness(t, []*rules.Rule{r}, Config{})
	h.feed(synScan(0, cnHost, home, 1, 10)...)        // 10 ports in [0, 0.1 s)
	h.feed(synScan(70*sec, cnHost, home, 100, 10)...) // 10 more, 70 s later: a new window
	if len(h.alerts) != 0 {
		t.Fatalf("%d alerts across two windows, want 0", len(h.alerts))
	}
	h.feed(synScan(71*sec, cnHost, home, 200, 5)...) // 15 within the second window
	if len(h.alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(h.alerts))
	}
	if s := h.alerts[0].Stats; s.FirstSeen != 70*sec || s.DistinctPorts != 15 || s.Packets != 15 {
		t.Errorf("stats %+v", s)
	}
	// Wall time plays no part: Advance far in capture time drops the key.
	h.eng.Advance(1000 * sec)
	if st := h.eng.Stats().Rules[0]; st.Keys != 0 || st.KeysExpired != 1 || st.Distinct != 0 {
		t.Errorf("after Advance: %+v", st)
	}
}

func TestSuppression(t *testing.T) {
	h := newHarness(t, []*rules.Rule{scanRule()}, Config{}) // 20 ports, suppress 300 s
	h.feed(synScan(0, cnHost, home, 1, 60)...)              // three crossings: 1 alert, 2 suppressed
	if len(h.alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(h.alerts))
	}
	h.feed(synScan(200*sec, cnHost, home, 1000, 20)...) // still within 300 s: suppressed
	if len(h.alerts) != 1 {
		t.Fatalf("%d alerts within the suppression period, want 1", len(h.alerts))
	}
	h.feed(synScan(400*sec, cnHost, home, 2000, 20)...)
	if len(h.alerts) != 2 {
		t.Fatalf("%d alerts, want 2", len(h.alerts))
	}
	if got := h.alerts[1].Stats.Suppressed; got != 3 {
		t.Errorf("second alert Suppressed = %d, want 3", got)
	}
	if got := h.alerts[0].Stats.Suppressed; got != 0 {
		t.Errorf("first alert Suppressed = %d, want 0", got)
	}
	st := h.eng.Stats()
	if st.Alerts != 2 || st.Suppressed != 3 || st.Rules[0].Alerts != 2 || st.Rules[0].Suppressed != 3 {
		t.Errorf("stats %+v", st)
	}
	// Another source is another key: not suppressed.
	h.feed(synScan(401*sec, ruHost, home, 1, 20)...)
	if len(h.alerts) != 3 || h.alerts[2].SrcIP != ruHost {
		t.Errorf("%d alerts, want a third one from %v", len(h.alerts), ruHost)
	}
}

func TestSweep(t *testing.T) {
	ping := &rules.Rule{ID: 2001, Name: "ICMP ping sweep", Kind: rules.KindSweep,
		Protos: rules.ProtoICMP, ICMPTypes: []uint8{8},
		Threshold: rules.Threshold{Count: 25, Window: 30 * time.Second, Track: rules.TrackSrc, Distinct: rules.DistinctDstIP}}
	ssh := &rules.Rule{ID: 2002, Name: "SSH sweep", Kind: rules.KindSweep,
		Protos: rules.ProtoTCP, TCPFlags: synNoAck, DstPorts: ports(22),
		Threshold: rules.Threshold{Count: 10, Window: 30 * time.Second, Distinct: rules.DistinctDstIP}}
	cases := []struct {
		name    string
		packets func() []*decode.Packet
		want    []uint32 // signature ids
		hosts   uint32
	}{
		{"ping sweep of a /24", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 40 {
				ps = append(ps, icmpPkt(sec+int64(i), ruHost, v4(192, 0, 2, 1+i), 8, 7))
			}
			return ps
		}, []uint32{2001}, 25},
		{"ssh sweep", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 10 {
				ps = append(ps, tcpPkt(sec+int64(i), cnHost, v4(192, 0, 2, 1+i), 40000, 22, synOnly))
			}
			return ps
		}, []uint32{2002}, 10},
		{"echo replies are not a sweep", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 40 {
				ps = append(ps, icmpPkt(sec+int64(i), ruHost, v4(192, 0, 2, 1+i), 0, 7))
			}
			return ps
		}, nil, 0},
		{"one host pinged often", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 100 {
				ps = append(ps, icmpPkt(sec+int64(i), ruHost, home, 8, uint16(i)))
			}
			return ps
		}, nil, 0},
		{"ssh to 10 hosts on another port", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 10 {
				ps = append(ps, tcpPkt(sec+int64(i), cnHost, v4(192, 0, 2, 1+i), 40000, 2222, synOnly))
			}
			return ps
		}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, []*rules.Rule{ping, ssh}, Config{})
			h.feed(c.packets()...)
			var got []uint32
			for _, a := range h.alerts {
				got = append(got, a.SignatureID)
				if a.Stats.DistinctHosts != c.hosts || a.Threshold.Distinct != "dst_ip" || a.Kind != "sweep" || a.GeoDir != "inbound" {
					t.Errorf("alert %+v", *a)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("alerts %v, want %v", got, c.want)
			}
		})
	}
	// The ICMP alert carries type and code, not ports.
	h := newHarness(t, []*rules.Rule{ping}, Config{})
	for i := range 25 {
		h.feed(icmpPkt(sec, ruHost, v4(192, 0, 2, 1+i), 8, 7))
	}
	if len(h.alerts) != 1 {
		t.Fatalf("%d alerts", len(h.alerts))
	}
	a := h.alerts[0]
	if a.ICMPType != 8 || a.SrcPort != 0 || a.DstIP != v4(192, 0, 2, 25) ||
		a.CommunityID != flow.CommunityID(ruHost, v4(192, 0, 2, 25), 8, 0, 1, 0) {
		t.Errorf("icmp alert %+v", *a)
	}
}

func floodRule() *rules.Rule {
	return &rules.Rule{ID: 3001, Name: "SYN flood", Kind: rules.KindFlood,
		Protos: rules.ProtoTCP, TCPFlags: synNoAck,
		Threshold: rules.Threshold{Count: 100, Window: time.Second, Track: rules.TrackDst, MinSources: 10},
		Suppress:  60 * time.Second, Severity: 1, Category: "Attempted Denial of Service"}
}

func TestFlood(t *testing.T) {
	t.Run("spoofed sources from two countries", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{floodRule()}, Config{})
		var ps []*decode.Packet
		// 60 CN and 40 RU sources, one SYN each, 1 ms apart; then more.
		for i := range 150 {
			src := v4(198, 51, 100, i%60)
			if i%5 >= 3 {
				src = v4(203, 0, 113, i%40)
			}
			ps = append(ps, tcpPkt(sec+int64(i)*int64(time.Millisecond), src, home, uint16(1024+i), 80, synOnly))
		}
		h.feed(ps...)
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		last := ps[99]
		if a.DstIP != home || a.DstPort != 80 || a.SrcIP != last.Src || a.Timestamp != last.Timestamp || a.Kind != "flood" || a.GeoDir != "inbound" {
			t.Errorf("alert endpoints %v:%d -> %v:%d at %d", a.SrcIP, a.SrcPort, a.DstIP, a.DstPort, a.Timestamp)
		}
		// Packets 0..99: i%5 in {0,1,2} CN (60 packets), {3,4} RU (40 packets).
		// Distinct: CN i%60 over i with i%5<3 → 60 values; RU i%40 over i%5>=3 → 40 values.
		wantStats := alert.Stats{Packets: 100, Bytes: 6000, DistinctSources: distinctSources(ps[:100]),
			FirstSeen: ps[0].Timestamp, LastSeen: last.Timestamp,
			TopSources: []alert.CountryCount{{Country: "CN", Packets: 60}, {Country: "RU", Packets: 40}}}
		if !reflect.DeepEqual(a.Stats, wantStats) {
			t.Errorf("stats\n got %+v\nwant %+v", a.Stats, wantStats)
		}
		wantTh := alert.Threshold{Track: "dst", Count: 100, Window: 1, Observed: 100}
		if a.Threshold != wantTh {
			t.Errorf("threshold %+v, want %+v", a.Threshold, wantTh)
		}
	})
	t.Run("one source below min sources", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{floodRule()}, Config{})
		for i := range 500 {
			h.feed(tcpPkt(sec+int64(i)*int64(time.Millisecond), cnHost, home, uint16(i), 80, synOnly))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts from a single source, want 0 (MinSources 10)", len(h.alerts))
		}
	})
	t.Run("rate below threshold", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{floodRule()}, Config{})
		for i := range 500 { // 50 per second
			h.feed(tcpPkt(sec+int64(i)*int64(20*time.Millisecond), v4(198, 51, 100, i%200), home, uint16(i), 80, synOnly))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts at 50 pps, want 0", len(h.alerts))
		}
	})
	t.Run("byte rate", func(t *testing.T) {
		r := &rules.Rule{ID: 3002, Name: "UDP flood", Kind: rules.KindFlood, Protos: rules.ProtoUDP,
			Threshold: rules.Threshold{Bytes: 1_000_000, Window: time.Second}}
		h := newHarness(t, []*rules.Rule{r}, Config{})
		for i := range 1000 {
			h.feed(udpPkt(sec+int64(i)*int64(time.Millisecond), v4(203, 0, 113, i%7), home, 5000, 9999, 1500))
		}
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		if a.Threshold.Observed != 1_000_500 || a.Stats.Packets != 667 || a.Stats.DistinctSources != 7 ||
			!reflect.DeepEqual(a.Stats.TopSources, []alert.CountryCount{{Country: "RU", Packets: 667}}) {
			t.Errorf("threshold %+v stats %+v", a.Threshold, a.Stats)
		}
	})
}

func distinctSources(ps []*decode.Packet) uint32 {
	m := map[netip.Addr]bool{}
	for _, p := range ps {
		m[p.Src] = true
	}
	return uint32(len(m))
}

func TestBruteforce(t *testing.T) {
	r := &rules.Rule{ID: 4001, Name: "SSH brute force", Kind: rules.KindBruteforce,
		Protos: rules.ProtoTCP, DstPorts: ports(22),
		Threshold: rules.Threshold{Count: 10, Window: 60 * time.Second, Track: rules.TrackPair}}
	session := func(t0 int64, sp uint16) []*decode.Packet {
		return []*decode.Packet{
			tcpPkt(t0, cnHost, home, sp, 22, synOnly),
			tcpPkt(t0+1, home, cnHost, 22, sp, synAck),
			tcpPkt(t0+2, cnHost, home, sp, 22, decode.FlagACK),
			withData(tcpPkt(t0+3, cnHost, home, sp, 22, decode.FlagACK|decode.FlagPSH), 21),
			withData(tcpPkt(t0+4, home, cnHost, 22, sp, decode.FlagACK|decode.FlagPSH), 21),
			withData(tcpPkt(t0+5, cnHost, home, sp, 22, decode.FlagACK|decode.FlagPSH), 300),
			tcpPkt(t0+5, cnHost, home, sp, 22, decode.FlagFIN|decode.FlagACK),
			tcpPkt(t0+6, home, cnHost, 22, sp, decode.FlagFIN|decode.FlagACK),
		}
	}
	cases := []struct {
		name    string
		packets func() []*decode.Packet
		alerts  int
	}{
		{"12 logins in 60 s", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 12 {
				ps = append(ps, session(sec+int64(i)*4*sec, uint16(50000+i))...)
			}
			return ps
		}, 1},
		{"12 logins, first data segment retransmitted", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 12 {
				t0 := sec + int64(i)*4*sec
				ps = append(ps, session(t0, uint16(50000+i))...)
				ps = append(ps, withData(tcpPkt(t0+7, cnHost, home, uint16(50000+i), 22, decode.FlagACK|decode.FlagPSH), 21))
			}
			return ps
		}, 1},
		{"20 port checks: handshake and close without data", func() []*decode.Packet {
			// amp_dns_rrsig_stopddos.pcap: a monitor connects to SSH once a
			// second and closes without sending a byte.
			var ps []*decode.Packet
			for i := range 20 {
				t0 := sec + int64(i)*sec
				sp := uint16(50000 + i)
				ps = append(ps,
					tcpPkt(t0, cnHost, home, sp, 22, synOnly),
					tcpPkt(t0+1, home, cnHost, 22, sp, synAck),
					tcpPkt(t0+2, cnHost, home, sp, 22, decode.FlagACK),
					tcpPkt(t0+3, cnHost, home, sp, 22, decode.FlagFIN|decode.FlagACK),
					tcpPkt(t0+4, cnHost, home, sp, 22, decode.FlagRST|decode.FlagACK))
			}
			return ps
		}, 0},
		{"data without the connection's SYN (picked up mid-stream)", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 12 {
				ps = append(ps, withData(tcpPkt(sec+int64(i)*sec, cnHost, home, uint16(50000+i), 22, decode.FlagACK|decode.FlagPSH), 48))
			}
			return ps
		}, 0},
		{"one long session", func() []*decode.Packet {
			ps := session(sec, 50000)
			for i := range 200 {
				ps = append(ps, tcpPkt(2*sec+int64(i), cnHost, home, 50000, 22, decode.FlagACK|decode.FlagPSH))
			}
			return ps
		}, 0},
		{"retransmitted SYNs of one connection", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 20 {
				ps = append(ps, tcpPkt(sec+int64(i)*sec, cnHost, home, 50000, 22, synOnly))
			}
			return ps
		}, 0},
		{"9 logins", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 9 {
				ps = append(ps, session(sec+int64(i)*sec, uint16(50000+i))...)
			}
			return ps
		}, 0},
		{"12 logins spread over 10 minutes", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 12 {
				ps = append(ps, session(sec+int64(i)*50*sec, uint16(50000+i))...)
			}
			return ps
		}, 0},
		{"spoofed syn flood on port 22: 2 SYNs per source", func() []*decode.Packet {
			var ps []*decode.Packet
			for i := range 2000 {
				src := spoofedV6(uint32(i))
				dst := netip.MustParseAddr("2001:db8:de::22")
				ps = append(ps, tcpPkt(sec+int64(i), src, dst, uint16(i), 22, synOnly), tcpPkt(sec+int64(i)+1, src, dst, uint16(i+1), 22, synOnly))
			}
			return ps
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, []*rules.Rule{r}, Config{})
			h.feed(c.packets()...)
			if len(h.alerts) != c.alerts {
				t.Fatalf("%d alerts, want %d", len(h.alerts), c.alerts)
			}
			if c.alerts == 0 {
				return
			}
			a := h.alerts[0]
			want := alert.Threshold{Track: "pair", Count: 10, Window: 60, Observed: 10}
			if a.Threshold != want || a.Stats.Packets != 10 || a.DstPort != 22 || a.SrcPort != 50009 ||
				a.SrcIP != cnHost || a.DstIP != home || a.Kind != "bruteforce" || a.Direction != "to_server" {
				t.Errorf("alert %+v", *a)
			}
		})
	}
}

func ampRule() *rules.Rule {
	return &rules.Rule{ID: 5001, Name: "DNS/NTP reflection", Kind: rules.KindAmplification,
		Protos: rules.ProtoUDP, SrcPorts: ports(53, 123, 161, 389, 1900, 11211, 19, 17, 3702),
		Threshold: rules.Threshold{Count: 40, Window: 10 * time.Second, MinSources: 10},
		Suppress:  60 * time.Second, Severity: 1}
}

func TestAmplification(t *testing.T) {
	t.Run("unsolicited responses with fragments", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{ampRule()}, Config{})
		var ps []*decode.Packet
		for i := range 20 {
			refl := v4(198, 51, 100, 10+i)
			ts := sec + int64(i)*int64(time.Millisecond)
			first := udpPkt(ts, refl, home, 53, 22, 1500)
			first.Fragment, first.FirstFragment = true, true
			later := &decode.Packet{Timestamp: ts + 1, Src: refl, Dst: home, Proto: decode.ProtoUDP,
				Fragment: true, IPLen: 900}
			ps = append(ps, first, later)
		}
		h.feed(ps...)
		if len(h.alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(h.alerts))
		}
		a := h.alerts[0]
		// 20 first fragments + 20 later fragments = 40 packets at the 20th reflector's fragment.
		if a.Stats.Packets != 40 || a.Stats.Bytes != 20*1500+20*900 || a.Stats.DistinctSources != 20 ||
			a.Threshold.Observed != 40 || a.DstIP != home || a.Kind != "amplification" ||
			!reflect.DeepEqual(a.Stats.TopSources, []alert.CountryCount{{Country: "CN", Packets: 40}}) {
			t.Errorf("alert stats %+v threshold %+v", a.Stats, a.Threshold)
		}
	})
	t.Run("answered queries are solicited", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{ampRule()}, Config{})
		for i := range 50 {
			res := v4(198, 51, 100, 10+i)
			ts := sec + int64(i)*int64(time.Millisecond)
			h.feed(udpPkt(ts, home, res, uint16(40000+i), 53, 60), udpPkt(ts+1, res, home, 53, uint16(40000+i), 1500))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts for answered DNS, want 0", len(h.alerts))
		}
	})
	t.Run("few reflectors", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{ampRule()}, Config{})
		for i := range 200 {
			h.feed(udpPkt(sec+int64(i), v4(198, 51, 100, i%5), home, 123, 80, 468))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts from 5 reflectors, want 0 (MinSources 10)", len(h.alerts))
		}
	})
	t.Run("non-reflector source port", func(t *testing.T) {
		h := newHarness(t, []*rules.Rule{ampRule()}, Config{})
		for i := range 200 {
			h.feed(udpPkt(sec+int64(i), v4(198, 51, 100, i%50), home, 5353, 80, 468))
		}
		if len(h.alerts) != 0 {
			t.Errorf("%d alerts, want 0", len(h.alerts))
		}
	})
}

func TestReputation(t *testing.T) {
	list, errs := rules.ParseList("bad", "test", []byte("203.0.113.66\n198.51.100.0/28\n"), rules.FormatPlain)
	if len(errs) != 0 {
		t.Fatalf("list: %v", errs)
	}
	bad := netip.MustParseAddr("203.0.113.66")
	r := &rules.Rule{ID: 6001, Name: "Listed source", Kind: rules.KindReputation,
		List: list, ListSide: rules.SideSrc, Suppress: 60 * time.Second, Severity: 2,
		Threshold: rules.Threshold{Track: rules.TrackSrc}}
	rd := &rules.Rule{ID: 6002, Name: "Listed destination", Kind: rules.KindReputation,
		List: list, ListSide: rules.SideDst, Suppress: 60 * time.Second}
	h := newHarness(t, []*rules.Rule{r, rd}, Config{})
	h.feed(
		icmpPkt(0, bad, home, 8, 1),
		icmpPkt(1*sec, bad, home, 8, 1),
		icmpPkt(2*sec, bad, home2, 8, 1),                // same source: same key (track src)
		icmpPkt(3*sec, home, ruHost, 8, 1),              // not listed
		icmpPkt(4*sec, home, v4(198, 51, 100, 3), 8, 2), // listed destination
		icmpPkt(70*sec, bad, home, 8, 1),
	)
	type got struct {
		sid        uint32
		src, dst   netip.Addr
		ts         int64
		suppressed uint64
		packets    uint64
	}
	var gs []got
	for _, a := range h.alerts {
		gs = append(gs, got{a.SignatureID, a.SrcIP, a.DstIP, a.Timestamp, a.Stats.Suppressed, a.Stats.Packets})
	}
	want := []got{
		{6001, bad, home, 0, 0, 1},
		{6002, home, v4(198, 51, 100, 3), 4 * sec, 0, 1},
		{6001, bad, home, 70 * sec, 2, 1},
	}
	if !reflect.DeepEqual(gs, want) {
		t.Errorf("alerts\n got %+v\nwant %+v", gs, want)
	}
}

func TestPolicyAndVolume(t *testing.T) {
	pol := &rules.Rule{ID: 7001, Name: "Home talks to RU", Kind: rules.KindPolicy,
		From: expr(t, "home"), To: expr(t, "RU"), FromTerms: []string{"home"}, ToTerms: []string{"RU"},
		Suppress: 600 * time.Second}
	polIn := &rules.Rule{ID: 7002, Name: "Inbound from CN", Kind: rules.KindPolicy,
		From: expr(t, "CN"), Directions: 1 << geo.DirInbound, Suppress: 600 * time.Second}
	vol := &rules.Rule{ID: 8001, Name: "Data leaving to RU", Kind: rules.KindVolume,
		From: expr(t, "home"), To: expr(t, "RU"),
		Threshold: rules.Threshold{Bytes: 100_000, Window: 60 * time.Second, Track: rules.TrackSrc}}
	h := newHarness(t, []*rules.Rule{pol, polIn, vol}, Config{})
	h.feed(tcpPkt(0, home, frHost, 1, 443, synOnly)) // FR: nothing
	for i := range 100 {
		p := tcpPkt(sec+int64(i)*int64(10*time.Millisecond), home, ruHost, 40000, 443, decode.FlagACK|decode.FlagPSH)
		p.IPLen = 1400
		h.feed(p)
	}
	h.feed(tcpPkt(5*sec, cnHost, home2, 1, 80, synOnly))
	h.feed(tcpPkt(6*sec, home2, cnHost, 80, 1, synAck)) // outbound: not matched by 7002
	var sids []uint32
	for _, a := range h.alerts {
		sids = append(sids, a.SignatureID)
	}
	if !reflect.DeepEqual(sids, []uint32{7001, 8001, 7002}) {
		t.Fatalf("alerts %v, want [7001 8001 7002]", sids)
	}
	p := h.alerts[0]
	if p.GeoDir != "outbound" || p.SrcIP != home || p.DstIP != ruHost || p.Kind != "policy" || p.Stats.Packets != 1 || p.Threshold.Track != "pair" {
		t.Errorf("policy alert %+v", *p)
	}
	v := h.alerts[1]
	// 72 packets of 1400 bytes = 100800 ≥ 100000.
	if v.Kind != "volume" || v.Threshold.Observed != 100_800 || v.Stats.Bytes != 100_800 || v.Stats.Packets != 72 ||
		v.Threshold.Bytes != 100_000 || v.Threshold.Track != "src" {
		t.Errorf("volume alert stats %+v threshold %+v", v.Stats, v.Threshold)
	}
	if a := h.alerts[2]; a.GeoDir != "inbound" || a.SrcIP != cnHost {
		t.Errorf("inbound policy alert %+v", *a)
	}
}

// TestShardedEqualsSingle feeds a mixed workload to one engine and, routed
// by Shard, to two engines with ShardCount 2: the alerts must be the same.
func TestShardedEqualsSingle(t *testing.T) {
	rs := []*rules.Rule{scanRule(), floodRule(), ampRule(),
		{ID: 4001, Name: "SSH brute force", Kind: rules.KindBruteforce, Protos: rules.ProtoTCP, DstPorts: ports(22),
			Threshold: rules.Threshold{Count: 5, Window: 60 * time.Second, Track: rules.TrackPair}},
		{ID: 9001, Name: "per flow packets", Kind: rules.KindVolume,
			Threshold: rules.Threshold{Count: 30, Window: 60 * time.Second, Track: rules.TrackFlow}},
	}
	var ps []*decode.Packet
	// Scans from 8 sources, a flood on two victims, brute force pairs, a chatty flow.
	for s := range 8 {
		ps = append(ps, synScan(sec+int64(s)*sec, v4(198, 51, 100, 100+s), v4(192, 0, 2, 1+s), 1, 25)...)
	}
	for i := range 300 {
		ps = append(ps, tcpPkt(20*sec+int64(i)*int64(time.Millisecond), v4(203, 0, 113, i%50), v4(192, 0, 2, 60+i%2), uint16(i), 443, synOnly))
	}
	for i := range 60 {
		ps = append(ps, udpPkt(30*sec+int64(i), v4(198, 51, 100, 10+i%30), home2, 123, 80, 468))
	}
	for i := range 30 {
		src := v4(203, 0, 113, 100+i%3)
		t0 := 40*sec + int64(i)*sec/10
		ps = append(ps, tcpPkt(t0, src, home, uint16(30000+i), 22, synOnly),
			withData(tcpPkt(t0+2, src, home, uint16(30000+i), 22, decode.FlagACK|decode.FlagPSH), 21))
	}
	for i := range 40 {
		if i%2 == 0 {
			ps = append(ps, tcpPkt(50*sec+int64(i), home, ruHost, 33333, 443, decode.FlagACK))
		} else {
			ps = append(ps, tcpPkt(50*sec+int64(i), ruHost, home, 443, 33333, decode.FlagACK))
		}
	}
	single := newHarness(t, rs, Config{})
	single.feed(ps...)
	shards := []*harness{newHarness(t, rs, Config{ShardIndex: 0, ShardCount: 2}), newHarness(t, rs, Config{ShardIndex: 1, ShardCount: 2})}
	for _, p := range ps {
		a, b := Shard(p.Src, 2), Shard(p.Dst, 2)
		shards[a].feed(p)
		if b != a {
			shards[b].feed(p)
		}
	}
	key := func(a *alert.Alert) string {
		return fmt.Sprintf("%d %v %v %d %d %+v %+v", a.SignatureID, a.SrcIP, a.DstIP, a.Timestamp, a.FlowID, a.Stats, a.Threshold)
	}
	want := map[string]int{}
	for _, a := range single.alerts {
		want[key(a)]++
	}
	got := map[string]int{}
	for _, h := range shards {
		for _, a := range h.alerts {
			got[key(a)]++
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sharded alerts\n got %v\nwant %v", got, want)
	}
	kinds := map[string]bool{}
	for _, a := range single.alerts {
		kinds[a.Kind] = true
	}
	for _, k := range []string{"scan", "flood", "amplification", "bruteforce", "volume"} {
		if !kinds[k] {
			t.Errorf("workload produced no %s alert: the comparison does not cover it", k)
		}
	}
	if len(shards[0].alerts) == 0 || len(shards[1].alerts) == 0 {
		t.Errorf("one shard produced no alert (%d, %d): sharding not exercised", len(shards[0].alerts), len(shards[1].alerts))
	}
}

func TestShardFunction(t *testing.T) {
	a := netip.MustParseAddr("198.51.100.7")
	if Shard(a, 1) != 0 || Shard(a, 0) != 0 {
		t.Error("n ≤ 1 must give 0")
	}
	if Shard(a, 4) != Shard(netip.MustParseAddr("::ffff:198.51.100.7"), 4) {
		t.Error("IPv4-mapped address sharded differently")
	}
	counts := make([]int, 4)
	for i := range 4096 {
		counts[Shard(spoofedV6(uint32(i)), 4)]++
	}
	for i, c := range counts {
		if c < 800 || c > 1250 {
			t.Errorf("shard %d got %d of 4096 addresses", i, c)
		}
	}
}

// TestBoundedUnderSpoofing: 2 M distinct spoofed sources through a flood rule
// and a per-source scan rule with small caps.
func TestBoundedUnderSpoofing(t *testing.T) {
	if testing.Short() {
		t.Skip("2 M packets; skipped with -short")
	}
	const n = 2_000_000
	scan := scanRule()
	flood := &rules.Rule{ID: 3001, Name: "SYN flood", Kind: rules.KindFlood, Protos: rules.ProtoTCP, TCPFlags: synNoAck,
		Threshold: rules.Threshold{Count: n / 2, Window: 10 * time.Second, MinSources: 1000}, Suppress: 60 * time.Second}
	lim := Limits{MaxKeys: 1024, MaxDistinct: 4096, MaxDistinctPerKey: 2048}
	var alerts []*alert.Alert
	eng := New([]*rules.Rule{scan, flood}, Config{Limits: lim}, func(a *alert.Alert, _, _ *geo.Info) { alerts = append(alerts, a) })
	tab := lab(t)
	victim := netip.MustParseAddr("2001:db8:de::10")
	dstInfo := tab.Lookup(victim)
	srcInfo := tab.Lookup(spoofedV6(1))
	p := &decode.Packet{Dst: victim, DstPort: 25565, Proto: decode.ProtoTCP, TCPFlags: synOnly, IPLen: 60}
	maxKeys, maxDistinct := 0, 0
	for i := range uint32(n) {
		p.Timestamp = sec + int64(i)*1000 // 1 µs apart: 2 s in all
		p.Src = spoofedV6(i)
		p.SrcPort = uint16(i)
		eng.Process(p, flow.Result{}, &srcInfo, &dstInfo)
		if i%65536 == 0 {
			st := eng.Stats()
			for _, r := range st.Rules {
				maxKeys = max(maxKeys, r.Keys)
				maxDistinct = max(maxDistinct, r.Distinct)
			}
		}
	}
	st := eng.Stats()
	sc, fl := st.Rules[0], st.Rules[1]
	// One packet per source: the scan rule's doorkeeper holds each first
	// packet (1024 slots, as MaxKeys) until the next source's replaces it;
	// no source gets a key. (Without the door: 1024 keys, n-1024 evicted.)
	if sc.Keys != 0 || sc.KeysEvicted != 0 || maxKeys > 1 || sc.FirstOverwritten < n-2048 || sc.FirstOverwritten > n {
		t.Errorf("scan rule: keys %d (max seen %d), evicted %d, first packets overwritten %d; want 0, 0, about %d", sc.Keys, maxKeys, sc.KeysEvicted, sc.FirstOverwritten, n-1024)
	}
	if fl.Keys != 1 || fl.Distinct > 2048 || maxDistinct > 4096 || fl.DistinctCapped == 0 {
		t.Errorf("flood rule: keys %d, distinct %d (max seen %d), capped %d", fl.Keys, fl.Distinct, maxDistinct, fl.DistinctCapped)
	}
	if len(alerts) != 1 || alerts[0].SignatureID != 3001 {
		t.Fatalf("%d alerts, want one flood alert", len(alerts))
	}
	// The second crossing (packet 2 M) falls in the suppression period.
	if fl.Suppressed != 1 {
		t.Errorf("flood suppressed %d, want 1", fl.Suppressed)
	}
	a := alerts[0]
	est := float64(a.Stats.DistinctSources)
	if est < 0.8*n/2 || est > 1.2*n/2 || a.Stats.Packets != n/2 || a.DstIP != victim {
		t.Errorf("flood alert: distinct sources %d (want about %d), packets %d", a.Stats.DistinctSources, n/2, a.Stats.Packets)
	}
	if !reflect.DeepEqual(a.Stats.TopSources, []alert.CountryCount{{Country: "CN", Packets: n / 2}}) {
		t.Errorf("top sources %+v", a.Stats.TopSources)
	}
}

func TestFlushDropsState(t *testing.T) {
	h := newHarness(t, []*rules.Rule{scanRule()}, Config{})
	h.feed(synScan(0, cnHost, home, 1, 10)...)
	h.eng.Flush()
	if st := h.eng.Stats().Rules[0]; st.Keys != 0 || st.Distinct != 0 || st.Matched != 10 {
		t.Errorf("after Flush: %+v", st)
	}
	h.feed(synScan(sec, cnHost, home, 100, 10)...)
	if len(h.alerts) != 0 {
		t.Errorf("%d alerts: counts survived Flush", len(h.alerts))
	}
}
