// Package metrics exports the sensor's counters to Prometheus.
//
// Nothing here is updated per packet: a Collector reads the Stats snapshots
// of the pipeline, the alert outputs and the kernel stage when Prometheus
// scrapes, and turns them into constant metrics. Every metric is named
// borderwatch_*; the list, with labels, is in the Collector's descriptors
// (and deploy/grafana-dashboard.json uses them).
package metrics
