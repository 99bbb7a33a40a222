// Package retryafter reads the Retry-After header of an HTTP reply (429,
// 503; RFC 9110 section 10.2.3), the one reader the list feeds, TAXII
// pushes and the TAXII alert output share.
package retryafter

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Max is the longest wait a server can ask for: a longer one, or a number
// of seconds of any length, counts as Max. Callers bound it further by
// their own backoff maximum.
const Max = time.Hour

// Parse is the wait a Retry-After value h asks for at now: delay-seconds
// (digits only) or an HTTP date, at least 0 (a date in the past) and at
// most Max. ok is false, and the wait 0, when h is empty, negative, or
// neither form.
func Parse(h string, now time.Time) (wait time.Duration, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(h, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		// A number too long for 64 bits is a very long wait, not junk.
		if n >= uint64(Max/time.Second) || err != nil {
			return Max, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), Max), true
}
