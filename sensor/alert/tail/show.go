package tail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/borderwatch/borderwatch/internal/inputerr"
)

// InputError is what Show cannot start on: invalid options, --follow on
// standard input, a file that cannot be opened. The CLI exits 2 on it.
type InputError = inputerr.Error

// Show is `borderwatch tail`: it shows the alerts of path on w with opt —
// "-" is stdin, read to its end, any other path a file (File, following
// it until ctx ends with opt.Follow) — then writes the summary of what was
// skipped (Stats.Summary) to opt.Notes.
func Show(ctx context.Context, w io.Writer, stdin io.Reader, path string, opt Options) error {
	if path == "-" && opt.Follow {
		return &InputError{Err: errors.New("--follow needs a FILE, not standard input")}
	}
	t, err := New(w, opt)
	if err != nil {
		return &InputError{Err: err}
	}
	if path == "-" {
		err = t.Reader("stdin", stdin)
	} else {
		err = t.File(ctx, path)
	}
	if s := t.stats.Summary(); s != "" {
		fmt.Fprintln(t.opt.Notes, "tail: "+s)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == "open" {
		return &InputError{Err: err} // a FILE that cannot be read is invalid input
	}
	return err
}
