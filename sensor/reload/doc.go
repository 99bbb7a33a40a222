// Package reload replaces the running rules, lists, zones and GeoIP table
// of every component at once: prepare, then commit.
//
// A reload builds the new rule set and geo table (Build), asks every target
// to prepare its new state from them — check it and build it without
// touching the running one — and only when all of them succeeded commits
// them, in order. A failure in Build or in any Prepare aborts what was
// prepared and leaves every component as it was, so that user space and
// the kernel stage never disagree on the rules or the jurisdictions.
package reload
