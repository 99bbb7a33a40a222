package pipeline

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestGuardLogLines: the guard's rate-limited log lines (internal/ratelog)
// keep their fields: the first with the stack, the next after the
// interval with the panics not logged in between and the running total.
func TestGuardLogLines(t *testing.T) {
	var logs bytes.Buffer
	g := &guard{log: zerolog.New(&logs)}
	t0 := time.Now()
	for i := range 3 {
		g.recoveredAt("worker", "boom", t0.Add(time.Duration(i)*time.Second))
	}
	g.recoveredAt("reader", "bang", t0.Add(panicLogEvery))
	lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), logs.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["in"] != "worker" || first["panic"] != "boom" || first["panics_total"] != 1.0 || first["not_logged"] != 0.0 ||
		!strings.Contains(first["stack"].(string), "TestGuardLogLines") || first["message"] != "recovered a panic: packet dropped" {
		t.Errorf("first line %s", lines[0])
	}
	if second["in"] != "reader" || second["panic"] != "bang" || second["panics_total"] != 4.0 || second["not_logged"] != 2.0 || second["stack"] != nil {
		t.Errorf("second line %s", lines[1])
	}
	if g.total.Load() != 4 {
		t.Errorf("total %d, want 4", g.total.Load())
	}
}
