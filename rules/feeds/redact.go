package feeds

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Redacted is u as shown in logs, errors, status and metrics: the user
// info is dropped (user:pass@ → ***@) and every query value is replaced
// (tokens are often passed as ?key=…): https://***@host/path?key=***.
func Redacted(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	var b strings.Builder
	b.WriteString(c.Scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString("***@")
	}
	b.WriteString(c.Host)
	b.WriteString(c.EscapedPath())
	if c.RawQuery != "" {
		q := c.Query()
		parts := make([]string, 0, len(q))
		for _, k := range sortedKeys(q) {
			parts = append(parts, url.QueryEscape(k)+"=***")
		}
		b.WriteString("?")
		b.WriteString(strings.Join(parts, "&"))
	}
	return b.String()
}

// redactedString redacts a URL given as a string; one that does not parse
// is not shown at all.
func redactedString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(bad URL)"
	}
	return Redacted(u)
}

// cleanErr rewrites the URL of a net/http error (*url.Error quotes the
// request's URL, credentials and query included) in its redacted form.
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactedString(ue.URL), Err: cleanInner(ue.Err)}
	}
	return err
}

// cleanInner drops an inner *url.Error (redirect errors nest them).
func cleanInner(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New(ue.Err.Error())
	}
	return err
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
