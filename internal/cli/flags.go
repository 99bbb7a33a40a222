package cli

import (
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// SetChanged calls the setter of each flag of fl the user set: the flags
// put over the configuration file's values, one line per flag.
func SetChanged(fl *pflag.FlagSet, setters map[string]func()) {
	for name, set := range setters {
		if fl.Changed(name) {
			set()
		}
	}
}

// Trimmed is the values of a comma-separated flag without surrounding
// spaces.
func Trimmed(vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}

// NonEmpty is Trimmed without the empty values.
func NonEmpty(vs []string) []string {
	return slices.DeleteFunc(Trimmed(vs), func(v string) bool { return v == "" })
}
