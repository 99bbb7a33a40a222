// Package sink delivers encoded alerts to their destinations: a file, stdout,
// syslog (RFC 5424 over UDP, TCP or TLS), Redis (list, channel or stream),
// Kafka, and a TAXII 2.1 collection (each batch's STIX 2.1 objects, made by
// package share with its rules of what may leave).
//
// Each destination is an Output with its own format, minimum severity, and a
// bounded in-memory queue drained by its own goroutine. Write never blocks:
// when the queue is full the alert is dropped and counted. Any failure — a
// connect, a write, a replay or an fsync — is an outage: the drain goroutine
// waits an exponential backoff with jitter, capped, before it tries again,
// and logs one line per outage and then at most one per ErrorLogInterval
// with the count of errors since. When a spool is configured it appends what
// it cannot deliver to a bounded spool file that it replays, oldest first,
// once the remote is back. Without a spool, the part of the batch that was
// not delivered is held and retried, and new alerts wait in the queue until
// it overflows. What a backend reports delivered before a failure is never
// sent again. Close is bounded by the output's drain timeout: after it, what
// is left goes to the spool or is dropped and counted (failed); a write that
// cannot be cut short gets one more second, then Close returns a StuckError.
// A Writer fans one alert out to several Outputs. Lines is the other mode:
// blocking and lossless, for standard output of a bounded run (replay,
// rules test), where waiting is right and a lost alert is a wrong answer.
//
// Every alert an output accepts (past its minimum severity) ends up counted
// exactly once: delivered (Written − Replayed), Spooled, or Dropped; while
// running, the rest is in the queue or held.
package sink
