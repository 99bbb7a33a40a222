package rules

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/borderwatch/borderwatch/internal/strictyaml"
	"github.com/goccy/go-yaml/ast"
)

// Value is one value as written in a rule file, with where it was written.
// Pos.Line is 0 when the key was not written (or its value was unusable).
type Value[T any] struct {
	V   T
	Pos Pos
}

// IsSet reports whether the value was written (and decoded).
func (v Value[T]) IsSet() bool { return v.Pos.Line > 0 }

// Words is a word or a list of words as written (zone terms, ports…).
type Words struct {
	Items []Value[string]
	Pos   Pos // the value as a whole
}

// IsSet reports whether the words were written.
func (w Words) IsSet() bool { return w.Pos.Line > 0 }

// Strings returns the words without their positions.
func (w Words) Strings() []string {
	out := make([]string, len(w.Items))
	for i, it := range w.Items {
		out[i] = it.V
	}
	return out
}

// FileSpec is a rule file as written: zones, lists and rules, unchecked.
type FileSpec struct {
	Name  string
	Zones []ZoneDef
	Lists []ListSpec
	Rules []RuleSpec
}

// ZoneDef is a user zone defined in a rule file: `zones: {NAME: TERMS}`.
type ZoneDef struct {
	Name  Value[string]
	Terms Words
}

// ListSpec is an address list as written: `{name, file, format}` or
// `{name, addresses}`.
type ListSpec struct {
	Pos       Pos
	Name      Value[string]
	File      Value[string]
	Format    Value[string]
	Addresses Words
}

// RuleSpec is a rule as written. Compiling checks it into a Rule.
type RuleSpec struct {
	Pos   Pos // the rule's first key
	Index int // 1-based position among the file's rules

	ID          Value[uint64]
	Rev         Value[uint64]
	Name        Value[string]
	Kind        Value[string]
	Description Value[string]
	From, To    Words
	Direction   Words
	Protocol    Words
	TCPFlags    Words
	ICMPTypes   Words
	DstPorts    Words
	SrcPorts    Words
	Threshold   ThresholdSpec
	Suppress    Value[time.Duration]
	Severity    Value[uint64]
	Category    Value[string]
	GeoBasis    Value[string]
	Mitre       Words
	Action      Value[string]
	List        Value[string]
	Side        Value[string]
	Enabled     Value[bool]
	Unsolicited Value[bool]

	written map[string]Pos // every key written, decodable or not
}

// ThresholdSpec is a rule's `threshold:` mapping as written.
type ThresholdSpec struct {
	Pos        Pos
	Count      Value[uint64]
	Bytes      Value[uint64]
	Window     Value[time.Duration]
	Track      Value[string]
	Distinct   Value[string]
	MinSources Value[uint64]
	Burst      Value[uint64]
	BurstWin   Value[time.Duration]
}

// has reports whether key (dotted for nested keys) was written at all.
func (r *RuleSpec) has(key string) bool {
	_, ok := r.written[key]
	return ok
}

// where names the rule in errors: "rule 1001", or "rule #3" without a usable id.
func (r *RuleSpec) where() string {
	if r.ID.IsSet() && r.ID.V > 0 {
		return fmt.Sprintf("rule %d", r.ID.V)
	}
	return fmt.Sprintf("rule #%d", r.Index)
}

var topKeys = []string{"lists", "rules", "zones"}

// ParseFile decodes a rule file strictly into its spec. Every problem is
// reported as `FILE:LINE:COL: …`; several are joined.
func ParseFile(name string, data []byte) (*FileSpec, error) {
	errs := &errList{files: map[string]int{name: 0}}
	fs := parseFile(name, data, errs)
	return fs, errs.join()
}

func parseFile(name string, data []byte, errs *errList) *FileSpec {
	fs := &FileSpec{Name: name}
	// The limits are checked on the bytes as read, before quoteBangWords
	// changes them (strictyaml.Parse checks the quoted bytes again).
	if e := strictyaml.Check(name, data); e != nil {
		errs.errs = append(errs.errs, yamlError(e))
		return fs
	}
	data, bangs := quoteBangWords(name, data)
	f, e := strictyaml.Parse(name, data)
	if e != nil {
		errs.errs = append(errs.errs, yamlError(e))
		return fs
	}
	ruleIndex := 0
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		d := &decoder{file: name, errs: errs, bangs: bangs, data: data, anchors: strictyaml.Anchors(doc.Body)}
		if _, isNull := doc.Body.(*ast.NullNode); isNull {
			continue
		}
		entries, ok := d.mapping(doc.Body, "", "a mapping with zones, lists and rules")
		if !ok {
			continue
		}
		for _, e := range entries {
			switch e.key {
			case "zones":
				d.zones(e, fs)
			case "lists":
				d.lists(e, fs)
			case "rules":
				d.rules(e, fs, &ruleIndex)
			default:
				d.unknownKey(e, "", topKeys)
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(bangs)) {
		if !bangs[p] {
			errs.add(posFromKey(name, p), "", "%s", bangMessage(data, p))
		}
	}
	return fs
}

// bangWord is an unquoted zone term starting with "!" where YAML reads a tag:
// after "key:", after "- ", or at the start of a flow-list item.
var bangWord = regexp.MustCompile(`(^\s*-\s+|^\s*[A-Za-z_][\w.-]*:\s+|[\[,]\s*)(![A-Za-z][\w.-]*)(\s*(?:[\],]|#|$))`)

// quoteBangWords finds unquoted "!home"-style terms, which YAML would read as
// tags (swallowing what follows), and quotes them so that the rest of the
// file is still checked. It returns where each was (line<<32 | column of the
// added quote); the decoder reports them in context, as errors.
func quoteBangWords(name string, data []byte) ([]byte, map[uint64]bool) {
	if !bytes.Contains(data, []byte("!")) {
		return data, nil
	}
	bangs := map[uint64]bool{}
	lines := bytes.Split(data, []byte("\n"))
	changed := false
	for i, line := range lines {
		for bytes.Contains(line, []byte("!")) {
			m := bangWord.FindSubmatchIndex(line)
			if m == nil {
				break
			}
			// Leave matches inside quotes or comments alone.
			before := line[:m[4]]
			if bytes.Count(before, []byte(`"`))%2 == 1 || bytes.Count(before, []byte("'"))%2 == 1 || bytes.Contains(before, []byte("#")) {
				break
			}
			bangs[uint64(i+1)<<32|uint64(m[4]+1)] = false
			quoted := append([]byte{}, line[:m[4]]...)
			quoted = append(quoted, '"')
			quoted = append(quoted, line[m[4]:m[5]]...)
			quoted = append(quoted, '"')
			quoted = append(quoted, line[m[5]:]...)
			line = quoted
			changed = true
		}
		lines[i] = line
	}
	if !changed {
		return data, nil
	}
	return bytes.Join(lines, []byte("\n")), bangs
}

func posFromKey(file string, k uint64) Pos {
	return Pos{File: file, Line: int(k >> 32), Column: int(k & 0xffffffff)}
}

// bangMessage is the error for a quoted bang word at k in the quoted data.
func bangMessage(data []byte, k uint64) string {
	lines := bytes.Split(data, []byte("\n"))
	word := "!"
	if l, c := int(k>>32), int(k&0xffffffff); l-1 < len(lines) && c < len(lines[l-1]) {
		rest := lines[l-1][c:]
		if j := bytes.IndexByte(rest, '"'); j > 0 {
			word = string(rest[:j])
		}
	}
	return fmt.Sprintf("unquoted %s is read as a YAML tag: write it in quotes, \"%s\"", word, word)
}

func (d *decoder) zones(e entry, fs *FileSpec) {
	n, ok := d.resolve(e.value, "zones")
	if !ok {
		return
	}
	if _, isNull := n.(*ast.NullNode); isNull || n == nil {
		return
	}
	entries, ok := d.mapping(n, "zones", "a mapping of zone names to terms")
	if !ok {
		return
	}
	for _, z := range entries {
		d.where = fmt.Sprintf("zone %q", excerpt(z.key))
		def := ZoneDef{Name: Value[string]{V: z.key, Pos: d.pos(z.keyN)}}
		r, ok := d.resolve(z.value, "")
		if !ok {
			continue
		}
		seq, isSeq := r.(*ast.SequenceNode)
		_, isNull := r.(*ast.NullNode)
		switch {
		case r == nil || isNull:
			// An empty zone matches nothing (until a user file redefines it).
			def.Terms = Words{Pos: d.pos(z.keyN)}
		case isSeq && len(seq.Values) == 0:
			def.Terms = Words{Pos: d.pos(seq)}
		default:
			w, ok := d.words(r, "", false)
			if !ok {
				continue
			}
			def.Terms = w
		}
		fs.Zones = append(fs.Zones, def)
	}
	d.where = ""
}

var listKeys = []string{"addresses", "file", "format", "name"}

// sequence resolves the list under a top-level key: false, silently, when
// the key is null or its value does not resolve; false with an error naming
// want when the value is not a list.
func (d *decoder) sequence(v ast.Node, key, want string) (*ast.SequenceNode, bool) {
	n, ok := d.resolve(v, key)
	if !ok {
		return nil, false
	}
	if _, isNull := n.(*ast.NullNode); isNull || n == nil {
		return nil, false
	}
	seq, isSeq := n.(*ast.SequenceNode)
	if !isSeq {
		d.errorf(n, "%s: want %s, got %s", key, want, describe(n))
		return nil, false
	}
	return seq, true
}

func (d *decoder) lists(e entry, fs *FileSpec) {
	seq, ok := d.sequence(e.value, "lists", "a list of {name, file} or {name, addresses}")
	if !ok {
		return
	}
	for i, item := range seq.Values {
		d.where = fmt.Sprintf("list #%d", i+1)
		ls := ListSpec{Pos: d.pos(item)}
		// The name first, so that every other error names the list.
		entries, ok := d.mapping(item, "", "a mapping with name and file or addresses")
		if !ok {
			continue
		}
		for _, f := range entries {
			if f.key == "name" {
				if v, ok := d.str(f.value, "name"); ok {
					ls.Name = v
					d.where = fmt.Sprintf("list %q", excerpt(v.V))
				}
			}
		}
		for _, f := range entries {
			switch f.key {
			case "name":
			case "file":
				ls.File, _ = d.str(f.value, "file")
			case "format":
				ls.Format, _ = d.str(f.value, "format")
			case "addresses":
				r, ok := d.resolve(f.value, "addresses")
				if !ok {
					continue
				}
				if s, isSeq := r.(*ast.SequenceNode); isSeq && len(s.Values) == 0 {
					ls.Addresses = Words{Pos: d.pos(r)}
					continue
				}
				ls.Addresses, _ = d.words(r, "addresses", false)
				if !ls.Addresses.IsSet() {
					ls.Addresses = Words{Pos: d.pos(f.keyN)} // written, even if bad
				}
			default:
				d.unknownKey(f, "", listKeys)
			}
		}
		fs.Lists = append(fs.Lists, ls)
	}
	d.where = ""
}

// ruleFields decodes each rule key; the table also names the known keys.
var ruleFields = map[string]func(d *decoder, r *RuleSpec, e entry){
	"id":          func(d *decoder, r *RuleSpec, e entry) {}, // decoded first
	"rev":         func(d *decoder, r *RuleSpec, e entry) { r.Rev, _ = d.uint(e.value, "rev", math.MaxUint32) },
	"name":        func(d *decoder, r *RuleSpec, e entry) { r.Name, _ = d.str(e.value, "name") },
	"kind":        func(d *decoder, r *RuleSpec, e entry) { r.Kind, _ = d.str(e.value, "kind") },
	"description": func(d *decoder, r *RuleSpec, e entry) { r.Description, _ = d.str(e.value, "description") },
	"from":        func(d *decoder, r *RuleSpec, e entry) { r.From, _ = d.words(e.value, "from", false) },
	"to":          func(d *decoder, r *RuleSpec, e entry) { r.To, _ = d.words(e.value, "to", false) },
	"direction":   func(d *decoder, r *RuleSpec, e entry) { r.Direction, _ = d.words(e.value, "direction", false) },
	"protocol":    func(d *decoder, r *RuleSpec, e entry) { r.Protocol, _ = d.words(e.value, "protocol", false) },
	"tcp_flags":   func(d *decoder, r *RuleSpec, e entry) { r.TCPFlags, _ = d.words(e.value, "tcp_flags", true) },
	"icmp_types":  func(d *decoder, r *RuleSpec, e entry) { r.ICMPTypes, _ = d.words(e.value, "icmp_types", true) },
	"dst_ports":   func(d *decoder, r *RuleSpec, e entry) { r.DstPorts, _ = d.words(e.value, "dst_ports", true) },
	"src_ports":   func(d *decoder, r *RuleSpec, e entry) { r.SrcPorts, _ = d.words(e.value, "src_ports", true) },
	"threshold":   func(d *decoder, r *RuleSpec, e entry) { d.threshold(r, e) },
	"suppress":    func(d *decoder, r *RuleSpec, e entry) { r.Suppress, _ = d.duration(e.value, "suppress") },
	"severity":    func(d *decoder, r *RuleSpec, e entry) { r.Severity, _ = d.uint(e.value, "severity", math.MaxUint32) },
	"category":    func(d *decoder, r *RuleSpec, e entry) { r.Category, _ = d.str(e.value, "category") },
	"geo_basis":   func(d *decoder, r *RuleSpec, e entry) { r.GeoBasis, _ = d.str(e.value, "geo_basis") },
	"mitre":       func(d *decoder, r *RuleSpec, e entry) { r.Mitre, _ = d.words(e.value, "mitre", false) },
	"action":      func(d *decoder, r *RuleSpec, e entry) { r.Action, _ = d.str(e.value, "action") },
	"list":        func(d *decoder, r *RuleSpec, e entry) { r.List, _ = d.str(e.value, "list") },
	"side":        func(d *decoder, r *RuleSpec, e entry) { r.Side, _ = d.str(e.value, "side") },
	"enabled":     func(d *decoder, r *RuleSpec, e entry) { r.Enabled, _ = d.boolean(e.value, "enabled") },
	"unsolicited": func(d *decoder, r *RuleSpec, e entry) { r.Unsolicited, _ = d.boolean(e.value, "unsolicited") },
}

var ruleKeys = sortedKeys(ruleFields)

func (d *decoder) rules(e entry, fs *FileSpec, index *int) {
	seq, ok := d.sequence(e.value, "rules", "a list of rules")
	if !ok {
		return
	}
	for _, item := range seq.Values {
		*index++
		r := RuleSpec{Pos: d.pos(item), Index: *index, written: map[string]Pos{}}
		d.where = r.where()
		// The id first, so that every other error names the rule.
		if m, isMap := item.(*ast.MappingNode); isMap {
			for _, mv := range m.Values {
				if k, isStr := mv.Key.(*ast.StringNode); isStr && k.Value == "id" {
					r.ID, _ = d.uint(mv.Value, "id", math.MaxUint32)
					if r.ID.IsSet() && r.ID.V == 0 {
						d.errorf(mv.Value, "id: 0 is not a valid id (want 1..%d)", uint64(math.MaxUint32))
					}
					d.where = r.where()
				}
			}
		}
		entries, ok := d.mapping(item, "", "a rule (a mapping with id, name, kind…)")
		if !ok {
			continue
		}
		for _, f := range entries {
			r.written[f.key] = d.pos(f.keyN)
			fn, known := ruleFields[f.key]
			if !known {
				d.unknownKey(f, "", ruleKeys)
				continue
			}
			fn(d, &r, f)
		}
		fs.Rules = append(fs.Rules, r)
	}
	d.where = ""
}

var thresholdKeys = []string{"burst", "burst_window", "bytes", "count", "distinct", "min_sources", "track", "window"}

func (d *decoder) threshold(r *RuleSpec, e entry) {
	entries, ok := d.mapping(e.value, "threshold", "a mapping with count, bytes, window, track…")
	if !ok {
		return
	}
	t := &r.Threshold
	t.Pos = d.pos(e.keyN)
	for _, f := range entries {
		key := "threshold." + f.key
		r.written[key] = d.pos(f.keyN)
		switch f.key {
		case "count":
			t.Count, _ = d.uint(f.value, key, math.MaxUint32)
		case "bytes":
			t.Bytes, _ = d.size(f.value, key)
		case "window":
			t.Window, _ = d.duration(f.value, key)
		case "track":
			t.Track, _ = d.str(f.value, key)
		case "distinct":
			t.Distinct, _ = d.str(f.value, key)
		case "min_sources":
			t.MinSources, _ = d.uint(f.value, key, math.MaxUint32)
		case "burst":
			t.Burst, _ = d.uint(f.value, key, math.MaxUint32)
		case "burst_window":
			t.BurstWin, _ = d.duration(f.value, key)
		default:
			d.unknownKey(f, "threshold", thresholdKeys)
		}
	}
}

// yamlError is a strictyaml error as a rule file error.
func yamlError(e *strictyaml.Error) *Error {
	return &Error{Pos: Pos{File: e.File, Line: e.Line, Column: e.Column}, Reason: e.Msg}
}
