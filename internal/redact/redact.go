package redact

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Marker replaces a secret wherever configuration is printed or an error
// or log line quotes it.
const Marker = "xxxxx"

// SecretKey tells whether a setting or URL parameter named key holds a
// secret: a password, token or secret of any kind. A key ending in _file
// or _env (password_file, token_env) names where a secret is, not the
// secret: it is not one.
func SecretKey(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "_file") || strings.HasSuffix(k, "_env") {
		return false
	}
	for _, w := range []string{"password", "passwd", "pass", "pwd", "token", "secret", "auth", "apikey", "api_key", "credential", "signature"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// URL is s, one of borderwatch's own URLs, with its secrets replaced by
// Marker: the userinfo password (the whole userinfo without a password),
// the values of secret query parameters (SecretKey) and the fragment.
func URL(s string) string {
	out, _ := cut(s, false)
	return out
}

// ForeignURL is s, another server's URL, with the whole userinfo, every
// query value and the fragment replaced by Marker.
func ForeignURL(s string) string {
	out, _ := cut(s, true)
	return out
}

// cut redacts s and also returns the secrets it took out (raw and
// percent-decoded), to scrub them from messages that quote parts of s.
// foreign: the whole userinfo and every query value are secrets.
func cut(s string, foreign bool) (string, []string) {
	var secrets []string
	s, secrets = unencodedUserinfo(s, foreign)
	rest, frag, hasFrag := strings.Cut(s, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	if scheme, after, ok := strings.Cut(base, "://"); ok && scheme != "file" {
		// Everything up to the last "@" is userinfo, even with an
		// unescaped "/" or "@" in the password.
		if at := strings.LastIndexByte(after, '@'); at >= 0 {
			user, pw, hasPW := strings.Cut(after[:at], ":")
			switch {
			case hasPW && !foreign:
				secrets = append(secrets, pw)
				base = scheme + "://" + user + ":" + Marker + after[at:]
			default:
				secrets = append(secrets, after[:at], user)
				if hasPW {
					secrets = append(secrets, pw)
				}
				base = scheme + "://" + Marker + after[at:]
			}
		}
	}
	if hasQuery {
		params := strings.Split(query, "&")
		for i, p := range params {
			k, v, ok := strings.Cut(p, "=")
			if v != "" && (foreign || SecretKey(k)) {
				secrets = append(secrets, v)
				params[i] = k + "=" + Marker
			} else if !ok && foreign && k != "" {
				// A bare value (?TOKEN) is a value too.
				secrets = append(secrets, k)
				params[i] = Marker
			}
		}
		base += "?" + strings.Join(params, "&")
	}
	if hasFrag {
		if frag != "" {
			secrets = append(secrets, frag)
			frag = Marker
		}
		base += "#" + frag
	}
	for _, sec := range secrets {
		if dec, err := url.PathUnescape(sec); err == nil && dec != sec {
			secrets = append(secrets, dec)
		}
		if dec, err := url.QueryUnescape(sec); err == nil && dec != sec {
			secrets = append(secrets, dec)
		}
	}
	return base, secrets
}

// unencodedUserinfo takes out a userinfo whose password holds an
// unencoded "?" or "#" (redis://:pa?ss@host/0), which would otherwise be
// read as the start of the query or fragment and shown: when the
// authority (up to the first "/", "?" or "#") has no "@" but the text up
// to the first "/" has, that text up to its last "@" is the userinfo. It
// returns s with the userinfo replaced as cut does (the user kept in an
// own URL, the whole userinfo replaced in a foreign one) and the secrets
// taken out; s as it is when there is no such userinfo, or when s parses
// and a parameter holds the "@" (a "=" between the "?" and the "@":
// redis://h:6379?key=bw@site1).
func unencodedUserinfo(s string, foreign bool) (string, []string) {
	scheme, after, ok := strings.Cut(s, "://")
	if !ok || scheme == "file" {
		return s, nil
	}
	seg := after
	if i := strings.IndexByte(after, '/'); i >= 0 {
		seg = after[:i]
	}
	auth := seg
	if i := strings.IndexAny(seg, "?#"); i >= 0 {
		auth = seg[:i]
	} else {
		return s, nil
	}
	at := strings.LastIndexByte(seg, '@')
	if strings.Contains(auth, "@") || at < 0 {
		return s, nil
	}
	if _, err := url.Parse(s); err == nil && strings.Contains(seg[len(auth)+1:at], "=") {
		// A URL that parses, with a query parameter holding the "@"
		// (redis://h:6379?key=bw@site1): no userinfo.
		return s, nil
	}
	info := seg[:at]
	user, pw, hasPW := strings.Cut(info, ":")
	// The pieces between the "?" and "#" too: a parse error quotes the
	// URL cut at the first of them.
	pieces := func(sec string) []string {
		return append([]string{sec}, strings.FieldsFunc(sec, func(r rune) bool { return r == '?' || r == '#' })...)
	}
	if hasPW && !foreign {
		return scheme + "://" + user + ":" + Marker + after[at:], pieces(pw)
	}
	secrets := append(pieces(info), user)
	if hasPW {
		secrets = append(secrets, pieces(pw)...)
	}
	return scheme + "://" + Marker + after[at:], secrets
}

// Error is err with the URLs it quotes redacted: each of urls (as URL),
// and the URL of a *url.Error in its chain (as ForeignURL: net/http's
// errors are about another server, unless it is one of urls), with the
// secrets taken out of them scrubbed from the whole text. nil stays nil;
// an error quoting no URL is returned as it is. The result unwraps to the
// cause of the *url.Error (so errors.Is(err, context.DeadlineExceeded)
// still holds) when that cause quotes none of the secrets, never to an
// error quoting the URL.
func Error(err error, urls ...string) error {
	if err == nil {
		return nil
	}
	type found struct {
		raw, red string
		secrets  []string
	}
	var all []found
	var cause error
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Err != nil {
			// A nested *url.Error (redirects) is redacted by the call.
			cause = Error(ue.Err)
		}
		if !slices.Contains(urls, ue.URL) {
			red, secrets := cut(ue.URL, true)
			all = append(all, found{ue.URL, red, secrets})
		}
	}
	for _, u := range urls {
		red, secrets := cut(u, false)
		all = append(all, found{u, red, secrets})
	}
	clean := func(msg string) string {
		for _, f := range all {
			msg = scrub(msg, f.raw, f.red, f.secrets)
		}
		return msg
	}
	msg := err.Error()
	if cause != nil {
		if inner := ue.Err.Error(); inner != cause.Error() {
			msg = strings.ReplaceAll(msg, inner, cause.Error())
		}
		if clean(cause.Error()) != cause.Error() {
			cause = nil // it quotes a secret: not to be printed by anyone
		}
	}
	msg = clean(msg)
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, cause: cause}
}

// redacted is an error whose text was redacted; it unwraps to the cause of
// the *url.Error it came from, or to nothing.
type redacted struct {
	msg   string
	cause error
}

func (e *redacted) Error() string { return e.msg }

func (e *redacted) Unwrap() error { return e.cause }

// minScrub is the shortest secret scrubbed from a message by itself:
// shorter ones (a one-letter user) would mangle the message and protect
// nothing. The URL quoted whole is replaced whatever its secrets' length.
const minScrub = 4

// scrub replaces s (raw and as Go quotes it) with red, then each secret
// of at least minScrub bytes (raw and quoted, longest first), in msg.
func scrub(msg, s, red string, secrets []string) string {
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	if s != "" {
		if q, rq := strconv.Quote(s), strconv.Quote(red); q != rq {
			msg = strings.ReplaceAll(msg, q[1:len(q)-1], rq[1:len(rq)-1])
		}
		msg = strings.ReplaceAll(msg, s, red)
	}
	for _, sec := range secrets {
		if len(sec) < minScrub || sec == Marker {
			continue
		}
		if qs := strconv.Quote(sec); len(qs) > 2 {
			msg = strings.ReplaceAll(msg, qs[1:len(qs)-1], Marker)
		}
		msg = strings.ReplaceAll(msg, sec, Marker)
	}
	return msg
}
