package feeds

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	dEntries = prometheus.NewDesc("borderwatch_list_entries", "Prefixes in the list in force of a list source (the list of the running rules).", []string{"list"}, nil)
	dPending = prometheus.NewDesc("borderwatch_list_pending",
		"1 when a list source's last good list was fetched but is not in force (waiting for the reload, or the reload failed: the log and borderwatch status say why), else 0.", []string{"list"}, nil)
	dChecked = prometheus.NewDesc("borderwatch_list_last_success_timestamp_seconds",
		"When a list source's list in force was last known current (a 200 or a 304 with its addresses); its age is time() minus this. Absent before the first success.", []string{"list"}, nil)
	dAge = prometheus.NewDesc("borderwatch_list_age_seconds",
		"Seconds since a list source's list in force was last known current (a 200 or a 304 with its addresses), at the scrape. Absent before the first success.", []string{"list"}, nil)
	dLastError = prometheus.NewDesc("borderwatch_list_last_error_timestamp_seconds",
		"When an update of a list source last failed (the reason is in borderwatch_list_errors_total, the message in the log and lists status). Absent before the first failure.", []string{"list"}, nil)
	dUpdated  = prometheus.NewDesc("borderwatch_list_last_change_timestamp_seconds", "When a list source's list in force last changed. Absent before the first list.", []string{"list"}, nil)
	dFailing  = prometheus.NewDesc("borderwatch_list_failures", "Failed updates of a list source since its last success (0: the last update succeeded).", []string{"list"}, nil)
	dOutcomes = prometheus.NewDesc("borderwatch_list_updates_total", "Updates of a list source by outcome (updated, not_modified, failed).", []string{"list", "outcome"}, nil)
	dErrors   = prometheus.NewDesc("borderwatch_list_errors_total",
		"Failed updates of a list source by reason (http_STATUS, timeout, tls, truncated, too_large, bad_list, network, cache).", []string{"list", "reason"}, nil)
)

// Describe implements prometheus.Collector.
func (m *Manager) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dEntries, dPending, dChecked, dAge, dLastError, dUpdated, dFailing, dOutcomes, dErrors} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Manager) Collect(ch chan<- prometheus.Metric) {
	for _, s := range m.sources() {
		s.mu.Lock()
		name := s.cfg.Name
		l, checked, updated := s.inForce()
		ch <- prometheus.MustNewConstMetric(dEntries, prometheus.GaugeValue, float64(l.Len()), name)
		pending := 0.0
		if l != s.list {
			pending = 1
		}
		ch <- prometheus.MustNewConstMetric(dPending, prometheus.GaugeValue, pending, name)
		if !checked.IsZero() {
			ch <- prometheus.MustNewConstMetric(dChecked, prometheus.GaugeValue, float64(checked.UnixMilli())/1e3, name)
			ch <- prometheus.MustNewConstMetric(dAge, prometheus.GaugeValue, m.now().Sub(checked).Seconds(), name)
		}
		if !s.meta.LastErrorAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(dLastError, prometheus.GaugeValue, float64(s.meta.LastErrorAt.UnixMilli())/1e3, name)
		}
		if !updated.IsZero() {
			ch <- prometheus.MustNewConstMetric(dUpdated, prometheus.GaugeValue, float64(updated.UnixMilli())/1e3, name)
		}
		ch <- prometheus.MustNewConstMetric(dFailing, prometheus.GaugeValue, float64(s.meta.Failures), name)
		for _, o := range []string{OutcomeUpdated, OutcomeNotModified, OutcomeFailed} {
			ch <- prometheus.MustNewConstMetric(dOutcomes, prometheus.CounterValue, float64(s.outcomes[o]), name, o)
		}
		for r, n := range s.reasons {
			ch <- prometheus.MustNewConstMetric(dErrors, prometheus.CounterValue, float64(n), name, r)
		}
		s.mu.Unlock()
	}
}
