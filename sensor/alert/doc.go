// Package alert defines the alert record and writes it as JSON lines: the
// EVE-superset record by default, ECS on request.
//
// The detection engine fills an Alert, the pipeline enriches it, and an
// Encoder (NewEncoder, one per goroutine) appends its JSON line to a reused
// buffer; AppendEVE and AppendECS do the same with a pooled encoder. The
// sub-package sink delivers the lines.
package alert
