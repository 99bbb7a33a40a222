package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxExcerpt is the most bytes of input an error message quotes.
const maxExcerpt = 32

// excerpt is the part of s an error message may quote (with %q, which
// escapes non-printable characters): at most maxExcerpt bytes, cut before
// whatever usually follows a name in a file of secrets — after the first
// "=" or "$", and after the first ":" unless s reads as an IPv6 address —
// so that a list or rule file pointing at /etc/shadow or a credentials file
// quotes "root:..." and not the password hash. A cut is marked "...".
func excerpt(s string) string {
	cut := len(s)
	if i := secretStart(s); i >= 0 {
		cut = i
	}
	if cut > maxExcerpt {
		cut = maxExcerpt
	}
	if cut == len(s) {
		return s
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// secretStart is the index after the first "=", "$" or non-IPv6 ":" of s,
// or -1.
func secretStart(s string) int {
	v6 := looksIPv6(s)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '=', '$':
			return i + 1
		case ':':
			if !v6 {
				return i + 1
			}
		}
	}
	return -1
}

// looksIPv6 reports whether s, up to a zone (%) or prefix length (/), holds
// only hex digits, colons and dots.
func looksIPv6(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' || c == '/':
			return true
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == ':', c == '.':
		default:
			return false
		}
	}
	return true
}

// badText says why s cannot be a rule's name or description, or "": it must
// be valid UTF-8 without control characters (but newlines and tabs when
// multiline) and without format characters — bidirectional overrides and
// isolates (U+202A–U+202E, U+2066–U+2069), zero-width characters and the
// like — which would make the alert's signature read differently from what
// it is in a SIEM or a terminal.
func badText(s string, multiline bool) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		case multiline && (r == '\n' || r == '\t'):
		case unicode.IsControl(r):
			return fmt.Sprintf("control character %U at byte %d", r, i)
		case unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("format character %U at byte %d (bidirectional overrides, zero-width and other invisible characters are not allowed)", r, i)
		}
	}
	return ""
}
