package strictyaml

import (
	"fmt"
)

// Limits of every YAML input (rule files and the configuration file), checked
// by Check on the bytes before the YAML parser sees them: the parser's memory and time
// grow with nesting and with the number of nodes far beyond the file size
// (a 40 KB file of 20,000 nested "[" took 1.1 GB).
const (
	// MaxDepth is the deepest nesting of collections (flow [ and {,
	// block indentation and "- " entries together).
	MaxDepth = 32
	// MaxNodes bounds the number of entries (lines, flow items) of
	// one file.
	MaxNodes = 50_000
	// MaxAliases bounds the anchors (&a) and aliases (*a) of one file
	// together, against alias bombs.
	MaxAliases = 100
)

// Check scans YAML source for what makes the parser blow up — nesting
// deeper than MaxDepth, more than MaxNodes entries, more than
// MaxAliases anchors and aliases — in one pass, allocating only a stack
// of at most MaxDepth indentation levels. It returns nil or an *Error at
// the place the limit was passed (name is the file name shown). Parse runs
// it; call it alone on bytes that are changed before they are parsed.
//
// The scan is deliberately simple: it knows comments, quoted scalars,
// block scalars (| and >), flow collections and block indentation, and may
// count a little more than the parser would, never less.
func Check(name string, data []byte) *Error {
	s := yamlScan{data: data, line: 1, col: 1}
	return s.run(name)
}

type yamlScan struct {
	data      []byte
	i         int
	line, col int
	flow      int   // open flow collections
	indents   []int // columns of the open block levels
	nodes     int
	aliases   int
	// what precedes the current byte on its line, for the "start of a
	// token" test: 0 at the start of the content, else the last
	// non-space byte.
	prev        byte
	spaceBefore bool
}

func (s *yamlScan) errAt(name, format string, args ...any) *Error {
	return &Error{File: name, Line: s.line, Column: s.col, Msg: fmt.Sprintf(format, args...)}
}

func (s *yamlScan) advance() {
	if s.data[s.i] == '\n' {
		s.line++
		s.col = 1
	} else if s.data[s.i]&0xC0 != 0x80 { // count runes, not UTF-8 continuation bytes
		s.col++
	}
	s.i++
}

// tokenStart tells whether the current byte begins a token: at the start of
// a line's content, after a flow indicator, or after ": ", "- ", "? ".
func (s *yamlScan) tokenStart() bool {
	switch s.prev {
	case 0, '[', '{', ',':
		return true
	case ':', '-', '?':
		return s.spaceBefore
	}
	return false
}

func (s *yamlScan) depth() int { return s.flow + len(s.indents) }

func (s *yamlScan) run(name string) *Error {
	d := s.data
	for s.i < len(d) {
		// At the start of a line: indentation.
		ind := 0
		for s.i < len(d) && (d[s.i] == ' ' || d[s.i] == '\t') {
			s.advance()
			ind++
		}
		if s.i >= len(d) {
			break
		}
		c := d[s.i]
		if c == '\n' || c == '\r' || c == '#' || (ind == 0 && c == '%' && s.flow == 0) {
			s.skipLine()
			continue
		}
		if ind == 0 && (hasPrefixAt(d, s.i, "---") || hasPrefixAt(d, s.i, "...")) {
			// A document marker: a new document starts at no depth; what
			// follows the marker on the line is content.
			s.indents = s.indents[:0]
			for range 3 {
				s.advance()
			}
		} else if err := s.push(name, ind); err != nil {
			// Lines count as block levels also inside flow collections:
			// more than the parser sees, never less.
			return err
		}
		s.prev, s.spaceBefore = 0, false
		if err := s.lineContent(name); err != nil {
			return err
		}
	}
	return nil
}

// push opens a block level at column ind (closing the deeper ones) and
// counts an entry.
func (s *yamlScan) push(name string, ind int) *Error {
	for len(s.indents) > 0 && s.indents[len(s.indents)-1] >= ind {
		s.indents = s.indents[:len(s.indents)-1]
	}
	s.nodes++
	if s.nodes > MaxNodes {
		return s.errAt(name, "more than %d entries in one file", MaxNodes)
	}
	if s.depth() >= MaxDepth {
		return s.errAt(name, "nested more than %d levels deep", MaxDepth)
	}
	s.indents = append(s.indents, ind)
	return nil
}

func hasPrefixAt(d []byte, i int, p string) bool {
	return len(d)-i >= len(p) && string(d[i:i+len(p)]) == p
}

// skipLine moves past the end of the line.
func (s *yamlScan) skipLine() {
	for s.i < len(s.data) && s.data[s.i] != '\n' {
		s.advance()
	}
	if s.i < len(s.data) {
		s.advance()
	}
}

// lineContent scans the rest of a line (and the lines a quoted or block
// scalar takes) from its first non-space byte.
func (s *yamlScan) lineContent(name string) *Error {
	d := s.data
	col := -1 // column of the line's first node after "- " and "? "
	for s.i < len(d) {
		c := d[s.i]
		if col < 0 && c != ' ' && c != '\t' && !((c == '-' || c == '?') && (s.i+1 == len(d) || d[s.i+1] == ' ' || d[s.i+1] == '\n')) {
			col = s.col - 1
		}
		switch {
		case c == '\n':
			s.advance()
			return nil
		case c == ' ' || c == '\t' || c == '\r':
			s.advance()
			s.spaceBefore = true
			continue
		case c == '#' && (s.spaceBefore || s.prev == 0):
			s.skipLine()
			return nil
		case (c == '"' || c == '\'') && s.tokenStart():
			s.quoted(c)
			s.prev, s.spaceBefore = 'x', false
			continue
		case (c == '|' || c == '>') && s.flow == 0 && s.tokenStart() && blockHeader(d[s.i+1:]):
			s.blockScalar(col)
			return nil
		case (c == '[' || c == '{') && (s.flow > 0 || s.tokenStart()):
			s.flow++
			s.nodes++
			if s.depth() > MaxDepth {
				return s.errAt(name, "nested more than %d levels deep", MaxDepth)
			}
			if s.nodes > MaxNodes {
				return s.errAt(name, "more than %d entries in one file", MaxNodes)
			}
		case (c == ']' || c == '}') && s.flow > 0:
			s.flow--
		case c == ',' && s.flow > 0:
			s.nodes++
			if s.nodes > MaxNodes {
				return s.errAt(name, "more than %d entries in one file", MaxNodes)
			}
		case (c == '&' || c == '*') && s.tokenStart():
			s.aliases++
			if s.aliases > MaxAliases {
				return s.errAt(name, "more than %d anchors and aliases in one file", MaxAliases)
			}
		case (c == '-' || c == '?') && (s.prev == 0 || s.prev == '-' || s.prev == '?') &&
			(s.i+1 == len(d) || d[s.i+1] == ' ' || d[s.i+1] == '\n'):
			// A compact nested entry ("- - x"): one more block level at
			// the column after the indicator.
			if s.prev != 0 {
				if err := s.push(name, s.col-1); err != nil {
					return err
				}
			}
		}
		if s.flow == 0 && (c == '[' || c == '{' || c == ']' || c == '}' || c == ',') {
			c = 'x' // part of a plain scalar, not an indicator
		}
		s.prev, s.spaceBefore = c, false
		s.advance()
	}
	return nil
}

// quoted skips a quoted scalar, which may span lines. An unclosed one is
// left to the parser to report.
func (s *yamlScan) quoted(q byte) {
	d := s.data
	s.advance()
	for s.i < len(d) {
		c := d[s.i]
		switch {
		case q == '"' && c == '\\':
			s.advance()
			if s.i < len(d) {
				s.advance()
			}
			continue
		case c == q && q == '\'' && s.i+1 < len(d) && d[s.i+1] == '\'':
			s.advance()
		case c == q:
			s.advance()
			return
		}
		s.advance()
	}
}

// blockHeader tells whether rest (after | or >) is a block scalar header:
// chomping and indentation indicators, then spaces and a comment.
func blockHeader(rest []byte) bool {
	for _, c := range rest {
		switch {
		case c == '-' || c == '+' || c >= '0' && c <= '9':
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return true
		default:
			return false
		}
	}
	return true
}

// blockScalar skips the rest of the header line and the block scalar's
// lines: blank ones and those indented at least as much as its first
// non-blank line, which must be indented more than col, the column of the
// header line's node.
func (s *yamlScan) blockScalar(col int) {
	s.skipLine()
	d := s.data
	first := -1
	for s.i < len(d) {
		j := s.i
		for j < len(d) && d[j] == ' ' {
			j++
		}
		n := j - s.i
		blank := j == len(d) || d[j] == '\n' || d[j] == '\r'
		if !blank {
			if first < 0 {
				first = n
				if n <= col {
					return
				}
			}
			if n < first {
				return
			}
		}
		s.skipLine()
	}
}
