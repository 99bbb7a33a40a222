package sink

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/borderwatch/borderwatch/internal/strictyaml"
)

// Redacted replaces a secret wherever configuration is printed or an error
// quotes it.
const Redacted = "xxxxx"

// IsSecretKey tells whether a setting or URL parameter named key holds a
// secret: a password, token or secret of any kind. A key ending in _file
// or _env (password_file, token_env) names where a secret is, not the
// secret: it is not one.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "_file") || strings.HasSuffix(k, "_env") {
		return false
	}
	for _, w := range []string{"password", "passwd", "pass", "pwd", "token", "secret", "auth", "apikey", "api_key", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// RedactURL returns the output URL s with its secrets replaced by
// Redacted: the userinfo password (the whole userinfo when it has no
// password, as a lone user part is often a token) and the values of secret
// query parameters (IsSecretKey). It works on malformed URLs too, as it
// cuts s by hand instead of parsing it.
func RedactURL(s string) string {
	out, _ := redactURL(s)
	return out
}

// redactURL is RedactURL, also returning the secrets it took out (raw and
// percent-decoded), to scrub them from messages that quote parts of s.
func redactURL(s string) (string, []string) {
	var secrets []string
	rest, frag, hasFrag := strings.Cut(s, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	if scheme, after, ok := strings.Cut(base, "://"); ok && scheme != "file" {
		// Everything up to the last "@" is userinfo, even with an
		// unescaped "/" or "@" in the password.
		if at := strings.LastIndexByte(after, '@'); at >= 0 {
			user, pw, hasPW := strings.Cut(after[:at], ":")
			if hasPW {
				secrets = append(secrets, pw)
				base = scheme + "://" + user + ":" + Redacted + after[at:]
			} else {
				secrets = append(secrets, user)
				base = scheme + "://" + Redacted + after[at:]
			}
		}
	}
	if hasQuery {
		params := strings.Split(query, "&")
		for i, p := range params {
			k, v, ok := strings.Cut(p, "=")
			if ok && v != "" && IsSecretKey(k) {
				secrets = append(secrets, v)
				params[i] = k + "=" + Redacted
			}
		}
		base += "?" + strings.Join(params, "&")
	}
	if hasFrag {
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

// redactError returns err with the output URL s and its secrets replaced
// in its text: parse errors quote the URL, and net/url quotes it again.
func redactError(err error, s string) error {
	if err == nil {
		return nil
	}
	red, secrets := redactURL(s)
	if len(secrets) == 0 {
		return err
	}
	msg := err.Error()
	q, rq := strconv.Quote(s), strconv.Quote(red)
	msg = strings.ReplaceAll(msg, q[1:len(q)-1], rq[1:len(rq)-1])
	msg = strings.ReplaceAll(msg, s, red)
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		if qs := strconv.Quote(sec); len(qs) > 2 {
			msg = strings.ReplaceAll(msg, qs[1:len(qs)-1], Redacted)
		}
		msg = strings.ReplaceAll(msg, sec, Redacted)
	}
	return errors.New(msg)
}

// oneLine escapes the control and format characters (newlines, bidi
// overrides) of a configured value an error prints unquoted, such as the
// address in an output's name, so that the error stays one line of the log
// and cannot forge others (strictyaml.OneLine).
func oneLine(s string) string { return strictyaml.OneLine(s) }
