// Package inputerr marks an error as invalid input — a bad setting, a file
// that cannot be opened or parsed, options that do not fit — as opposed to
// a runtime failure: the CLI exits 2 on it (README, exit codes). The
// packages that report such errors (replay, tail, console) name it as
// their own InputError/ConfigError; it is one type, so the CLI asks once.
package inputerr

// Error is invalid input; Err says what and where (file, line, offset).
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }
