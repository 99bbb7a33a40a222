// Package strictyaml is the one way borderwatch reads YAML that people
// write (rule files and the configuration file): bounded, strict, and
// precise about where a problem is.
//
//   - Check scans the bytes before the parser sees them, against what makes
//     the parser's memory and time explode (nesting beyond MaxDepth, more
//     than MaxNodes entries, more than MaxAliases anchors and aliases).
//   - Parse checks and then parses, with the parser's error at its line and
//     column.
//   - Decode decodes one document into a Go struct by its yaml tags: an
//     unknown or repeated key, a value of the wrong type, a YAML tag or a
//     merge key is an error with the key path and line, and decoding goes on
//     so that one run reports every problem.
//   - Anchors, IsDigits and TokenText are the node helpers the rules
//     package's typed decoders share.
//
// Every Error is FILE:LINE[:COL]: reason on one line, quoting at most a
// short excerpt of the input and nothing of a value whose key is secret.
package strictyaml
