// Package feeds keeps address lists fetched from the network for the
// reputation rules: lists served over HTTPS in the formats of package rules
// (Spamhaus DROP/EDROP JSON, FireHOL netset, plain, Suricata iprep), TAXII
// 2.1 collections (indicators with ipv4-addr/ipv6-addr patterns) and MISP
// feeds (to_ids ip-src/ip-dst attributes).
//
// A Manager is built from a Configuration. Open reads each source's last
// good list from the on-disk cache (the state folder), so that the sensor
// starts with it when the network is down; Update fetches every source now
// and Run refreshes each on its own interval, calling back when a list
// changed so that the caller swaps the new rule set in through its reload
// (prepare, then commit). Lists hands the current lists to rules.Load by
// name.
//
// Every fetch is bounded: the body by max_bytes (a longer or truncated
// body is refused), the request by a timeout, TLS certificates are
// verified (against a private CA when ca_file is given) and plain HTTP is
// refused unless the source allows it. Fetches are conditional (ETag,
// Last-Modified): a 304 keeps the list. On any failure the last good list
// stays, the error is logged (at most once per refresh interval and
// source) and shown by Status and the metrics. URLs are shown with their
// user info and query values redacted.
package feeds
