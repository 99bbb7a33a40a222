package detect

import (
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
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
