package cli

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"
)

// TestSetChanged: only the setters of the flags given on the command line
// run, with their values.
func TestSetChanged(t *testing.T) {
	fl := pflag.NewFlagSet("x", pflag.ContinueOnError)
	a := fl.String("a", "flag default", "")
	b := fl.StringSlice("b", nil, "")
	if err := fl.Parse([]string{"--b", " DE, ,AT "}); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{"a": {"file"}}
	SetChanged(fl, map[string]func(){
		"a": func() { got["a"] = []string{*a} },
		"b": func() { got["b"] = NonEmpty(*b) },
	})
	if !slices.Equal(got["a"], []string{"file"}) || !slices.Equal(got["b"], []string{"DE", "AT"}) {
		t.Errorf("got %q", got)
	}
	if tr := Trimmed([]string{" DE", "", "AT "}); !slices.Equal(tr, []string{"DE", "", "AT"}) {
		t.Errorf("Trimmed %q", tr)
	}
}
