//go:build linux

package bpf

import "fmt"

// Settings are the load-time settings as the loaded programs hold them:
// their volatile const globals, read back from the kernel.
type Settings struct {
	SnapLen, FlowPackets, ReportBytes, SourceBudget, SourceBurst uint32
	FloodPPS, FloodSamples, FloodTotalPPS, FloodSamplesPPS       uint32
	Enforce, HandoffAll, PreciseTime                             bool
}

// Settings reads the load-time settings back from the loaded programs'
// read-only data, to show that what the configuration asked for is what
// the kernel runs with.
func (o *Objects) Settings() (Settings, error) {
	var s Settings
	for _, v := range []struct {
		name string
		get  func() error
	}{
		{"snap_len", func() error { return o.objs.SnapLen.Get(&s.SnapLen) }},
		{"flow_packets", func() error { return o.objs.FlowPackets.Get(&s.FlowPackets) }},
		{"report_bytes", func() error { return o.objs.ReportBytes.Get(&s.ReportBytes) }},
		{"source_budget", func() error { return o.objs.SourceBudget.Get(&s.SourceBudget) }},
		{"source_burst", func() error { return o.objs.SourceBurst.Get(&s.SourceBurst) }},
		{"flood_pps", func() error { return o.objs.FloodPps.Get(&s.FloodPPS) }},
		{"flood_samples", func() error { return o.objs.FloodSamples.Get(&s.FloodSamples) }},
		{"flood_total_pps", func() error { return o.objs.FloodTotalPps.Get(&s.FloodTotalPPS) }},
		{"flood_samples_pps", func() error { return o.objs.FloodSamplesPps.Get(&s.FloodSamplesPPS) }},
	} {
		if err := v.get(); err != nil {
			return Settings{}, fmt.Errorf("reading %s from the kernel: %w", v.name, err)
		}
	}
	var enforce, all uint8
	if err := o.objs.Enforce.Get(&enforce); err != nil {
		return Settings{}, fmt.Errorf("reading enforce from the kernel: %w", err)
	}
	if err := o.objs.HandoffAll.Get(&all); err != nil {
		return Settings{}, fmt.Errorf("reading handoff_all from the kernel: %w", err)
	}
	var precise uint8
	if err := o.objs.PreciseTs.Get(&precise); err != nil {
		return Settings{}, fmt.Errorf("reading precise_ts from the kernel: %w", err)
	}
	s.Enforce, s.HandoffAll, s.PreciseTime = enforce != 0, all != 0, precise != 0
	return s, nil
}
