package detect

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// TestDoorKeepsFirstPacket: a scanner among one-packet spoofed sources.
// The spoofed sources get no key (their first packets wait in the
// doorkeeper, each replaced in turn), and the scanner's key, made at its
// second probe, holds its first probe too: the alert fires at the 20th
// probe, its window starting at the first, with 20 packets and bytes of
// 20 probes, as without the door.
func TestDoorKeepsFirstPacket(t *testing.T) {
	h := newHarness(t, []*rules.Rule{scanRule()}, Config{Limits: Limits{MaxKeys: 1024}})
	scan := synScan(10*sec, cnHost, home, 1, 25)
	sInfo, dInfo := h.tab.Lookup(spoofedV6(0)), h.tab.Lookup(home)
	spoof := uint32(0)
	for i, p := range scan {
		h.feed(p)
		// 300 spoofed one-packet sources between two probes (fewer
		// than the door's 1024 slots: the probe survives them).
		for range 300 {
			q := tcpPkt(p.Timestamp+int64(time.Microsecond)*int64(spoof%300+1), spoofedV6(spoof), home, 1024, 80, synOnly)
			h.eng.Process(q, flow.Result{}, &sInfo, &dInfo)
			spoof++
		}
		if i == 0 && h.eng.Stats().Rules[0].Keys != 0 {
			t.Fatalf("after the first probe: %d keys, want 0 (the probe waits in the door)", h.eng.Stats().Rules[0].Keys)
		}
	}
	st := h.eng.Stats().Rules[0]
	if len(h.alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(h.alerts))
	}
	a := h.alerts[0]
	if a.SrcIP != cnHost || a.Timestamp != scan[19].Timestamp || a.Stats.FirstSeen != scan[0].Timestamp ||
		a.Stats.Packets != 20 || a.Stats.Bytes != 20*60 || a.Stats.DistinctPorts != 20 {
		t.Errorf("alert from %v at %d: first seen %d, packets %d, bytes %d, ports %d; want %v at %d, %d, 20, 1200, 20",
			a.SrcIP, a.Timestamp, a.Stats.FirstSeen, a.Stats.Packets, a.Stats.Bytes, a.Stats.DistinctPorts, cnHost, scan[19].Timestamp, scan[0].Timestamp)
	}
	if st.Keys != 1 || st.KeysEvicted != 0 || st.Matched != uint64(len(scan))+uint64(spoof) {
		t.Errorf("rule: %d keys, %d evicted, %d matched; want 1 (the scanner), 0, %d", st.Keys, st.KeysEvicted, st.Matched, len(scan)+int(spoof))
	}
	// 7500 spoofed first packets through 1024 slots: most replaced, each
	// counted.
	if st.FirstOverwritten < uint64(spoof)-2048 || st.FirstOverwritten >= uint64(spoof) {
		t.Errorf("first packets overwritten %d of %d", st.FirstOverwritten, spoof)
	}
}

// TestDoorOnlyWhereOnePacketCannotFire: rules a single packet can fire (no
// threshold, a count of 1, a burst of 1, a byte report) and rules tracking
// destinations or flows keep no door; the others do.
func TestDoorOnlyWhereOnePacketCannotFire(t *testing.T) {
	base := scanRule()
	for _, c := range []struct {
		name string
		mod  func(r *rules.Rule)
		want bool
	}{
		{"distinct ports, 20", func(*rules.Rule) {}, true},
		{"distinct ports, 1", func(r *rules.Rule) { r.Threshold.Count = 1 }, false},
		{"pair", func(r *rules.Rule) { r.Threshold.Track = rules.TrackPair }, true},
		{"dst", func(r *rules.Rule) { r.Threshold.Track = rules.TrackDst }, false},
		{"flow", func(r *rules.Rule) { r.Threshold.Track = rules.TrackFlow }, false},
		{"packets, 5", func(r *rules.Rule) {
			r.Kind, r.Threshold.Distinct = rules.KindVolume, rules.DistinctNone
			r.Threshold.Count = 5
		}, true},
		{"every packet", func(r *rules.Rule) { r.Kind, r.Threshold = rules.KindPolicy, rules.Threshold{Track: rules.TrackSrc} }, false},
		{"burst 1", func(r *rules.Rule) {
			r.Kind, r.Threshold.Distinct, r.Threshold.Count = rules.KindVolume, rules.DistinctNone, 5
			r.Threshold.Burst, r.Threshold.BurstWindow = 1, time.Second
		}, false},
		{"amplification", func(r *rules.Rule) { r.Kind, r.Threshold.Distinct = rules.KindAmplification, rules.DistinctNone }, false},
	} {
		r := *base
		c.mod(&r)
		if got := newRuleState(&r, Config{}).door != nil; got != c.want {
			t.Errorf("%s: door %v, want %v", c.name, got, c.want)
		}
	}

	// A byte report (many packets) never waits: the key is made at once.
	r := *base
	r.Kind, r.Threshold.Distinct, r.Threshold.Count = rules.KindVolume, rules.DistinctNone, 5
	h := newHarness(t, []*rules.Rule{&r}, Config{})
	p := tcpPkt(sec, cnHost, home, 1024, 22, synOnly)
	p.Aggregate = 3
	h.feed(p)
	if st := h.eng.Stats().Rules[0]; st.Keys != 1 {
		t.Errorf("byte report: %d keys, want 1", st.Keys)
	}
}

// doorRulesShared returns two pair rules of one idle time (as 8100101 and
// 8100107 of the default pack: TCP probes by distinct port, any protocol
// by distinct protocol), a source rule (as 8100201) and a pair rule of
// another window.
func doorRulesShared() []*rules.Rule {
	ports := scanRule()
	ports.ID, ports.Threshold.Track, ports.Threshold.Count = 1, rules.TrackPair, 5
	protos := &rules.Rule{ID: 2, Kind: rules.KindScan, Suppress: ports.Suppress,
		Threshold: rules.Threshold{Count: 3, Window: ports.Threshold.Window, Track: rules.TrackPair, Distinct: rules.DistinctIPProto}}
	sweep := &rules.Rule{ID: 3, Kind: rules.KindSweep, Protos: rules.ProtoTCP, TCPFlags: synNoAck, Suppress: ports.Suppress,
		Threshold: rules.Threshold{Count: 4, Window: ports.Threshold.Window, Track: rules.TrackSrc, Distinct: rules.DistinctDstIP}}
	other := *ports
	other.ID, other.Threshold.Window = 4, 2*ports.Threshold.Window
	return []*rules.Rule{ports, protos, sweep, &other}
}

// TestDoorShared: the rules tracking the same key with the same idle time
// share one door, and a packet that is the first of its key for two of
// them takes one slot, with both rules' bits.
func TestDoorShared(t *testing.T) {
	h := newHarness(t, doorRulesShared(), Config{})
	rs := h.eng.rules
	if rs[0].door == nil || rs[0].door != rs[1].door || rs[0].doorBit != 0 || rs[1].doorBit != 1 {
		t.Fatalf("pair rules of one idle time: doors %p (bit %d) and %p (bit %d), want one door, bits 0 and 1",
			rs[0].door, rs[0].doorBit, rs[1].door, rs[1].doorBit)
	}
	if rs[2].door == rs[0].door || rs[3].door == rs[0].door || rs[2].door == nil || rs[3].door == nil {
		t.Fatalf("source rule and pair rule of another window share the pair rules' door")
	}
	h.feed(tcpPkt(sec, cnHost, home, 40000, 22, synOnly))
	var used []doorEntry
	for _, x := range rs[0].door.e {
		if x.h != 0 {
			used = append(used, x)
		}
	}
	if len(used) != 1 || used[0].mask != 0b11 || used[0].ts != sec || used[0].dport != 22 || used[0].proto != decode.ProtoTCP || used[0].bytes != 60 {
		t.Fatalf("shared door after one SYN: %+v, want one slot of both rules (mask 0b11) holding the SYN", used)
	}
	for i := range 4 {
		if st := h.eng.Stats().Rules[i]; st.Keys != 0 || st.Matched != 1 {
			t.Errorf("rule %d: %d keys, %d matched; want 0 (the SYN waits in the door), 1", st.ID, st.Keys, st.Matched)
		}
	}
}

// TestDoorSharedSameAlerts: rules sharing a door give the alerts and keys
// each gives alone (with a door of its own), also when a key's first
// packet differs between them (a UDP packet first for the protocol rule,
// a later SYN first for the port rule) and among one-packet spoofed
// sources that make the door replace held packets.
func TestDoorSharedSameAlerts(t *testing.T) {
	var ps []*decode.Packet
	ts := 10 * sec
	next := func() int64 { ts += int64(time.Millisecond); return ts }
	var icmp *decode.Packet   // the packet of rule 2's third protocol
	var fourth *decode.Packet // rule 3's fourth host: home, .30, .31, .32
	// First for rule 2 only; port 6, TCP's protocol number: rule 2 must
	// count it as UDP.
	ps = append(ps, udpPkt(next(), cnHost, home, 5000, 6, 80))
	for i := range 12 {
		ps = append(ps, tcpPkt(next(), cnHost, home, 40000, uint16(100+i), synOnly))
		ps = append(ps, tcpPkt(next(), cnHost, v4(192, 0, 2, 30+i), 40000, 80, synOnly))
		if i == 2 {
			fourth = ps[len(ps)-1]
		}
		if i == 3 {
			ps = append(ps, icmpPkt(next(), cnHost, home, 8, 1))
			icmp = ps[len(ps)-1]
		}
		for j := range 100 { // 1200 in all: more than the door's slots (MaxKeys 256)
			s := spoofedV6(uint32(i*100 + j))
			ps = append(ps, tcpPkt(next(), s, home, 1024, 80, synOnly))
			if j%7 == 0 {
				ps = append(ps, udpPkt(next(), s, home, 1024, 53, 70))
			}
		}
	}
	cfg := Config{Limits: Limits{MaxKeys: 256}}
	all := newHarness(t, doorRulesShared(), cfg)
	all.feed(ps...)
	got := all.eng.Stats()
	var n int
	for i, r := range doorRulesShared() {
		alone := newHarness(t, []*rules.Rule{r}, cfg)
		alone.feed(ps...)
		var mine []*alert.Alert
		for _, a := range all.alerts {
			if a.SignatureID == r.ID {
				mine = append(mine, a)
			}
		}
		if len(alone.alerts) == 0 {
			t.Errorf("rule %d alone: no alert (the test needs one)", r.ID)
		}
		if r.ID == 3 && (len(mine) != 1 || mine[0].Timestamp != fourth.Timestamp || mine[0].Stats.FirstSeen != ps[1].Timestamp) {
			t.Errorf("rule 3: alerts %+v, want one at the SYN to the fourth host (%d), its window from the first SYN (%d)",
				mine, fourth.Timestamp, ps[1].Timestamp)
		}
		if r.ID == 2 && (len(mine) != 1 || mine[0].Timestamp != icmp.Timestamp || mine[0].Stats.FirstSeen != ps[0].Timestamp ||
			mine[0].Stats.Bytes != 80+4*60+84 || mine[0].Threshold.Observed != 3) {
			t.Errorf("rule 2: alerts %+v, want one at the ICMP packet (%d), its window from the UDP packet (%d), 404 bytes, 3 protocols",
				mine, icmp.Timestamp, ps[0].Timestamp)
		}
		if !reflect.DeepEqual(mine, alone.alerts) {
			t.Errorf("rule %d: alerts with a shared door differ from its own door's:\n%+v\nwant\n%+v", r.ID, mine, alone.alerts)
		}
		st, want := got.Rules[i], alone.eng.Stats().Rules[0]
		if st.Keys != want.Keys || st.Matched != want.Matched || st.KeysEvicted != want.KeysEvicted {
			t.Errorf("rule %d: keys %d, matched %d, evicted %d; alone %d, %d, %d", r.ID, st.Keys, st.Matched, st.KeysEvicted, want.Keys, want.Matched, want.KeysEvicted)
		}
		n += len(mine)
	}
	if n != 4 {
		t.Errorf("%d alerts, want one per rule", n)
	}
	if got.Rules[0].FirstOverwritten == 0 || got.Rules[1].FirstOverwritten == 0 {
		t.Errorf("first packets overwritten %d and %d: the spoofed sources did not fill the shared door", got.Rules[0].FirstOverwritten, got.Rules[1].FirstOverwritten)
	}
}

// TestDoorWarm: a door rule's warm list holds one rule of each other door
// that a packet may visit after it (not its own door, not a door twice),
// so that a SYN looking in the pair rules' door loads the source rule's
// set at the same time. Warming changes no state: TestDoorSharedSameAlerts
// compares the rules together (warming) with each alone (no warm list).
func TestDoorWarm(t *testing.T) {
	r := doorRulesShared()
	same := *r[3] // a second rule of door C
	same.ID = 5
	h := newHarness(t, append(r, &same), Config{})
	rs := h.eng.rules
	if rs[3].door != rs[4].door {
		t.Fatalf("rules 4 and 5 do not share a door")
	}
	ids := func(l []*ruleState) []uint32 {
		var out []uint32
		for _, w := range l {
			out = append(out, w.r.ID)
		}
		return out
	}
	for i, want := range [][]uint32{{3, 4}, {3, 4}, {4}, nil, nil} {
		if got := ids(rs[i].warm); !slices.Equal(got, want) {
			t.Errorf("rule %d warms %v, want %v", rs[i].r.ID, got, want)
		}
	}
}

// TestDoorPacketSize: a packet waits in the door only when its IP length
// fits the held packet's 16 bits and is under the rule's bytes threshold
// (a packet at the threshold can fire alone); a larger one makes its key
// at once.
func TestDoorPacketSize(t *testing.T) {
	vol := func(bytes uint64) *rules.Rule {
		return &rules.Rule{ID: 8001, Kind: rules.KindVolume, Protos: rules.ProtoTCP,
			Threshold: rules.Threshold{Count: 100, Bytes: bytes, Window: time.Minute, Track: rules.TrackSrc}}
	}
	for _, c := range []struct {
		name  string
		bytes uint64 // the rule's bytes threshold (0: none)
		ipLen uint32
		keys  int // keys after the packet: 0 when it waits in the door
	}{
		{"no bytes threshold, 65535 bytes", 0, 65535, 0},
		{"no bytes threshold, 65536 bytes", 0, 65536, 1},
		{"threshold 1000, 999 bytes", 1000, 999, 0},
		{"threshold 1000, 1000 bytes", 1000, 1000, 1},
		{"threshold 100000, 65535 bytes", 100000, 65535, 0},
		{"threshold 100000, 70000 bytes", 100000, 70000, 1},
	} {
		h := newHarness(t, []*rules.Rule{vol(c.bytes)}, Config{})
		p := tcpPkt(sec, cnHost, home, 40000, 80, synOnly)
		p.IPLen = c.ipLen
		h.feed(p)
		if st := h.eng.Stats().Rules[0]; st.Keys != c.keys || st.Matched != 1 {
			t.Errorf("%s: %d keys, %d matched; want %d, 1", c.name, st.Keys, st.Matched, c.keys)
		}
	}
}

// TestDoorTakeAlone: take reports alone when the packet went to a slot of
// its own in a set holding no other packet of its key, so that another rule
// of the door counting the same packet joins that slot without looking
// through the set; not when the set holds the key for another rule (that
// rule's own first packet, which a join would not see).
func TestDoorTakeAlone(t *testing.T) {
	d := newDoor(1024)
	d.rules = 2
	var held doorEntry
	f := doorEntry{h: 42, ts: sec, bytes: 60, dport: 22, proto: decode.ProtoTCP}
	ok, slot, alone := d.take(f, 0, -1, 0, &held)
	if ok || !alone {
		t.Fatalf("first packet of a key for rule 0: ok %v, alone %v; want false, true", ok, alone)
	}
	d.join(slot, 1)
	if x := d.e[slot]; x.mask != 0b11 || x.ts != sec || x.dport != 22 {
		t.Fatalf("slot after the join: %+v, want the packet held for rules 0 and 1", x)
	}
	// Rule 0 takes its packet back at the key's second packet; rule 1
	// still holds it.
	g := f
	g.ts, g.dport = 2*sec, 23
	if ok, _, _ := d.take(g, 0, -1, 0, &held); !ok || held.ts != sec || held.dport != 22 {
		t.Fatalf("second packet for rule 0: ok %v, held %+v; want the first packet back", ok, held)
	}
	// A packet of the key for rule 0 again (its first of a new key life):
	// the set holds the key for rule 1, so it is not alone.
	if ok, _, alone := d.take(g, 0, -1, 0, &held); ok || alone {
		t.Errorf("packet for rule 0 beside rule 1's: ok %v, alone %v; want false, false", ok, alone)
	}
	// Rule 1 finds its own first packet, not the one just held for rule 0.
	if ok, _, _ := d.take(g, 1, -1, 0, &held); !ok || held.ts != sec {
		t.Errorf("rule 1: ok %v, held %+v; want its packet of time %d", ok, held, sec)
	}
}
