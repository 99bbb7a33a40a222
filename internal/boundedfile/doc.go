// Package boundedfile reads the files users name — configuration, rule and
// list files, GeoIP databases — as hostile input: only regular files, never
// more than a limit, and errors that name the file without quoting it.
package boundedfile
