package sink

import (
	"github.com/borderwatch/borderwatch/internal/strictyaml"
)

// oneLine escapes the control and format characters (newlines, bidi
// overrides) of a configured value an error prints unquoted, such as the
// address in an output's name, so that the error stays one line of the log
// and cannot forge others (strictyaml.OneLine).
func oneLine(s string) string { return strictyaml.OneLine(s) }
