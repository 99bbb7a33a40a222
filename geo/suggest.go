package geo

import "strings"

// Closest returns the candidate nearest to s in edit distance, ignoring case,
// and that distance; ties go to the earlier candidate. With no candidates it
// returns "", -1. Callers decide how near is near enough to suggest: zone
// names here, rule-file words in package rules.
func Closest(s string, candidates []string) (string, int) {
	ls := strings.ToLower(s)
	best, bestD := "", -1
	for _, c := range candidates {
		if d := editDistance(ls, strings.ToLower(c)); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best, bestD
}

// editDistance is the Damerau (optimal string alignment) distance between a
// and b in bytes: insertions, deletions, substitutions and transpositions.
// Words over 256 bytes are not compared, only told equal or not, so a hostile
// input cannot make an error message quadratic.
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		if a == b {
			return 0
		}
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
