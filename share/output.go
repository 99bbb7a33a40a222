package share

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxIdentity is the longest sharer name (STIX identity, MISP creating
// organisation), in bytes.
const MaxIdentity = 256

// CheckIdentity refuses an empty (or blank) sharer name and one over
// MaxIdentity bytes.
func CheckIdentity(s string) error {
	if strings.TrimSpace(s) == "" || len(s) > MaxIdentity {
		return fmt.Errorf("give a name of 1 to %d bytes", MaxIdentity)
	}
	return nil
}

// WriteTo writes what fill produces to the file at path, replaced
// atomically once fill succeeded (nothing is written when it fails), or
// to stdout when path is "" or "-".
func WriteTo(path string, stdout io.Writer, fill func(io.Writer) error) error {
	if path == "" || path == "-" {
		return fill(stdout)
	}
	var b bytes.Buffer
	if err := fill(&b); err != nil {
		return err
	}
	return WriteFile(path, b.Bytes())
}

// PushSTIX adds the objects of the STIX bundle of res to the TAXII 2.1
// collection of topt (share stix --taxii) and writes what the server took
// to w, one line. It fails when the push stopped (saying how many objects
// were taken before) or the server refused objects.
func PushSTIX(ctx context.Context, w io.Writer, res *Result, opt STIXOptions, topt TAXIIOptions) error {
	b, err := STIX(res, opt)
	if err != nil {
		return err
	}
	r, err := PushTAXII(ctx, b.Objects, topt)
	if err != nil {
		if r == nil {
			return err
		}
		return fmt.Errorf("%w (%d of %d objects taken before)", err, r.Objects, len(b.Objects))
	}
	fmt.Fprintf(w, "taxii: %d objects sent in %d requests: %d succeeded, %d failed, %d pending\n",
		r.Objects, r.Requests, r.Successes, r.Failures, r.Pendings)
	if r.Failures > 0 {
		return fmt.Errorf("taxii: the server refused %d of %d objects", r.Failures, r.Objects)
	}
	return nil
}

// WriteMISPEvent makes the MISP event of res and adds it to the MISP feed
// folder feed, or else writes it to the file at path or stdout (as
// WriteTo), telling notes what it did. Without alerts that have a foreign
// address nothing is written, and that is no error.
func WriteMISPEvent(res *Result, opt MISPOptions, feed, path string, stdout, notes io.Writer) error {
	ev, err := MISP(res, opt)
	if errors.Is(err, ErrNothingToShare) {
		fmt.Fprintln(notes, "nothing written:", err)
		return nil
	}
	if err != nil {
		return err
	}
	if feed == "" {
		return WriteTo(path, stdout, func(w io.Writer) error { return WriteJSON(w, ev) })
	}
	if err := WriteMISPFeed(feed, ev); err != nil {
		return err
	}
	fmt.Fprintf(notes, "event %s added to the MISP feed in %s\n", ev.UUID(), feed)
	return nil
}
