package feeds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TAXIIMediaType is the TAXII 2.1 media type.
const TAXIIMediaType = "application/taxii+json;version=2.1"

// Bounds of a TAXII pull.
const (
	maxTAXIIPages    = 10000
	maxTAXIIAttempts = 5    // tries of one page after 429 or 413
	taxiiPageSize    = 1000 // objects asked for per page (limit); halved after a 413
	// maxIndicators bounds the indicators a TAXII source keeps (revoked
	// and expired ones included).
	maxIndicators = 1 << 20
)

// taxiiIndicator is what a TAXII source keeps of an indicator.
type taxiiIndicator struct {
	Modified   time.Time      `json:"modified"`
	ValidFrom  time.Time      `json:"valid_from,omitzero"`
	ValidUntil time.Time      `json:"valid_until,omitzero"`
	Revoked    bool           `json:"revoked,omitempty"`
	Prefixes   []netip.Prefix `json:"prefixes,omitempty"`
}

// taxiiState is the cached data of a TAXII source.
type taxiiState struct {
	Indicators map[string]taxiiIndicator `json:"indicators"`
}

// live is whether the indicator is in force at now: not revoked, valid
// from valid_from, until (not at) valid_until.
func (ind *taxiiIndicator) live(now time.Time) bool {
	if ind.Revoked {
		return false
	}
	if !ind.ValidFrom.IsZero() && now.Before(ind.ValidFrom) {
		return false
	}
	return ind.ValidUntil.IsZero() || now.Before(ind.ValidUntil)
}

// prefixes are the addresses of the indicators in force at now.
func (s *taxiiState) prefixes(now time.Time) []netip.Prefix {
	var out []netip.Prefix
	for _, ind := range s.Indicators {
		if ind.live(now) {
			out = append(out, ind.Prefixes...)
		}
	}
	return out
}

// stixObject is the part of a STIX object a list source reads.
type stixObject struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Modified    string `json:"modified"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	ValidFrom   string `json:"valid_from"`
	ValidUntil  string `json:"valid_until"`
	Revoked     bool   `json:"revoked"`
}

// taxiiStats counts what a pull saw.
type taxiiStats struct {
	pages, objects, indicators, unsupported, bad int
	firstBad                                     string
}

// merge takes o into s, unless s holds a newer version of it.
func (s *taxiiState) merge(o *stixObject, st *taxiiStats) error {
	if o.Type != "indicator" {
		return nil
	}
	st.indicators++
	bad := func(format string, a ...any) {
		st.bad++
		if st.firstBad == "" {
			st.firstBad = fmt.Sprintf("indicator %s: ", excerpt(o.ID)) + fmt.Sprintf(format, a...)
		}
	}
	if !strings.HasPrefix(o.ID, "indicator--") || len(o.ID) > 128 {
		bad("bad id")
		return nil
	}
	mod, err := time.Parse(time.RFC3339Nano, o.Modified)
	if err != nil {
		bad("bad modified %q", excerpt(o.Modified))
		return nil
	}
	if prev, ok := s.Indicators[o.ID]; ok && prev.Modified.After(mod) {
		return nil // an older version
	}
	ind := taxiiIndicator{Modified: mod, Revoked: o.Revoked}
	for _, f := range []struct {
		s   string
		dst *time.Time
		key string
	}{{o.ValidFrom, &ind.ValidFrom, "valid_from"}, {o.ValidUntil, &ind.ValidUntil, "valid_until"}} {
		if f.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.s)
		if err != nil {
			bad("bad %s %q", f.key, excerpt(f.s))
			return nil
		}
		*f.dst = t
	}
	if !o.Revoked {
		switch {
		case o.PatternType != "" && o.PatternType != "stix":
			st.unsupported++
		default:
			p, err := patternPrefixes(o.Pattern)
			switch {
			case errors.Is(err, errUnsupported):
				st.unsupported++
			case err != nil:
				bad("%v", err)
			}
			ind.Prefixes = p
		}
	}
	if _, ok := s.Indicators[o.ID]; !ok && len(s.Indicators) >= maxIndicators {
		return fmt.Errorf("more than %d indicators in the collection", maxIndicators)
	}
	s.Indicators[o.ID] = ind
	return nil
}

// objectsURL is the collection's objects endpoint.
func objectsURL(coll *url.URL) *url.URL {
	u := *coll
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += "objects/"
	u.RawPath = ""
	return &u
}

// pullTAXII gets the collection's indicators added after addedAfter (all
// when empty), following more/next, into s. It returns the last
// X-TAXII-Date-Added-Last seen. 429 waits (Retry-After) and 413 halves the
// page size, up to maxTAXIIAttempts tries a page; 401 and 403 end the pull.
func pullTAXII(ctx context.Context, c *client, coll *url.URL, addedAfter string, b *budget, s *taxiiState, st *taxiiStats) (string, error) {
	base := objectsURL(coll)
	// A limit is always asked for: servers cap it at their own page size,
	// and OASIS's medallion fails (HTTP 500) a next request without one.
	limit, next, addedLast := taxiiPageSize, "", ""
	for page := 0; ; page++ {
		if page >= maxTAXIIPages {
			return "", fmt.Errorf("more than %d pages", maxTAXIIPages)
		}
		var resp *response
		for attempt := 1; ; attempt++ {
			q := url.Values{}
			q.Set("match[type]", "indicator")
			if addedAfter != "" {
				q.Set("added_after", addedAfter)
			}
			if next != "" {
				q.Set("next", next)
			}
			q.Set("limit", strconv.Itoa(limit))
			u := *base
			u.RawQuery = q.Encode()
			var err error
			resp, err = c.get(ctx, &u, map[string]string{"Accept": TAXIIMediaType}, b)
			if err == nil {
				break
			}
			var he *HTTPError
			if !errors.As(err, &he) || attempt >= maxTAXIIAttempts {
				return "", fmt.Errorf("page %d: %w", page+1, err)
			}
			switch he.Status {
			case http.StatusTooManyRequests, http.StatusServiceUnavailable:
				wait := he.RetryAfter
				if wait <= 0 {
					wait = time.Duration(attempt) * time.Second
				}
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return "", fmt.Errorf("page %d: %w (waiting %s to retry)", page+1, err, wait)
				case <-t.C:
				}
			case http.StatusRequestEntityTooLarge:
				limit = max(1, limit/2)
			default:
				return "", fmt.Errorf("page %d: %w", page+1, err)
			}
		}
		st.pages++
		ct, _, _ := mime.ParseMediaType(resp.header.Get("Content-Type"))
		if ct != "application/taxii+json" && ct != "application/json" {
			return "", fmt.Errorf("page %d: content type %q: not a TAXII 2.1 envelope", page+1, excerpt(ct))
		}
		var env struct {
			More    bool              `json:"more"`
			Next    string            `json:"next"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(resp.body, &env); err != nil {
			return "", fmt.Errorf("page %d: not a TAXII envelope: %s", page+1, jsonReason(err))
		}
		for _, raw := range env.Objects {
			st.objects++
			var o stixObject
			if err := json.Unmarshal(raw, &o); err != nil {
				st.bad++
				if st.firstBad == "" {
					st.firstBad = "object: " + jsonReason(err)
				}
				continue
			}
			if err := s.merge(&o, st); err != nil {
				return "", err
			}
		}
		if h := resp.header.Get("X-TAXII-Date-Added-Last"); h != "" {
			// Kept in the cache's metadata and sent back as added_after:
			// bounded like next.
			if len(h) > 1024 {
				return "", fmt.Errorf("page %d: X-TAXII-Date-Added-Last longer than 1024 bytes", page+1)
			}
			addedLast = h
		}
		if !env.More {
			return addedLast, nil
		}
		switch {
		case env.Next != "":
			if len(env.Next) > 1024 {
				return "", fmt.Errorf("page %d: next longer than 1024 bytes", page+1)
			}
			next = env.Next
		case addedLast != "" && addedLast != addedAfter:
			// more without next: go on from the last added (section 3.4).
			addedAfter, next = addedLast, ""
		default:
			return "", fmt.Errorf("page %d: more is true but there is neither next nor a new X-TAXII-Date-Added-Last", page+1)
		}
	}
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: want %s, got %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}
