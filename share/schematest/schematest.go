// Package schematest runs the offline third-party schema validator of
// ../shared/schemas (validate.py: the OASIS STIX 2.1 JSON schemas and
// PyMISP's MISP event schema) from tests, and knows the one defect of the
// pinned OASIS bundle schema the project tolerates.
package schematest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Dir returns ../shared/schemas beside the module root (the folder holding
// go.mod, found from the test's working directory), or skips the test with
// the reason when it or python3 is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(d, "..", "shared", "schemas")
			if _, err := os.Stat(filepath.Join(p, "validate.py")); err != nil {
				tb.Skipf("STIX/MISP schemas not checked: %s absent (CI has ../shared)", filepath.Join(p, "validate.py"))
			}
			if _, err := exec.LookPath("python3"); err != nil {
				tb.Skip("STIX/MISP schemas not checked: no python3")
			}
			return p
		}
		if filepath.Dir(d) == d {
			tb.Fatalf("no go.mod above %s", wd)
		}
	}
}

var summary = regexp.MustCompile(`(?m)^(stix|misp): (\d+) documents checked, (\d+) problems$`)

// Run runs validate.py kind (stix or misp) on doc and returns its problem
// lines and the number of documents it checked.
func Run(tb testing.TB, kind string, doc []byte) (problems []string, documents int) {
	tb.Helper()
	v := filepath.Join(Dir(tb), "validate.py")
	f := filepath.Join(tb.TempDir(), kind+".json")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		tb.Fatal(err)
	}
	out, _ := exec.Command("python3", v, kind, f).CombinedOutput()
	m := summary.FindStringSubmatch(string(out))
	if m == nil {
		tb.Fatalf("validate.py %s: no summary in\n%s", kind, out)
	}
	documents, _ = strconv.Atoi(m[2])
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !summary.MatchString(l) {
			problems = append(problems, l)
		}
	}
	if n, _ := strconv.Atoi(m[3]); n != len(problems) {
		tb.Fatalf("validate.py %s: %d problems counted, %d printed", kind, n, len(problems))
	}
	return problems, documents
}

// ValidateMISP checks a MISP event: 0 problems.
func ValidateMISP(tb testing.TB, doc []byte) {
	tb.Helper()
	if p, _ := Run(tb, "misp", doc); len(p) != 0 {
		tb.Errorf("MISP schema problems:\n%s", strings.Join(p, "\n"))
	}
}

// bundleLocation is validate.py's line for a bundle member that fails
// bundle.json (the message is cut at 200 characters).
var bundleLocation = regexp.MustCompile(`^bundle: \$\.objects\[(\d+)\]: `)

// ValidateSTIX checks objs as a bundle with the OASIS STIX 2.1 schemas and
// returns the number of problems validate.py reported. Every object must
// validate against its type's schema. The OASIS bundle.json (at the pinned
// commit) omits location from the types a bundle may hold, so a location
// then matches both core.json and cyber-observable-core.json of its
// catch-all branch and fails the oneOf: that one bundle-level problem per
// location is the only one tolerated, and the bundle without its
// locations must have 0 problems.
func ValidateSTIX(tb testing.TB, objs []map[string]any) int {
	tb.Helper()
	doc := func(objs []map[string]any) []byte {
		b, err := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--6f1b3c2e-8d4a-5b7e-9c0f-3a2d1e4b5c6d", "objects": objs})
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	problems, n := Run(tb, "stix", doc(objs))
	if n != len(objs)+1 {
		tb.Errorf("validate.py checked %d documents, want %d", n, len(objs)+1)
	}
	locations := 0
	for _, o := range objs {
		if o["type"] == "location" {
			locations++
		}
	}
	for _, p := range problems {
		m := bundleLocation.FindStringSubmatch(p)
		i := -1
		if m != nil {
			i, _ = strconv.Atoi(m[1])
		}
		if i < 0 || i >= len(objs) || objs[i]["type"] != "location" || !strings.Contains(p, "'id': '"+objs[i]["id"].(string)+"'") {
			tb.Errorf("STIX schema problem: %s", p)
		}
	}
	if len(problems) != locations {
		tb.Errorf("%d STIX problems, want one per location (%d)", len(problems), locations)
	}
	rest := slices.DeleteFunc(slices.Clone(objs), func(o map[string]any) bool { return o["type"] == "location" })
	if p, _ := Run(tb, "stix", doc(rest)); len(p) != 0 {
		tb.Errorf("STIX schema problems without locations:\n%s", strings.Join(p, "\n"))
	}
	return len(problems)
}
