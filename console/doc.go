// Package console is borderwatch's live console and replay report.
//
// The live console is served by `borderwatch run` at / of the metrics
// listener (default 127.0.0.1:9467; /metrics stays Prometheus's): a world
// map drawn as server-side SVG (Natural Earth via world-atlas, embedded),
// shaded by inbound attack alerts or by the per-country traffic counters,
// home outlined, attack origins linked to home, a jurisdiction overlay; a
// live alert feed with filters and a detail view; a health panel; and a
// table view of the same data. The page loads one script and one style
// sheet from the sensor and nothing else (CSP without inline script).
//
// A Hub receives the pipeline's alerts (Hub.Wrap around the pipeline's
// sink) and fans them out to the live streams (/api/stream, server-sent
// events). Publish never waits for a client: each stream has a ring of
// Configuration.ClientBuffer alerts, a slow client loses the oldest
// (counted per stream and in borderwatch_console_stream_dropped_total), and
// a client that reads nothing for StreamWriteTimeout is disconnected.
// /api/snapshot is the sensor's state as JSON; docs/console.md documents
// the endpoints.
//
// Report collects a replay's alerts (bounded) and writes one self-contained
// HTML file: the same map, timelines by kind and by country, traffic per
// country, aggregated and listed alerts; no script, no network.
//
// Beyond loopback the console needs Configuration.Auth (HTTP basic
// authentication; TLS recommended): CheckListen refuses otherwise.
package console
