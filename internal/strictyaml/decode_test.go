package strictyaml

import (
	"strings"
	"testing"
	"time"
)

type testOutput struct {
	Address  string `yaml:"address"`
	Password string `yaml:"password"`
}

type testConfig struct {
	Name    string            `yaml:"name"`
	Workers int               `yaml:"workers"`
	Small   int8              `yaml:"small"`
	On      bool              `yaml:"on"`
	Every   time.Duration     `yaml:"every"`
	Tags    []string          `yaml:"tags"`
	Zones   map[string]string `yaml:"zones"`
	Out     *testOutput       `yaml:"out"`
}

// TestDecode: values that decode are set, the others keep their defaults,
// and every problem of the document is reported at its line with its key
// path; a secret value is never quoted.
func TestDecode(t *testing.T) {
	src := `name: sensor
workers: many
small: 300
on: yes please
every: 5s
tags: [a, b]
zones: {eu: "DE,FR"}
bogus: 1
out:
  address: h:1
  password: [hunter2]
`
	cfg := testConfig{Workers: 2}
	doc, errs := Decode("bw.yaml", []byte(src), &cfg, Options{Secret: func(p string) bool { return strings.HasSuffix(p, "password") }})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`bw.yaml:2:10: workers: want an integer, got string "many"`,
		`bw.yaml:3:8: small: 300 is too large`,
		`bw.yaml:4:5: on: want true or false, got string "yes please"`,
		`bw.yaml:8: unknown field "bogus"`,
		`bw.yaml:11:13: out.password: want a string, got a list`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(strings.Join(got, "\n"), "hunter2") {
		t.Error("a secret value was quoted")
	}
	if cfg.Name != "sensor" || cfg.Workers != 2 || cfg.Every != 5*time.Second || len(cfg.Tags) != 2 || cfg.Zones["eu"] != "DE,FR" || cfg.Out == nil || cfg.Out.Address != "h:1" {
		t.Errorf("decoded %+v", cfg)
	}
	if doc.Line("out.password") != 11 || doc.Line("out.nosuch") != 9 || !doc.Failed("out") || doc.Failed("tags") {
		t.Errorf("lines: out.password %d, out.nosuch %d; failed out %v, tags %v",
			doc.Line("out.password"), doc.Line("out.nosuch"), doc.Failed("out"), doc.Failed("tags"))
	}
	if _, errs := Decode("bw.yaml", []byte("a: 1\na: 2\n"), &cfg, Options{}); len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "bw.yaml:2:1: ") {
		t.Errorf("repeated key: %v", errs)
	}
	if doc, errs := Decode("bw.yaml", []byte("a: 1\n---\nb: 2\n"), &cfg, Options{What: "the configuration"}); doc != nil || len(errs) != 1 ||
		errs[0].Error() != "bw.yaml:3: document 2: the configuration is one YAML document" {
		t.Errorf("two documents: %v", errs)
	}
}
