package tail

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of what Format prints of one field, so that a hostile line
// cannot make an endless output line.
const (
	maxField     = 64  // an address, a kind, a country, a jurisdiction
	maxSignature = 160 // the rule message
	maxJur       = 3   // jurisdictions listed per side, then "+N"
)

// ANSI SGR sequences of the colours; the severity is also written as text
// (sev1…), so nothing depends on telling the colours apart.
const (
	sgrReset = "\x1b[0m"
	sgrBold  = "\x1b[1m"
)

var sevColour = map[int]string{1: "\x1b[1;31m", 2: "\x1b[1;33m", 3: "\x1b[36m"}

// Format appends r as one line (with its newline) to dst:
//
//	2026-11-25 22:21:25.123 sev2 scan          9100001 inbound RU 203.0.113.7:51514 → DE 192.0.2.10:22 TCP [ru,forbidden → home,eu] 100 ports, 1 host, 120 pkts, 7.2 kB "BORDERWATCH port scan"
//
// The time is UTC with milliseconds; then the severity (1 is the
// highest), the kind, the rule id, the jurisdiction direction, source and
// destination with their countries ("??" unknown), the protocol, the
// jurisdictions of each end (at most three, then "+N"), what the detector
// counted, and the rule message, quoted. A blocked alert says BLOCKED
// after the kind. With colour, the severity and BLOCKED are coloured.
// Every string from the record is bounded and printed with control
// characters escaped.
func Format(dst []byte, r *Record, colour bool) []byte {
	dst = r.Time.UTC().AppendFormat(dst, "2006-01-02 15:04:05.000")
	dst = append(dst, ' ')
	if c := sevColour[r.Severity]; colour && c != "" {
		dst = append(dst, c...)
	}
	dst = append(dst, "sev"...)
	dst = strconv.AppendInt(dst, int64(r.Severity), 10)
	if colour && sevColour[r.Severity] != "" {
		dst = append(dst, sgrReset...)
	}
	dst = append(dst, ' ')
	kind := len(dst)
	dst = appendSafe(dst, or(r.Kind, "-"), maxField)
	for n := utf8.RuneCount(dst[kind:]); n < len("amplification"); n++ {
		dst = append(dst, ' ')
	}
	if r.Action == "blocked" {
		if colour {
			dst = append(dst, " "+sgrBold+"\x1b[31mBLOCKED"+sgrReset...)
		} else {
			dst = append(dst, " BLOCKED"...)
		}
	}
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, r.SID, 10)
	dst = append(dst, ' ')
	dst = appendSafe(dst, or(r.Direction, "-"), maxField)
	dst = append(dst, ' ')
	dst = appendEnd(dst, r.SrcCountry, r.SrcIP, r.SrcPort)
	dst = append(dst, " → "...)
	dst = appendEnd(dst, r.DestCountry, r.DestIP, r.DestPort)
	dst = append(dst, ' ')
	dst = appendSafe(dst, or(r.Proto, "?"), maxField)
	if r.HasICMP {
		dst = append(dst, " type "...)
		dst = strconv.AppendInt(dst, int64(r.ICMPType), 10)
	}
	dst = append(dst, " ["...)
	dst = appendJur(dst, r.SrcJur)
	dst = append(dst, " → "...)
	dst = appendJur(dst, r.DestJur)
	dst = append(dst, "] "...)
	counts := len(dst)
	dst = appendCount(dst, counts, r.Ports, "port", "ports")
	dst = appendCount(dst, counts, r.Hosts, "host", "hosts")
	dst = appendCount(dst, counts, r.Sources, "source", "sources")
	if r.Packets > 0 || r.Bytes > 0 {
		dst = appendCount(dst, counts, int64(min(r.Packets, 1<<62)), "pkt", "pkts")
		dst = append(dst, ", "...)
		dst = appendBytes(dst, r.Bytes)
	}
	if len(dst) > counts {
		dst = append(dst, ' ')
	}
	dst = appendQuoted(dst, r.Signature, maxSignature)
	return append(dst, '\n')
}

// appendEnd writes "CC address[:port]"; an IPv6 address with a port is
// bracketed.
func appendEnd(dst []byte, cc, ip string, port int) []byte {
	dst = appendSafe(dst, or(cc, "??"), maxField)
	dst = append(dst, ' ')
	v6 := strings.Contains(ip, ":")
	if v6 && port != 0 {
		dst = append(dst, '[')
	}
	dst = appendSafe(dst, or(ip, "-"), maxField)
	if v6 && port != 0 {
		dst = append(dst, ']')
	}
	if port != 0 {
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(port), 10)
	}
	return dst
}

func appendJur(dst []byte, j []string) []byte {
	if len(j) == 0 {
		return append(dst, '-')
	}
	for i, s := range j {
		if i == maxJur {
			dst = append(dst, ",+"...)
			return strconv.AppendInt(dst, int64(len(j)-maxJur), 10)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendSafe(dst, s, maxField)
	}
	return dst
}

func appendCount(dst []byte, start int, n int64, one, many string) []byte {
	if n <= 0 {
		return dst
	}
	if len(dst) > start {
		dst = append(dst, ", "...)
	}
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(dst, ' ')
	if n == 1 {
		return append(dst, one...)
	}
	return append(dst, many...)
}

// appendBytes writes a byte count with a decimal unit: 512 B, 7.2 kB, 1.5 MB.
func appendBytes(dst []byte, n uint64) []byte {
	units := []struct {
		name string
		v    float64
	}{{" TB", 1e12}, {" GB", 1e9}, {" MB", 1e6}, {" kB", 1e3}}
	for _, u := range units {
		if float64(n) >= u.v {
			dst = strconv.AppendFloat(dst, float64(n)/u.v, 'f', 1, 64)
			return append(dst, u.name...)
		}
	}
	dst = strconv.AppendUint(dst, n, 10)
	return append(dst, " B"...)
}

// appendSafe appends at most max runes of s, escaping what is not a
// printable character (control characters, invalid UTF-8, bidirectional
// controls) as \xNN or \uNNNN, and marking a cut with "…".
func appendSafe(dst []byte, s string, max int) []byte {
	return appendEscaped(dst, s, max, false)
}

// appendQuoted appends s as appendSafe does, between double quotes and
// with \ and " escaped.
func appendQuoted(dst []byte, s string, max int) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s, max, true)
	return append(dst, '"')
}

func appendEscaped(dst []byte, s string, max int, quoted bool) []byte {
	n := 0
	for i, c := range s {
		if n == max {
			return append(dst, "…"...)
		}
		n++
		switch {
		case c == utf8.RuneError && isInvalid(s[i:]):
			dst = append(dst, `\x`...)
			dst = appendHex(dst, uint64(s[i]), 2)
		case c < 0x20 || c == 0x7f:
			dst = append(dst, `\x`...)
			dst = appendHex(dst, uint64(c), 2)
		case quoted && (c == '"' || c == '\\'):
			dst = append(dst, '\\', byte(c))
		case !unicode.IsPrint(c) || unicode.Is(unicode.Bidi_Control, c):
			if c > 0xffff {
				dst = append(dst, `\U`...)
				dst = appendHex(dst, uint64(c), 8)
			} else {
				dst = append(dst, `\u`...)
				dst = appendHex(dst, uint64(c), 4)
			}
		default:
			dst = utf8.AppendRune(dst, c)
		}
	}
	return dst
}

func isInvalid(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return r == utf8.RuneError && size <= 1
}

func appendHex(dst []byte, v uint64, width int) []byte {
	const hex = "0123456789abcdef"
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, hex[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
