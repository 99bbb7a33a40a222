// Package alert defines the alert record and writes it as JSON lines: the
// EVE-superset record by default, ECS on request.
package alert
