package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem found in a rule file. Its text is
// `FILE:LINE:COL: WHERE: reason`, where WHERE names the rule (`rule 1001`,
// or `rule #3` for the third rule of a file when its id is unusable), the
// list (`list "drop"`) or the zone (`zone "forbidden"`) the problem is in, and
// is left out for problems outside them (YAML syntax, unknown top-level keys).
// Load joins several with errors.Join; errors.As finds the first one.
type Error struct {
	Pos    Pos
	Where  string // "rule 1001", "rule #3", `list "drop"`, `zone "x"` or ""
	Reason string
}

// Error formats the error as FILE:LINE:COL: WHERE: reason.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// String formats a position as FILE:LINE:COL (FILE:LINE without a column,
// FILE alone without a line).
func (p Pos) String() string {
	switch {
	case p.Line <= 0:
		return p.File
	case p.Column <= 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// errList collects errors; order is fixed at the end by position.
type errList struct {
	errs  []*Error
	files map[string]int // file name → load order, for sorting
}

func (l *errList) add(pos Pos, where, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: pos, Where: where, Reason: fmt.Sprintf(format, args...)})
}

// join sorts the errors by file (in load order), line and column, drops exact
// duplicates and joins them; nil when there are none.
func (l *errList) join() error {
	if len(l.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(l.errs, func(a, b *Error) int {
		if c := cmp.Compare(l.files[a.Pos.File], l.files[b.Pos.File]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Pos.Line, b.Pos.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos.Column, b.Pos.Column)
	})
	errs := make([]error, 0, len(l.errs))
	var last string
	for _, e := range l.errs {
		s := e.Error()
		if s == last {
			continue
		}
		last = s
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}
