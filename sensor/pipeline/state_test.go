package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/detect"
)

// TestRuleStateBound: a rule set whose worst-case detection state in all
// workers exceeds the limit is refused at New and at SetRules, and the
// running set stays.
func TestRuleStateBound(t *testing.T) {
	small := scanRule(t, 9000001, 100)
	big := &rules.Set{Zones: small.Zones}
	for i := range 800 {
		big.Rules = append(big.Rules, &rules.Rule{ID: uint32(9100000 + i), Name: "flood", Kind: rules.KindFlood, Protos: rules.ProtoUDP,
			Threshold: rules.Threshold{Count: 1000, Track: rules.TrackDst, Distinct: rules.DistinctSrcIP, MinSources: 10}})
	}
	const want = "the 800 rules need up to 18.0 GiB of detection state with 2 workers, more than the limit of 16 GiB"
	_, err := New(Config{Workers: 2}, labHolder(t, small), big, SinkFunc(nil))
	var se *detect.StateLimitError
	if !errors.As(err, &se) || se.Workers != 2 || se.Rules != 800 || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("New: %v", err)
	}
	p, err := New(Config{Workers: 2}, labHolder(t, small), small, SinkFunc(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetRules(big); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("SetRules: %v", err)
	}
	if p.Rules() != small {
		t.Error("the running set was replaced")
	}
	// One worker holds half: accepted.
	if _, err := New(Config{Workers: 1}, labHolder(t, small), big, SinkFunc(nil)); err != nil {
		t.Errorf("one worker: %v", err)
	}
}
