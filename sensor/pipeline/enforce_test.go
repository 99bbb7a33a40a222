package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
)

// TestEnforceAction: with enforcement on, the alerts of drop rules say
// "blocked" and the others "allowed"; with it off, every alert says
// "allowed".
func TestEnforceAction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	src := `zones:
  forbidden: [CN]
rules:
  - {id: 9000001, name: from forbidden (drop), kind: policy, from: forbidden, action: drop}
  - {id: 9000002, name: from forbidden (alert), kind: policy, from: forbidden, to: home}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load(rules.Options{Paths: []string{path}, NoDefaults: true, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		enforce bool
		want    []string // actions of 9000001 and 9000002
	}{
		{false, []string{"allowed", "allowed"}},
		{true, []string{"blocked", "allowed"}},
	} {
		var mu sync.Mutex
		got := map[uint32]string{}
		n := 0
		p, err := New(Config{Workers: 2, Live: true, IdleAdvance: 50 * time.Millisecond, Enforce: tc.enforce}, labHolder(t, set), set,
			SinkFunc(func(a *alert.Alert) error {
				mu.Lock()
				got[a.SignatureID] = a.Action
				n++
				mu.Unlock()
				return nil
			}))
		if err != nil {
			t.Fatal(err)
		}
		cs := newChanSource("test0")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.RunSources(ctx, cs) }()
		for _, pk := range syns(1, 3) {
			cs.frames <- pk
		}
		waitFor(t, "3 packets processed", func() bool { return p.Stats().Packets == 3 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		p.Close()
		mu.Lock()
		// One alert per rule: the pair is suppressed for an hour after it.
		if actions := []string{got[9000001], got[9000002]}; n != 2 || !slices.Equal(actions, tc.want) {
			t.Errorf("enforce %v: %d alerts, actions %v, want %v", tc.enforce, n, actions, tc.want)
		}
		mu.Unlock()
	}
}
