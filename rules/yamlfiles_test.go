package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/strictyaml"
)

// TestCheckYAMLShippedFiles: the default pack and the examples pass.
func TestCheckYAMLShippedFiles(t *testing.T) {
	files := DefaultFiles()
	if b, err := os.ReadFile("testdata/examples.yaml"); err == nil {
		files["examples.yaml"] = b
	}
	if len(files) < 2 {
		t.Fatalf("only %d files", len(files))
	}
	for name, b := range files {
		if err := strictyaml.Check(name, b); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestLoadRejectsDeepNesting: a rule file nested 20,000 deep is refused
// with its position before the parser sees it (which took 670 MB and 3 s).
func TestLoadRejectsDeepNesting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deep.yaml")
	d := 20000
	if err := os.WriteFile(path, []byte("rules: "+strings.Repeat("[", d)+strings.Repeat("]", d)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(Options{Paths: []string{path}, NoDefaults: true})
	want := path + ":1:39: nested more than 32 levels deep"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestLoadRefusesDevZero: a rule path naming a device is refused at once.
func TestLoadRefusesDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := Load(Options{Paths: []string{"/dev/zero"}, NoDefaults: true})
	if want := "/dev/zero: open: not a regular file (a character device)"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}
