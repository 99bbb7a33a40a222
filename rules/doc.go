// Package rules reads borderwatch's rule files and turns them into the checked,
// compiled form the detectors run.
//
// A rule file is strict YAML (an unknown key is an error) holding rules,
// address lists and jurisdiction zones. Load reads the embedded default pack
// (default/*.yaml, unless Options.NoDefaults) and then every file or folder
// the user gave, decodes each rule as a RuleSpec (what the user wrote),
// compiles it into a Rule (every field valid and typed: kind, filters,
// threshold, window) and returns a Set: the rules to run, the disabled ones,
// the zones and the address lists (ParseList: plain, FireHOL netset,
// Spamhaus DROP text and JSON, iprep; bad lines are reported by line and
// skipped).
//
//	set, err := rules.Load(rules.Options{Paths: paths, Geo: geoConfig})
//	if err != nil {
//		// every problem, joined: FILE:LINE:COL: rule 1001: reason
//	}
//
// Every reader is bounded (MaxRuleFileSize, MaxListFileSize, line and entry
// counts) and refuses non-regular files. Errors are *Error values naming the
// file, line, column, the rule, list or zone, and the reason, with a
// suggestion for a misspelt name; quoted input is short and sanitised. A
// failed Load returns no Set, so a reload that fails keeps the running one.
//
// Set.Drops translates the rules with action drop into what the kernel stage
// enforces. The sub-package verify checks the alerts of a capture against a
// rule author's expectations (`borderwatch rules test`).
package rules
