package rules

import (
	"fmt"
	"strings"

	"github.com/borderwatch/borderwatch/geo"
)

// suggest returns the candidate closest to s when it is close enough to be an
// obvious typo (edit distance at most 2, and at most a third of the longer
// word), or "". Case is ignored.
func suggest(s string, candidates []string) string {
	best, d := geo.Closest(s, candidates)
	if d < 0 || d > 2 || d > max(len(s), len(best))/3 {
		return ""
	}
	return best
}

// didYouMean formats a suggestion suffix: ` (did you mean "x"?)` or "".
func didYouMean(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// oneOf formats a list of words as `a, b or c`.
func oneOf(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
