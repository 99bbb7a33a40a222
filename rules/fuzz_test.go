package rules

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader as one rule file: it must not
// panic, and every error must be a one-line *Error at a position in the file.
func FuzzLoad(f *testing.F) {
	for _, b := range DefaultFiles() {
		f.Add(b)
	}
	if b, err := os.ReadFile("testdata/examples.yaml"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"", "rules: [", "rules:\n  - {id: 1, name: a, kind: scan, from: !home}\n",
		"zones:\n  a: [b]\n  b: [a]\n", "a: &x [*x]\n", "rules:\n  - <<: *y\n",
		"lists:\n  - {name: l, file: x}\n", "rules:\n  - id: 99999999999999999999999\n",
		"rules:\n  - {id: 1, name: a, kind: flood, threshold: {bytes: 1e400GB}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := source{name: "fuzz.yaml", data: data, readList: func(rel string) ([]byte, string, error) {
			return nil, rel, os.ErrNotExist
		}}
		set, err := load(Options{NoDefaults: true}, []source{src}, &errList{})
		if err == nil {
			if set == nil {
				t.Fatal("no set and no error")
			}
			return
		}
		if set != nil {
			t.Fatal("a set with errors")
		}
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var re *Error
			if !errors.As(e, &re) {
				t.Fatalf("not an *Error: %v", e)
			}
			if re.Pos.File != "fuzz.yaml" && re.Pos.File != "x" || re.Reason == "" || strings.Contains(e.Error(), "\n") {
				t.Fatalf("malformed error %q", e.Error())
			}
			if re.Pos.File == "fuzz.yaml" && re.Pos.Line < 1 {
				t.Fatalf("error without a line: %q", e.Error())
			}
		}
	})
}

// FuzzParseList feeds arbitrary bytes to the list parser in every format:
// it must not panic, report at most maxListErrors+1 errors, and no error
// may quote more than maxExcerpt bytes of one line of the input.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{
		"192.0.2.1\n192.0.2.0/24 ; SBL1\n", "{\"cidr\":\"192.0.2.0/24\"}\n", "192.0.2.1,1,100\n",
		"root:$6$abc$def:19000:0:99999:7:::\n", "fe80::1%eth0\r\n::ffff:1.2.3.4/64\r", "\xef\xbb\xbfa b c\n",
	} {
		f.Add([]byte(s))
	}
	formats := []Format{FormatAuto, FormatPlain, FormatSpamhausDrop, FormatSpamhausDropJSON, FormatIPRep}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range formats {
			l, bad := ParseList("x", "f", data, format)
			if len(bad) > maxListErrors+1 || l == nil {
				t.Fatalf("%s: %d errors", format, len(bad))
			}
			// Every quoted value in a reason is an excerpt: at most
			// maxExcerpt bytes of the input (plus "..." where cut). The
			// escaped form may be longer, so unquote before measuring.
			for _, b := range bad {
				rest := b.Reason
				for {
					i := strings.IndexByte(rest, '"')
					if i < 0 {
						break
					}
					q, err := strconv.QuotedPrefix(rest[i:])
					if err != nil { // a lone '"', e.g. a JSON error naming the character
						rest = rest[i+1:]
						continue
					}
					if v, _ := strconv.Unquote(q); len(strings.TrimSuffix(v, "...")) > maxExcerpt {
						t.Fatalf("%s: line %d: %q quotes %d bytes, more than %d", format, b.Line, b.Reason, len(v), maxExcerpt)
					}
					rest = rest[i+len(q):]
				}
			}
		}
	})
}
