package metrics

import "github.com/rs/zerolog"

// LogCounters logs the counters of src as lines of log (SIGUSR1 and at
// exit): per capture source, per kernel interface and hook (when
// src.Kernel is not nil), the pipeline's, and per alert output (when
// src.Sinks is not nil).
func LogCounters(log zerolog.Logger, src Sources) {
	s := src.Pipeline()
	for _, ss := range s.Sources {
		log.Info().Str("source", ss.Name).Uint64("frames", ss.Frames).Uint64("bytes", ss.Bytes).
			Uint64("dropped", ss.Dropped).Msg("capture")
	}
	if src.Kernel != nil {
		if k, err := src.Kernel(); err != nil {
			log.Warn().Err(err).Msg("reading the kernel counters")
		} else {
			for _, ic := range k.Interfaces {
				log.Info().Str("iface", ic.Iface).Str("hook", Hook(ic.Egress)).Uint64("packets", ic.Packets).
					Uint64("bytes", ic.Bytes).Uint64("handoffs", ic.Handoff).Uint64("ringbuf_full", ic.RingbufFull).
					Uint64("enforce_drops", ic.EnforceDrops).Msg("kernel interface")
			}
		}
	}
	var alerts uint64
	for _, n := range s.Alerts {
		alerts += n
	}
	log.Info().Uint64("decoded", s.Decode.Decoded).Uint64("skipped", s.Decode.Skipped()).Uint64("queue_drops", s.QueueDrops).
		Int("flows", s.Flow.Flows).Uint64("flows_evicted", s.Flow.Evicted).Uint64("alerts", alerts).
		Strs("top_countries", s.TopCountries(5)).Msg("pipeline")
	if src.Sinks != nil {
		for _, o := range src.Sinks() {
			log.Info().Str("output", o.Name).Uint64("written", o.Written).Uint64("dropped", o.Dropped.Total()).
				Uint64("errors", o.Errors).Int("queue", o.QueueDepth).Msg("output")
		}
	}
}
