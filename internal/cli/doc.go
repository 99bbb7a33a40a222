// Package cli holds how borderwatch's cobra commands behave on bad usage,
// whatever the command: flag and argument errors are UsageErrors (the CLI
// exits 2 on them) with a suggestion of the closest flag or command; a
// command group run alone prints its help and rejects an unknown
// subcommand; `help TOPIC` rejects an unknown topic. cmd/borderwatch
// registers the commands and applies these to the tree once.
package cli
