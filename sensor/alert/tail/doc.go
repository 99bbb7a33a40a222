// Package tail reads alert files as an operator does: it parses the EVE and
// ECS lines the sensor writes (both layouts, told apart line by line),
// filters them by kind, country and severity, and prints one readable line
// per alert, or the matching lines unchanged. It follows a file as it
// grows, across rotation by rename (logrotate's create) and by truncation
// (copytruncate), and waits for a file that does not exist yet.
//
// Alert files are hostile input: a line longer than a bound is skipped and
// counted, as are lines that are not JSON or not alerts; the memory held is
// bounded whatever the input (a partial line, the last N alerts); strings
// from the file are printed with their control characters escaped, so a
// line cannot drive the terminal.
//
// `borderwatch tail` (cmd/borderwatch/tail_cmd.go) is its command line;
// the lab's formatter (internal/devtools/alertfmt) uses it too.
package tail
