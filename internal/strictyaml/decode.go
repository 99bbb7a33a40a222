package strictyaml

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Options tune Decode.
type Options struct {
	// Secret tells whether the value at a key path (such as
	// "outputs[0].redis.password") is secret: its errors then name its
	// type, never its value.
	Secret func(path string) bool
	// What names the document in the error for a second one: "document
	// 2: <What> is one YAML document".
	What string
}

// Document is what Decode learnt of a document: where each key path was
// written and which did not decode, to place the errors of the checks
// that follow decoding.
type Document struct {
	lines map[string]int  // key path → line it was written at
	bad   map[string]bool // key paths that did not decode
}

// Decode decodes the single YAML document data (named name in errors)
// strictly into v, a pointer to a struct, by the fields' yaml tags
// (",inline" included): every unknown or repeated key and every value of
// the wrong type is an error with its key path and line, and decoding goes
// on, so that one run reports every problem. Values that decode are set;
// the others keep what v held (its defaults). A null or empty document
// leaves v as it was. Supported field types: structs and pointers to them,
// slices, maps with string keys, strings, bools, integers and
// time.Duration. A file that breaks a limit, does not parse or holds more
// than one document gives a nil Document and that one error.
func Decode(name string, data []byte, v any, o Options) (*Document, []*Error) {
	file, perr := Parse(name, data)
	if perr != nil {
		return nil, []*Error{perr}
	}
	var body ast.Node
	for i, dn := range file.Docs {
		if dn == nil || dn.Body == nil {
			continue
		}
		if _, null := dn.Body.(*ast.NullNode); null {
			continue
		}
		if body != nil {
			line, _ := nodePos(dn.Body)
			what := o.What
			if what == "" {
				what = "the file"
			}
			return nil, []*Error{{File: name, Line: line, Msg: fmt.Sprintf("document %d: %s is one YAML document", i+1, what)}}
		}
		body = dn.Body
	}
	d := &decoder{file: name, opt: o, lines: map[string]int{}, bad: map[string]bool{}}
	doc := &Document{lines: d.lines, bad: d.bad}
	if body == nil {
		return doc, nil // comments only
	}
	d.anchors = Anchors(body)
	d.value("", body, reflect.ValueOf(v).Elem())
	return doc, d.errs
}

// Line is the line of the key path, or of its closest parent written.
func (d *Document) Line(path string) int {
	if d == nil {
		return 0
	}
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// Failed tells whether a value at, above or below path failed to decode
// (and so has its error already).
func (d *Document) Failed(path string) bool {
	if d == nil {
		return false
	}
	for b := range d.bad {
		if b == path || strings.HasPrefix(b, path+".") || strings.HasPrefix(b, path+"[") ||
			strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

// decoder walks a document's nodes into Go values.
type decoder struct {
	anchors map[string]ast.Node
	errs    []*Error
	lines   map[string]int  // key path → line it was written at
	bad     map[string]bool // key paths that did not decode
	file    string
	opt     Options
}

func (d *decoder) secret(path string) bool { return d.opt.Secret != nil && d.opt.Secret(path) }

func (d *decoder) errorf(path string, n ast.Node, format string, args ...any) {
	line, col := nodePos(n)
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Msg: keyPrefix(path) + fmt.Sprintf(format, args...)})
	d.bad[path] = true
}

func keyPrefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func nodePos(n ast.Node) (line, col int) {
	if n == nil {
		return 0, 0
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil {
		n = mv.Key
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
		return nodePos(m.Values[0])
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line, tk.Position.Column
	}
	return 0, 0
}

// resolve looks through anchors, aliases and standard tags; nil is null.
func (d *decoder) resolve(path string, n ast.Node) (ast.Node, bool) {
	for range 16 {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = v.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errorf(path, v, "unknown alias *%s", truncate(name))
				return nil, false
			}
			n = target
		case *ast.TagNode:
			if v.Start == nil || !strings.HasPrefix(v.Start.Value, "!!") {
				d.errorf(path, v, "YAML tags are not supported: quote the value")
				return nil, false
			}
			n = v.Value
		case *ast.NullNode:
			return nil, true
		default:
			return n, true
		}
	}
	d.errorf(path, n, "aliases nested too deeply")
	return nil, false
}

var durationType = reflect.TypeFor[time.Duration]()

// value decodes n into v (settable) at the key path.
func (d *decoder) value(path string, n ast.Node, v reflect.Value) {
	if line, _ := nodePos(n); line > 0 {
		if _, seen := d.lines[path]; !seen {
			d.lines[path] = line
		}
	}
	n, ok := d.resolve(path, n)
	if !ok || n == nil {
		return // null keeps the default
	}
	t := v.Type()
	switch {
	case t == durationType:
		d.duration(path, n, v)
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		p := reflect.New(t.Elem())
		d.structure(path, n, p.Elem())
		v.Set(p)
	case t.Kind() == reflect.Struct:
		d.structure(path, n, v)
	case t.Kind() == reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.errorf(path, n, "want a list, got %s", describe(n, false))
			return
		}
		s := reflect.MakeSlice(t, len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.value(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i))
		}
		v.Set(s)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		entries, ok := d.mapping(path, n)
		if !ok {
			return
		}
		m := reflect.MakeMapWithSize(t, len(entries))
		for _, e := range entries {
			ev := reflect.New(t.Elem()).Elem()
			d.value(path+"."+e.key, e.value, ev)
			m.SetMapIndex(reflect.ValueOf(e.key).Convert(t.Key()), ev)
		}
		v.Set(m)
	case t.Kind() == reflect.String:
		d.str(path, n, v)
	case t.Kind() == reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.errorf(path, n, "want true or false, got %s", describe(n, d.secret(path)))
			return
		}
		v.SetBool(b.Value)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		d.integer(path, n, v)
	default:
		d.errorf(path, n, "cannot decode into %s", t)
	}
}

type entry struct {
	key   string
	value ast.Node
}

// mapping returns the entries of a mapping node; repeated keys are errors.
func (d *decoder) mapping(path string, n ast.Node) ([]entry, bool) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		d.errorf(path, n, "want a mapping, got %s", describe(n, false))
		return nil, false
	}
	seen := map[string]bool{}
	out := make([]entry, 0, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			d.errorf(path, mv.Key, "merge keys (<<) are not supported")
			continue
		}
		var kn ast.Node = mv.Key
		if mk, ok := kn.(*ast.MappingKeyNode); ok {
			kn = mk.Value
		}
		kn, ok := d.resolve(path, kn)
		if !ok {
			continue
		}
		var key string
		switch k := kn.(type) {
		case *ast.StringNode:
			key = k.Value
		case *ast.IntegerNode, *ast.BoolNode, *ast.FloatNode:
			key = k.GetToken().Value
		default:
			d.errorf(path, mv.Key, "keys must be words, got %s", describe(kn, false))
			continue
		}
		if seen[key] {
			d.errorf(path, mv.Key, "key %q given twice", truncate(key))
			continue
		}
		seen[key] = true
		out = append(out, entry{key: key, value: mv.Value})
		if line, _ := nodePos(mv.Key); line > 0 {
			d.lines[joinPath(path, key)] = line
		}
	}
	return out, true
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// structure decodes a mapping into the struct v by the fields' yaml tags
// (",inline" fields included).
func (d *decoder) structure(path string, n ast.Node, v reflect.Value) {
	entries, ok := d.mapping(path, n)
	if !ok {
		return
	}
	fields := yamlFields(v.Type())
	for _, e := range entries {
		idx, ok := fields[e.key]
		if !ok {
			line, col := nodePos(e.value)
			if kl, ok := d.lines[joinPath(path, e.key)]; ok {
				line, col = kl, 0
			}
			d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Msg: fmt.Sprintf("unknown field %q", truncate(e.key))})
			d.bad[joinPath(path, e.key)] = true
			continue
		}
		d.value(joinPath(path, e.key), e.value, v.FieldByIndex(idx))
	}
}

// yamlFields maps the YAML names of t's fields to their index paths.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range yamlFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

// str decodes a string; other scalars are taken as written.
func (d *decoder) str(path string, n ast.Node, v reflect.Value) {
	switch s := n.(type) {
	case *ast.StringNode:
		v.SetString(s.Value)
	case *ast.LiteralNode:
		if s.Value != nil {
			v.SetString(s.Value.Value)
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		v.SetString(n.GetToken().Value)
	default:
		d.errorf(path, n, "want a string, got %s", describe(n, d.secret(path)))
	}
}

// integer decodes an integer that fits v.
func (d *decoder) integer(path string, n ast.Node, v reflect.Value) {
	secret := d.secret(path)
	var x int64
	switch i := n.(type) {
	case *ast.IntegerNode:
		switch val := i.Value.(type) {
		case int64:
			x = val
		case uint64:
			if val > math.MaxInt64 {
				d.errorf(path, n, "%s is too large", truncate(TokenText(i.Token)))
				return
			}
			x = int64(val)
		default:
			d.errorf(path, n, "want an integer, got %s", describe(n, secret))
			return
		}
	case *ast.StringNode:
		if i.Token != nil && i.Token.Type != token.DoubleQuoteType && i.Token.Type != token.SingleQuoteType && IsDigits(strings.TrimPrefix(i.Value, "-")) {
			d.errorf(path, n, "%s is too large", truncate(i.Value)) // beyond 64 bits
			return
		}
		d.errorf(path, n, "want an integer, got %s", describe(n, secret))
		return
	default:
		d.errorf(path, n, "want an integer, got %s", describe(n, secret))
		return
	}
	if v.OverflowInt(x) {
		d.errorf(path, n, "%d is too large", x)
		return
	}
	v.SetInt(x)
}

// duration decodes a Go duration such as "5s".
func (d *decoder) duration(path string, n ast.Node, v reflect.Value) {
	if i, ok := n.(*ast.IntegerNode); ok && TokenText(i.Token) == "0" {
		v.SetInt(0)
		return
	}
	s, ok := n.(*ast.StringNode)
	if !ok {
		d.errorf(path, n, "want a duration such as \"5s\", got %s", describe(n, false))
		return
	}
	dur, err := time.ParseDuration(s.Value)
	if err != nil {
		d.errorf(path, n, "want a duration such as \"5s\", got %s", describe(n, false))
		return
	}
	v.SetInt(int64(dur))
}

// truncate shortens quoted input to a short excerpt.
func truncate(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// describe names the type (and, unless secret, the value) of a node for
// "want X, got Y" messages.
func describe(n ast.Node, secret bool) string {
	val := func(kind string, tk *token.Token) string {
		if secret {
			return "a " + kind
		}
		return kind + " " + strconv.Quote(truncate(TokenText(tk)))
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.StringNode:
		return val("string", v.Token)
	case *ast.LiteralNode:
		return "a text block"
	case *ast.IntegerNode:
		return val("integer", v.Token)
	case *ast.FloatNode:
		return val("number", v.Token)
	case *ast.BoolNode:
		return val("boolean", v.Token)
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	}
	return "a " + n.Type().String()
}
