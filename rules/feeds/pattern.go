package feeds

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Bounds of a STIX pattern.
const (
	maxPatternBytes       = 64 << 10
	maxPatternComparisons = 4096
	maxPatternDepth       = 16
)

// errUnsupported marks a pattern that is valid STIX but not an address
// list: other object types, AND, qualifiers, other operators.
var errUnsupported = errors.New("unsupported pattern")

// patternPrefixes reads the addresses of a STIX 2.1 pattern made only of
// ipv4-addr:value and ipv6-addr:value comparisons (= or ISSUBSET) joined
// by OR, within and between observation expressions:
//
//	[ipv4-addr:value = '198.51.100.7']
//	[ipv4-addr:value = '198.51.100.0/24' OR ipv6-addr:value = '2001:db8::1']
//	[ipv4-addr:value = '192.0.2.1'] OR ([ipv6-addr:value ISSUBSET '2001:db8::/32'])
//
// Any other pattern is errUnsupported (wrapped); a malformed one another
// error.
func patternPrefixes(pattern string) ([]netip.Prefix, error) {
	if len(pattern) > maxPatternBytes {
		return nil, fmt.Errorf("pattern longer than %d bytes", maxPatternBytes)
	}
	toks, err := lexPattern(pattern)
	if err != nil {
		return nil, err
	}
	p := &patternParser{toks: toks}
	if err := p.observations(0); err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("%w: %q after the expression", errUnsupported, excerpt(p.toks[p.i].text))
	}
	return p.out, nil
}

type tokKind int

const (
	tokWord tokKind = iota // object path, keyword, operator
	tokString
	tokPunct // [ ] ( )
)

type token struct {
	kind tokKind
	text string
}

func lexPattern(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '[' || c == ']' || c == '(' || c == ')':
			toks = append(toks, token{tokPunct, s[i : i+1]})
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '\''; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("unterminated string in the pattern")
			}
			toks = append(toks, token{tokString, b.String()})
			i = j + 1
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			toks = append(toks, token{tokWord, s[i:j]})
			i = j
		default:
			// A word; an object path may quote a component after a dot
			// (file:hashes.'SHA-256').
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n[]()=!<>", rune(s[j])) {
				if s[j] == '\'' {
					if j == i || s[j-1] != '.' {
						break
					}
					k := strings.IndexByte(s[j+1:], '\'')
					if k < 0 {
						return nil, errors.New("unterminated string in the pattern")
					}
					j += k + 1
				}
				j++
			}
			toks = append(toks, token{tokWord, s[i:j]})
			i = j
		}
		if len(toks) > 4*maxPatternComparisons {
			return nil, fmt.Errorf("pattern of more than %d comparisons", maxPatternComparisons)
		}
	}
	return toks, nil
}

type patternParser struct {
	toks []token
	i    int
	out  []netip.Prefix
}

func (p *patternParser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

func (p *patternParser) expect(text string) error {
	t, ok := p.peek()
	if !ok || t.kind == tokString || t.text != text {
		got := "the end"
		if ok {
			got = fmt.Sprintf("%q", excerpt(t.text))
		}
		return fmt.Errorf("malformed pattern: want %q, got %s", text, got)
	}
	p.i++
	return nil
}

// observations: observation (OR observation)*, where an observation is
// [comparisons] or (observations).
func (p *patternParser) observations(depth int) error {
	if depth > maxPatternDepth {
		return fmt.Errorf("pattern nested deeper than %d", maxPatternDepth)
	}
	for {
		t, ok := p.peek()
		switch {
		case ok && t.text == "[":
			p.i++
			if err := p.comparisons(depth + 1); err != nil {
				return err
			}
			if err := p.expect("]"); err != nil {
				return err
			}
		case ok && t.text == "(":
			p.i++
			if err := p.observations(depth + 1); err != nil {
				return err
			}
			if err := p.expect(")"); err != nil {
				return err
			}
		default:
			return errors.New("malformed pattern: want [ or (")
		}
		t, ok = p.peek()
		if !ok || t.text == ")" {
			return nil
		}
		if !strings.EqualFold(t.text, "OR") || t.kind != tokWord {
			return fmt.Errorf("%w: %q between observations", errUnsupported, excerpt(t.text))
		}
		p.i++
	}
}

// comparisons: comparison (OR comparison)*, a comparison being
// PATH OP 'value' or (comparisons).
func (p *patternParser) comparisons(depth int) error {
	if depth > maxPatternDepth {
		return fmt.Errorf("pattern nested deeper than %d", maxPatternDepth)
	}
	for {
		t, ok := p.peek()
		if ok && t.text == "(" {
			p.i++
			if err := p.comparisons(depth + 1); err != nil {
				return err
			}
			if err := p.expect(")"); err != nil {
				return err
			}
		} else if err := p.comparison(); err != nil {
			return err
		}
		t, ok = p.peek()
		if !ok || t.text == "]" || t.text == ")" {
			return nil
		}
		if !strings.EqualFold(t.text, "OR") || t.kind != tokWord {
			return fmt.Errorf("%w: %q in an observation", errUnsupported, excerpt(t.text))
		}
		p.i++
	}
}

func (p *patternParser) comparison() error {
	if p.i+3 > len(p.toks) {
		return errors.New("malformed pattern: incomplete comparison")
	}
	path, op, val := p.toks[p.i], p.toks[p.i+1], p.toks[p.i+2]
	if path.kind != tokWord || op.kind != tokWord || val.kind != tokString {
		if path.kind == tokWord && strings.EqualFold(path.text, "NOT") || op.kind == tokWord && strings.EqualFold(op.text, "NOT") {
			return fmt.Errorf("%w: NOT", errUnsupported)
		}
		return errors.New("malformed pattern: want PATH OPERATOR 'value'")
	}
	p.i += 3
	var v6 bool
	switch strings.ToLower(path.text) {
	case "ipv4-addr:value":
	case "ipv6-addr:value":
		v6 = true
	default:
		return fmt.Errorf("%w: object path %q", errUnsupported, excerpt(path.text))
	}
	if op.text != "=" && !strings.EqualFold(op.text, "ISSUBSET") {
		return fmt.Errorf("%w: operator %q", errUnsupported, excerpt(op.text))
	}
	var pfx netip.Prefix
	if strings.Contains(val.text, "/") {
		q, err := netip.ParsePrefix(val.text)
		if err != nil {
			return fmt.Errorf("bad CIDR %q in the pattern", excerpt(val.text))
		}
		pfx = q.Masked()
	} else {
		a, err := netip.ParseAddr(val.text)
		if err != nil || a.Zone() != "" {
			return fmt.Errorf("bad address %q in the pattern", excerpt(val.text))
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if a := pfx.Addr(); a.Is4() == v6 && !a.Is4In6() {
		return fmt.Errorf("address %q is not of the pattern's type %s", excerpt(val.text), path.text)
	}
	if len(p.out) >= maxPatternComparisons {
		return fmt.Errorf("pattern of more than %d addresses", maxPatternComparisons)
	}
	p.out = append(p.out, pfx)
	return nil
}
