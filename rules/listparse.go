package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Format is an address list file format.
type Format string

// List formats. FormatAuto detects the format from the first entry.
const (
	FormatAuto             Format = "auto"
	FormatPlain            Format = "plain"              // one IP or CIDR a line; # and ; comments
	FormatNetset           Format = "netset"             // FireHOL .netset/.ipset: IPs and CIDRs, # comments
	FormatSpamhausDrop     Format = "spamhaus-drop"      // `1.2.3.0/24 ; SBL123`
	FormatSpamhausDropJSON Format = "spamhaus-drop-json" // ndjson lines with "cidr"
	FormatIPRep            Format = "iprep"              // Suricata iprep CSV: ip,category,score
)

var formatNames = []string{"auto", "plain", "netset", "ipset", "spamhaus-drop", "spamhaus-drop-json", "iprep"}

// ParseFormat parses a format name; "ipset" is an alias of "netset" and ""
// means auto.
func ParseFormat(s string) (Format, bool) {
	switch s {
	case "", "auto":
		return FormatAuto, true
	case "ipset":
		return FormatNetset, true
	case "plain", "netset", "spamhaus-drop", "spamhaus-drop-json", "iprep":
		return Format(s), true
	}
	return "", false
}

// maxListEntries is MaxListEntries; tests lower it.
var maxListEntries = MaxListEntries

// maxListErrors caps the bad lines reported per list file; the rest are
// counted in one last error.
const maxListErrors = 10

// LineError is a bad line of a list file.
type LineError struct {
	Line   int
	Reason string
}

// ParseList reads an address list in the given format (FormatAuto detects
// it). source names the file in the list; errors are per line: at most
// maxListErrors, then one counting the others. Lines longer than
// MaxListLine and entries beyond MaxListEntries are errors. Errors quote at
// most a short excerpt of the bad token, never a whole line.
func ParseList(name, source string, data []byte, format Format) (*List, []LineError) {
	l := &List{name: name, source: source}
	var errs []LineError
	nbad, firstHidden := 0, 0
	bad := func(line int, format string, args ...any) {
		nbad++
		if nbad > maxListErrors {
			if firstHidden == 0 {
				firstHidden = line
			}
			return
		}
		errs = append(errs, LineError{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if format == FormatAuto || format == "" {
		format = detectFormat(data)
	}
	l.format = format
	entries := 0
	n := 0
	for raw := range lines(data) {
		n++
		if len(raw) > MaxListLine {
			bad(n, "line longer than %d bytes", MaxListLine)
			continue
		}
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' {
			continue
		}
		var field string
		switch format {
		case FormatSpamhausDropJSON:
			var rec struct {
				CIDR *string `json:"cidr"`
				Type string  `json:"type"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				bad(n, "bad JSON: %v", jsonReason(err))
				continue
			}
			if rec.CIDR == nil {
				if rec.Type == "metadata" {
					continue
				}
				bad(n, `no "cidr" in the record`)
				continue
			}
			field = *rec.CIDR
		case FormatIPRep:
			parts := strings.Split(line, ",")
			if len(parts) != 3 {
				bad(n, "want ip,category,score; got %d fields", len(parts))
				continue
			}
			for j, p := range parts {
				parts[j] = strings.TrimSpace(p)
			}
			if _, err := strconv.ParseUint(parts[1], 10, 8); err != nil {
				bad(n, "category %q: want 0..255", excerpt(parts[1]))
				continue
			}
			if s, err := strconv.ParseUint(parts[2], 10, 8); err != nil || s > 127 {
				bad(n, "score %q: want 0..127", excerpt(parts[2]))
				continue
			}
			field = parts[0]
		default: // plain, netset, spamhaus-drop
			if j := strings.IndexAny(line, "#;"); j >= 0 {
				line = strings.TrimSpace(line[:j])
			}
			if line == "" {
				continue
			}
			if f := strings.Fields(line); len(f) != 1 {
				bad(n, "want one address or CIDR, got %q", excerpt(line))
				continue
			}
			field = line
		}
		p, masked, err := parseEntry(field)
		if err != nil {
			bad(n, "%v", err)
			continue
		}
		if entries++; entries > maxListEntries {
			bad(n, "more than %d entries (the limit of a list)", maxListEntries)
			break
		}
		if masked {
			l.masked++
		}
		l.table.Insert(p)
	}
	if nbad > maxListErrors {
		errs = append(errs, LineError{Line: firstHidden, Reason: fmt.Sprintf("%d more bad lines", nbad-maxListErrors)})
	}
	return l, errs
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}

// lines yields the lines of data, split on LF, CRLF or a lone CR, without
// copying; a final line ending yields no empty line.
func lines(data []byte) func(yield func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(data) > 0 {
			i := bytes.IndexAny(data, "\r\n")
			if i < 0 {
				yield(data)
				return
			}
			line := data[:i]
			if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			data = data[i+1:]
			if !yield(line) {
				return
			}
		}
	}
}

// detectFormat looks at the first entry: a JSON object is Spamhaus DROP JSON,
// a comma-separated line Suricata iprep, anything else the plain family
// (which also reads FireHOL netsets and Spamhaus DROP text).
func detectFormat(data []byte) Format {
	for raw := range lines(data) {
		if len(raw) > MaxListLine {
			continue
		}
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		switch {
		case line[0] == '{':
			return FormatSpamhausDropJSON
		case strings.Contains(line, ",") && !strings.ContainsAny(line, ";#"):
			return FormatIPRep
		case strings.Contains(line, ";"):
			return FormatSpamhausDrop
		}
		return FormatPlain
	}
	return FormatPlain
}

// parseEntry parses an IP or CIDR; a CIDR with host bits set is masked and
// reported. IPv4-mapped IPv6 is stored as IPv4.
func parseEntry(s string) (p netip.Prefix, masked bool, err error) {
	if strings.Contains(s, "/") {
		p, err = netip.ParsePrefix(s)
		if err != nil {
			return p, false, fmt.Errorf("bad CIDR %q", excerpt(s))
		}
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return p, false, fmt.Errorf("bad CIDR %q: IPv4-mapped prefix shorter than /96", excerpt(s))
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		m := p.Masked()
		return m, m != p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return p, false, fmt.Errorf("bad address %q: want an IP address or a CIDR", excerpt(s))
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), false, nil
}
