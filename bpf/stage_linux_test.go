//go:build linux

package bpf

import (
	"slices"
	"testing"
)

// TestStagedGeoAndRules: prepared tables change nothing until Commit, an
// aborted or failed preparation leaves the running tables, and a commit
// after another load is refused.
func TestStagedGeoAndRules(t *testing.T) {
	o := loadLab(t, func(o *Options) { o.HandoffAll = true })
	p4 := v4udp(t, "198.51.100.7", "192.0.2.10", 10)
	src := func() uint16 {
		t.Helper()
		if _, err := o.RunXDP(p4); err != nil {
			t.Fatal(err)
		}
		var rec Record
		if err := o.ReadRecord(&rec); err != nil {
			t.Fatal(err)
		}
		return rec.SrcCountry
	}
	fr := []Range{{From: mustAddr("198.51.100.0"), To: mustAddr("198.51.100.255"), Country: cid("FR")}}

	sg, err := o.PrepareGeo(slices.Values(fr))
	if err != nil {
		t.Fatal(err)
	}
	if got := src(); got != cid("US") {
		t.Fatalf("prepared, not committed: source country %d, want US %d", got, cid("US"))
	}
	if err := sg.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := sg.Commit(); err == nil {
		t.Error("an aborted table was committed")
	}
	if got := src(); got != cid("US") {
		t.Fatalf("after abort: source country %d, want US", got)
	}

	if _, err := o.PrepareRules(Rules{Drop: []DropRule{{Slot: RuleSlots}}}); err == nil || err.Error() != "drop rule slot 1024: above 1023" {
		t.Errorf("bad slot: %v", err)
	}
	sr, err := o.PrepareRules(Rules{Drop: []DropRule{{Slot: 3, Countries: []uint16{cid("US")}}}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err = o.PrepareGeo(slices.Values(fr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadGeo(slices.Values(labRanges)); err != nil {
		t.Fatal(err)
	}
	if err := sg.Commit(); err == nil || err.Error() != "geo tables: another table was loaded since Prepare" {
		t.Errorf("commit after another load: %v", err)
	}
	if got := src(); got != cid("US") {
		t.Fatalf("after a refused commit: source country %d, want US", got)
	}
	// Rule tables prepared before a geo load still commit: they do not
	// depend on the geo generation.
	if err := sr.Commit(); err != nil {
		t.Fatal(err)
	}
	sg, err = o.PrepareGeo(slices.Values(fr))
	if err != nil {
		t.Fatal(err)
	}
	if err := sg.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := src(); got != cid("FR") {
		t.Fatalf("after commit: source country %d, want FR %d", got, cid("FR"))
	}
}
