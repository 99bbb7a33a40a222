package rules

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/internal/strictyaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decoder walks a goccy/go-yaml AST strictly: every key must be known, every
// value of the expected type, and every problem is recorded with its position
// instead of stopping at the first.
type decoder struct {
	file    string
	errs    *errList
	anchors map[string]ast.Node
	where   string          // context of the errors: "rule 1001", `list "x"`…
	bangs   map[uint64]bool // unquoted "!word" terms quoted before parsing: reported?
	data    []byte          // the (quoted) source, for messages
}

// pos is where n was written.
func (d *decoder) pos(n ast.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	var tk *token.Token
	switch n := n.(type) {
	case *ast.MappingNode:
		if len(n.Values) > 0 {
			return d.pos(n.Values[0])
		}
		tk = n.Start
	case *ast.MappingValueNode:
		if n.Key != nil {
			return d.pos(n.Key)
		}
		tk = n.Start
	case *ast.DocumentNode:
		if n.Body != nil {
			return d.pos(n.Body)
		}
		tk = n.Start
	default:
		tk = n.GetToken()
	}
	if tk == nil || tk.Position == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: tk.Position.Line, Column: tk.Position.Column}
}

// errorf records an error at n in the current context.
func (d *decoder) errorf(n ast.Node, format string, args ...any) {
	d.errs.add(d.pos(n), d.where, format, args...)
}

// resolve looks through anchors, aliases and the standard tags (!!str…) to the
// node holding the value. Unquoted words starting with "!" are YAML tags; they
// are reported with the fix.
func (d *decoder) resolve(n ast.Node, key string) (ast.Node, bool) {
	for range 16 {
		switch v := n.(type) {
		case nil:
			return nil, true
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = strictyaml.TokenText(v.Value.GetToken())
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errorf(v, "%sunknown alias %q", keyPrefix(key), "*"+excerpt(name))
				return nil, false
			}
			n = target
		case *ast.TagNode:
			tag := ""
			if v.Start != nil {
				tag = v.Start.Value
			}
			if !strings.HasPrefix(tag, "!!") {
				if q := strconv.Quote(tag); q[1:len(q)-1] == tag && len(tag) <= maxExcerpt {
					d.errorf(v, "%sunquoted %s is read as a YAML tag: write it in quotes, %s", keyPrefix(key), tag, q)
				} else {
					d.errorf(v, "%sunquoted %q is read as a YAML tag: write it in quotes", keyPrefix(key), excerpt(tag))
				}
				return nil, false
			}
			n = v.Value
		default:
			return n, true
		}
	}
	d.errorf(n, "%saliases nested too deeply", keyPrefix(key))
	return nil, false
}

func keyPrefix(key string) string {
	if key == "" {
		return ""
	}
	return key + ": "
}

// describe names the type and value of a node for "want X, got Y" messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.StringNode:
		return fmt.Sprintf("string %q", truncate(v.Value))
	case *ast.LiteralNode:
		return "a text block"
	case *ast.IntegerNode:
		return "integer " + truncate(strictyaml.TokenText(v.Token))
	case *ast.FloatNode:
		return "number " + truncate(strictyaml.TokenText(v.Token))
	case *ast.BoolNode:
		return "boolean " + truncate(strictyaml.TokenText(v.Token))
	case *ast.InfinityNode, *ast.NanNode:
		return "number " + truncate(v.String())
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	}
	return "a " + n.Type().String()
}

// truncate is excerpt: a short value that quotes no secret.
func truncate(s string) string { return excerpt(s) }

// entry is one key of a mapping.
type entry struct {
	key   string
	keyN  ast.Node
	value ast.Node
}

// mapping returns the entries of a mapping node, or records that n is not one.
// Merge keys are rejected; duplicate keys were already rejected by the parser.
func (d *decoder) mapping(n ast.Node, key, want string) ([]entry, bool) {
	n, ok := d.resolve(n, key)
	if !ok {
		return nil, false
	}
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		if n == nil {
			n = &ast.NullNode{}
		}
		d.errorf(n, "%swant %s, got %s", keyPrefix(key), want, describe(n))
		return nil, false
	}
	out := make([]entry, 0, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			d.errorf(mv.Key, "%smerge keys (<<) are not supported", keyPrefix(key))
			continue
		}
		var kn ast.Node = mv.Key
		if mk, ok := kn.(*ast.MappingKeyNode); ok {
			kn = mk.Value
		}
		kn, ok := d.resolve(kn, key)
		if !ok {
			continue
		}
		ks, isStr := kn.(*ast.StringNode)
		if !isStr {
			d.errorf(mv.Key, "%skeys must be words, got %s", keyPrefix(key), describe(kn))
			continue
		}
		out = append(out, entry{key: ks.Value, keyN: mv.Key, value: mv.Value})
	}
	return out, true
}

// unknownKey records an unknown key with a suggestion among the known ones.
func (d *decoder) unknownKey(e entry, parent string, known []string) {
	name := e.key
	if parent != "" {
		name = parent + "." + e.key
	}
	d.errorf(e.keyN, "unknown key %q%s", excerpt(name), didYouMean(e.key, known))
}

// str decodes a string.
func (d *decoder) str(n ast.Node, key string) (Value[string], bool) {
	n, ok := d.resolve(n, key)
	if !ok {
		return Value[string]{}, false
	}
	switch v := n.(type) {
	case *ast.StringNode:
		p := d.pos(v)
		k := uint64(p.Line)<<32 | uint64(p.Column)
		if reported, isBang := d.bangs[k]; isBang {
			if !reported {
				d.bangs[k] = true
				d.errorf(v, "%s%s", keyPrefix(key), bangMessage(d.data, k))
			}
			return Value[string]{}, false
		}
		return Value[string]{V: v.Value, Pos: p}, true
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return Value[string]{V: s, Pos: d.pos(v)}, true
	}
	if n == nil {
		n = &ast.NullNode{}
	}
	d.errorf(n, "%swant a string, got %s", keyPrefix(key), describe(n))
	return Value[string]{}, false
}

// word decodes a scalar that is a name or number written as text, such as a
// port ("22", 22) or a country code; integers are taken as written.
func (d *decoder) word(n ast.Node, key string, numbers bool) (Value[string], bool) {
	r, ok := d.resolve(n, key)
	if !ok {
		return Value[string]{}, false
	}
	if iv, isInt := r.(*ast.IntegerNode); isInt && numbers {
		return Value[string]{V: strictyaml.TokenText(iv.Token), Pos: d.pos(iv)}, true
	}
	return d.str(r, key)
}

// words decodes a single word or a list of them.
func (d *decoder) words(n ast.Node, key string, numbers bool) (Words, bool) {
	r, ok := d.resolve(n, key)
	if !ok {
		return Words{}, false
	}
	w := Words{Pos: d.pos(r)}
	seq, isSeq := r.(*ast.SequenceNode)
	if !isSeq {
		v, ok := d.word(r, key, numbers)
		if !ok {
			return Words{}, false
		}
		w.Items = []Value[string]{v}
		return w, true
	}
	good := true
	for _, item := range seq.Values {
		ir, ok := d.resolve(item, key)
		if !ok {
			good = false
			continue
		}
		if _, nested := ir.(*ast.SequenceNode); nested {
			d.errorf(ir, "%swant a word or a list of words, got a list inside the list", keyPrefix(key))
			good = false
			continue
		}
		v, ok := d.word(ir, key, numbers)
		if !ok {
			good = false
			continue
		}
		w.Items = append(w.Items, v)
	}
	return w, good
}

// uint decodes a non-negative integer no larger than limit.
func (d *decoder) uint(n ast.Node, key string, limit uint64) (Value[uint64], bool) {
	r, ok := d.resolve(n, key)
	if !ok {
		return Value[uint64]{}, false
	}
	if r == nil {
		r = &ast.NullNode{}
	}
	var u uint64
	switch v := r.(type) {
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			if x < 0 {
				d.errorf(v, "%s%d is negative", keyPrefix(key), x)
				return Value[uint64]{}, false
			}
			u = uint64(x)
		case uint64:
			u = x
		default:
			d.errorf(v, "%swant an integer, got %s", keyPrefix(key), describe(v))
			return Value[uint64]{}, false
		}
	case *ast.StringNode:
		// Integers beyond 64 bits parse as strings.
		if strictyaml.IsDigits(v.Value) && v.Token != nil && v.Token.Type != token.DoubleQuoteType && v.Token.Type != token.SingleQuoteType {
			d.errorf(v, "%s%s is too large (at most %d)", keyPrefix(key), truncate(v.Value), limit)
			return Value[uint64]{}, false
		}
		d.errorf(v, "%swant an integer, got %s", keyPrefix(key), describe(v))
		return Value[uint64]{}, false
	default:
		d.errorf(r, "%swant an integer, got %s", keyPrefix(key), describe(r))
		return Value[uint64]{}, false
	}
	if u > limit {
		d.errorf(r, "%s%d is too large (at most %d)", keyPrefix(key), u, limit)
		return Value[uint64]{}, false
	}
	return Value[uint64]{V: u, Pos: d.pos(r)}, true
}

// boolean decodes true or false.
func (d *decoder) boolean(n ast.Node, key string) (Value[bool], bool) {
	r, ok := d.resolve(n, key)
	if !ok {
		return Value[bool]{}, false
	}
	if b, isBool := r.(*ast.BoolNode); isBool {
		return Value[bool]{V: b.Value, Pos: d.pos(b)}, true
	}
	if r == nil {
		r = &ast.NullNode{}
	}
	d.errorf(r, "%swant true or false, got %s", keyPrefix(key), describe(r))
	return Value[bool]{}, false
}

// duration decodes a Go duration such as "90s", "5m" or "1h30m"; a "d" suffix
// counts days ("7d").
func (d *decoder) duration(n ast.Node, key string) (Value[time.Duration], bool) {
	r, ok := d.resolve(n, key)
	if !ok {
		return Value[time.Duration]{}, false
	}
	s, isStr := r.(*ast.StringNode)
	if !isStr {
		if r == nil {
			r = &ast.NullNode{}
		}
		d.errorf(r, "%swant a duration such as \"5m\", got %s", keyPrefix(key), describe(r))
		return Value[time.Duration]{}, false
	}
	dur, err := parseDuration(s.Value)
	if err != nil {
		d.errorf(s, "%s%v", keyPrefix(key), err)
		return Value[time.Duration]{}, false
	}
	return Value[time.Duration]{V: dur, Pos: d.pos(s)}, true
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok && strictyaml.IsDigits(days) {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil || n > 365 {
			return 0, fmt.Errorf("duration %q is too long", truncate(s))
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want a number and a unit such as \"90s\", \"5m\", \"1h\" or \"7d\"", truncate(s))
	}
	if dur < 0 {
		return 0, fmt.Errorf("duration %q is negative", truncate(s))
	}
	return dur, nil
}

// size decodes a byte count: an integer or a string with a unit, decimal
// (kB, MB, GB, TB) or binary (KiB, MiB, GiB, TiB); "B" alone is bytes.
func (d *decoder) size(n ast.Node, key string) (Value[uint64], bool) {
	r, ok := d.resolve(n, key)
	if !ok {
		return Value[uint64]{}, false
	}
	if s, isStr := r.(*ast.StringNode); isStr {
		u, err := parseSize(s.Value)
		if err != nil {
			d.errorf(s, "%s%v", keyPrefix(key), err)
			return Value[uint64]{}, false
		}
		return Value[uint64]{V: u, Pos: d.pos(s)}, true
	}
	return d.uint(r, key, math.MaxUint64)
}

var sizeUnits = []struct {
	suffix string
	mult   uint64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

func parseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	for _, u := range sizeUnits {
		num, ok := strings.CutSuffix(t, u.suffix)
		if !ok {
			continue
		}
		num = strings.TrimSpace(num)
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || num == "" || strings.ContainsAny(num, "eExXpP_") {
			break
		}
		v := f * float64(u.mult)
		if v >= math.MaxUint64 {
			return 0, fmt.Errorf("size %q is too large", truncate(s))
		}
		return uint64(v), nil
	}
	if strictyaml.IsDigits(t) {
		v, err := strconv.ParseUint(t, 10, 64)
		if err == nil {
			return v, nil
		}
		return 0, fmt.Errorf("size %q is too large", truncate(s))
	}
	return 0, fmt.Errorf("bad size %q: want bytes as an integer or with a unit such as \"500MB\" or \"2GiB\"", truncate(s))
}

// sortedKeys returns the keys of a map, sorted, for suggestions.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
