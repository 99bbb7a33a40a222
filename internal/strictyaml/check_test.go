package strictyaml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

func TestCheck(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	for _, tc := range []struct{ name, yaml, want string }{
		{"flow sequences", "rules: " + deep + "\n", "f.yaml:1:39: nested more than 32 levels deep"},
		{"flow mappings", "a: " + strings.Repeat("{a: ", 40), "f.yaml:1:128: nested more than 32 levels deep"},
		{"flow over lines", "a:\n" + strings.Repeat("[\n", 40), "f.yaml:33:1: nested more than 32 levels deep"},
		{"after a document marker", "--- " + deep, "f.yaml:1:37: nested more than 32 levels deep"},
		{"block indentation", blockNest(40), "f.yaml:33:33: nested more than 32 levels deep"},
		{"compact sequences", "a:\n" + strings.Repeat("- ", 40) + "x\n", "f.yaml:2:65: nested more than 32 levels deep"},
		{"after a block scalar at the same indent", "- a: |\n    text [[[\n  b: " + deep, "f.yaml:3:36: nested more than 32 levels deep"},
		{"after a sibling block scalar", "a: |\n  x\nb: " + deep, "f.yaml:3:35: nested more than 32 levels deep"},
		{"not a block header", "a: |" + deep, ""},  // not a block scalar header: the parser rejects it,
		{"closed quote", "a: 'it''s' " + deep, ""}, // a plain scalar after the quote: not counted, as the parser reads it
		{"after a quote", "a: ['it''s', " + deep[:40] + "]", "f.yaml:1:44: nested more than 32 levels deep"},
		{"aliases", "a: &a [x]\nb: [" + strings.Repeat("*a, ", 100) + "]\n", "f.yaml:2:401: more than 100 anchors and aliases in one file"},
		{"flow entries", "a: [" + strings.Repeat("0,", MaxNodes) + "]\n", "f.yaml:1:100002: more than 50000 entries in one file"},
		{"lines", strings.Repeat("- 0\n", MaxNodes+1), "f.yaml:50001:1: more than 50000 entries in one file"},
		// What the scan must not count.
		{"brackets in quotes", "a: \"" + deep + "\"\nb: '" + deep + "'\n", ""},
		{"brackets in comments", "# " + deep + "\na: 1 # " + deep + "\n", ""},
		{"brackets in a block scalar", "a: |\n  " + deep + "\n  " + deep + "\nb: >-\n  " + deep + "\n", ""},
		{"brackets in plain text", "a: x" + deep + "\nb: x,[[\n", ""},
		{"multi-line quote", "a: \"x\n  " + deep + "\n  \"\n", ""},
		{"many documents", strings.Repeat("---\na:\n  b:\n    c: [1]\n", 100), ""},
		{"* and & in text", "a: x*y&z\nb: '*a'\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check("f.yaml", []byte(tc.yaml))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// blockNest is n mappings, each indented one more than its parent.
func blockNest(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}

// FuzzCheck: what Check lets through never parses deeper than
// MaxDepth: the scan may count more than the parser, never less.
func FuzzCheck(f *testing.F) {
	shipped, _ := filepath.Glob(filepath.Join("..", "..", "rules", "default", "*.yaml"))
	for _, name := range shipped {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"a: [[[b]]]", "- - - x", "a: |\n  [[[\nb: {c: [d]}", "a: 'x''[' [[", "a: \"\\\"[\" [[", "? [a]\n: [b]",
		"a: &x [*x]", "--- [[\n--- {a: {b: c}}", "a:\n  - b:\n      - c: >-\n          [[[\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 || Check("f.yaml", data) != nil {
			return
		}
		file, err := parser.ParseBytes(data, 0)
		if err != nil {
			return
		}
		for _, doc := range file.Docs {
			if d := astDepth(doc.Body, 0); d > MaxDepth {
				t.Fatalf("passed the scan but nested %d deep", d)
			}
		}
	})
}

// astDepth is the collection nesting of n.
func astDepth(n ast.Node, depth int) int {
	if depth > 4*MaxDepth {
		return depth
	}
	switch v := n.(type) {
	case *ast.SequenceNode:
		m := depth + 1
		for _, c := range v.Values {
			m = max(m, astDepth(c, depth+1))
		}
		return m
	case *ast.MappingNode:
		m := depth + 1
		for _, c := range v.Values {
			m = max(m, astDepth(c.Key, depth+1), astDepth(c.Value, depth+1))
		}
		return m
	case *ast.MappingValueNode:
		return max(depth+1, astDepth(v.Key, depth+1), astDepth(v.Value, depth+1))
	case *ast.AnchorNode:
		return astDepth(v.Value, depth)
	case *ast.TagNode:
		return astDepth(v.Value, depth)
	case *ast.MappingKeyNode:
		return astDepth(v.Value, depth)
	}
	return depth
}
