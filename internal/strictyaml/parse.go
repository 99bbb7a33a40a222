package strictyaml

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Error is a problem in a YAML file, at a line (and column) when known.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

// Error is FILE:LINE:COL: msg, FILE:LINE: msg or FILE: msg, on one line.
func (e *Error) Error() string {
	msg := OneLine(e.Msg)
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return e.File + ": " + msg
}

// OneLine escapes control and format characters (newlines, bidi
// overrides) that a message may have copied from the file, so that every
// error is one line of the log as written.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if needsEscape(r) {
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// Parse checks data against the limits (Check) and parses it; the error
// is at the line and column the parser stopped at.
func Parse(name string, data []byte) (*ast.File, *Error) {
	if e := Check(name, data); e != nil {
		return nil, e
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		e := &Error{File: name, Msg: err.Error()}
		var ye yaml.Error
		if errors.As(err, &ye) {
			e.Msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				e.Line, e.Column = tk.Position.Line, tk.Position.Column
			}
		}
		return nil, e
	}
	return f, nil
}

// Anchors returns the anchors of the document n by name, so that aliases
// resolve.
func Anchors(n ast.Node) map[string]ast.Node {
	m := map[string]ast.Node{}
	if n != nil {
		ast.Walk(anchorVisitor(m), n)
	}
	return m
}

type anchorVisitor map[string]ast.Node

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		v[a.Name.GetToken().Value] = a.Value
	}
	return v
}

// IsDigits tells whether s is a non-empty run of ASCII digits.
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// TokenText is the text of tk as written, "" for none.
func TokenText(tk *token.Token) string {
	if tk == nil {
		return ""
	}
	return tk.Value
}
