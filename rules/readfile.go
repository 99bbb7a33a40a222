package rules

import "github.com/borderwatch/borderwatch/internal/boundedfile"

// Limits on what rule loading reads. Documented in docs/rules.md and the
// README.
const (
	// MaxListFileSize is the largest address list file read (64 MiB: the
	// largest public lists, FireHOL level 4 and the like, are a few MB).
	MaxListFileSize = 64 << 20
	// MaxListLine is the longest line of a list file.
	MaxListLine = 4096
	// MaxListEntries is the most entries (addresses and CIDRs) one list holds.
	MaxListEntries = 4 << 20
	// MaxRuleFileSize is the largest rule file read (the YAML limits of
	// strictyaml.Check bound what the parser does with it).
	MaxRuleFileSize = 4 << 20
	// MaxRules is the most rules (enabled and disabled) one rule set holds.
	MaxRules = 4096
	// MaxNameLen is the longest rule name (the alert's signature), in bytes.
	MaxNameLen = 256
	// MaxDescriptionLen is the longest rule description, in bytes.
	MaxDescriptionLen = 4096
)

// FormatSize writes a size in binary units: 64 MiB, 1.5 GiB, 512 B.
func FormatSize(n uint64) string { return boundedfile.FormatSize(n) }
