package share

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// readLines reads the given lines of the mixed file as one batch.
func batch(t *testing.T, lines ...int) *Result {
	t.Helper()
	b, err := os.ReadFile(mixed)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Split(strings.TrimSpace(string(b)), "\n")
	var in []string
	for _, l := range lines {
		in = append(in, all[l-1])
	}
	r := NewReader(Options{})
	if err := r.ReadFrom("batch", strings.NewReader(strings.Join(in, "\n"))); err != nil {
		t.Fatal(err)
	}
	return r.Result()
}

func objOf(t *testing.T, b *Bundle, typ string) map[string]any {
	t.Helper()
	var found map[string]any
	for _, o := range b.Objects {
		if o["type"] == typ {
			if found != nil {
				t.Fatalf("more than one %s", typ)
			}
			found = o
		}
	}
	if found == nil {
		t.Fatalf("no %s", typ)
	}
	return found
}

// TestHistory: two batches of one attacker give one indicator and one
// sighting in two versions; a batch sent again without commit gives the
// same objects; a full history forgets the oldest address.
func TestHistory(t *testing.T) {
	h := NewHistory(1)
	a := batch(t, 1) // 203.0.113.7 at 22:00:05
	commit := h.Apply(a)
	ba, err := STIX(a, STIXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	commit()
	b := batch(t, 2) // 203.0.113.7 at 22:10:05
	h.Apply(b)
	bb, _ := STIX(b, STIXOptions{})
	again := batch(t, 2)
	commit = h.Apply(again) // a retry: the history did not move
	bb2, _ := STIX(again, STIXOptions{})
	j1, _ := json.Marshal(bb)
	j2, _ := json.Marshal(bb2)
	if string(j1) != string(j2) {
		t.Errorf("the same batch applied twice without commit gives different bundles")
	}
	commit()

	ia, ib := objOf(t, ba, "indicator"), objOf(t, bb, "indicator")
	sa, sb := objOf(t, ba, "sighting"), objOf(t, bb, "sighting")
	if ia["id"] != ib["id"] || sa["id"] != sb["id"] {
		t.Errorf("ids changed between batches: %v %v, %v %v", ia["id"], ib["id"], sa["id"], sb["id"])
	}
	if ib["modified"] != "2026-11-25T22:10:05.000Z" || ia["modified"] != "2026-11-25T22:00:05.000Z" || ib["created"] != ia["created"] {
		t.Errorf("versions: %v then %v (created %v, %v)", ia["modified"], ib["modified"], ia["created"], ib["created"])
	}
	if sb["count"] != 2 || sb["first_seen"] != sa["first_seen"] || sb["last_seen"] != "2026-11-25T22:10:05.000Z" {
		t.Errorf("second sighting: count %v, %v to %v; want 2, %v to 22:10:05", sb["count"], sb["first_seen"], sb["last_seen"], sa["first_seen"])
	}

	// An older batch for the same address: a new version 1 ms later.
	old := batch(t, 1)
	h.Apply(old)
	bo, _ := STIX(old, STIXOptions{})
	if so := objOf(t, bo, "sighting"); so["modified"] != "2026-11-25T22:10:05.001Z" || so["count"] != 3 || so["id"] != sa["id"] {
		t.Errorf("older batch: sighting %v modified %v count %v; want the same id, 22:10:05.001, 3", so["id"], so["modified"], so["count"])
	}

	// Another address fills the history of 1: the first is forgotten.
	h.Apply(batch(t, 3))()
	if h.Len() != 1 {
		t.Errorf("history holds %d addresses, want 1", h.Len())
	}
	fresh := batch(t, 2)
	h.Apply(fresh)
	bf, _ := STIX(fresh, STIXOptions{})
	if s := objOf(t, bf, "sighting"); s["count"] != 1 || s["id"] == sa["id"] {
		t.Errorf("forgotten address: sighting %v count %v, want new objects, count 1", s["id"], s["count"])
	}
}
