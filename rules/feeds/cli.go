package feeds

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/internal/strictyaml"
)

// Open is the manager of cfg's list sources for a command (nil when there
// is none): New, or nil and no error without sources.
func Open(cfg Configuration, log zerolog.Logger) (*Manager, error) {
	if len(cfg.Sources) == 0 {
		return nil, nil
	}
	return New(cfg, log)
}

// Start refreshes the sources in the background (Run) until ctx ends,
// calling reload (prepare, then commit, like SIGHUP) when a list changed.
// The returned function waits for the refresher to stop and drops the
// idle connections. A nil manager starts nothing.
func (m *Manager) Start(ctx context.Context, reload func() error) (wait func()) {
	if m == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx, reload)
	}()
	return func() { <-done; m.Close() }
}

// UpdateNow is `borderwatch lists update`: it fetches every source now,
// writes the cache and a line per source to w, and fails when a source
// failed.
func (m *Manager) UpdateNow(ctx context.Context, w io.Writer) error {
	res := m.Update(ctx)
	if failed := WriteUpdate(w, res); failed > 0 {
		return fmt.Errorf("%d of %d list sources failed; their last good lists stay", failed, len(res))
	}
	return nil
}

// WriteUpdate writes one line per source of Update's results and returns
// how many failed.
func WriteUpdate(w io.Writer, res []Result) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LIST\tRESULT\tENTRIES\tTOOK\tDETAIL")
	failed := 0
	for _, r := range res {
		detail := r.Note
		result := strings.ReplaceAll(r.Outcome, "_", " ")
		switch {
		case r.Err != nil:
			failed++
			detail = r.Err.Error()
		case r.Outcome == OutcomeUpdated && !r.Changed:
			result = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Name, result, r.Entries, r.Took.Round(time.Millisecond), strictyaml.OneLine(detail))
	}
	_ = tw.Flush()
	return failed
}

// WriteCacheStatus is `borderwatch lists status`: it reads the cache of
// cfg's sources (no network) and writes their status to w. log gets only
// warnings (the table says what the cache holds).
func WriteCacheStatus(w io.Writer, cfg Configuration, log zerolog.Logger, now time.Time) error {
	m, err := New(cfg, log.Level(max(log.GetLevel(), zerolog.WarnLevel)))
	if err != nil {
		return err
	}
	defer m.Close()
	WriteStatus(w, m.Status(), now)
	return nil
}

// WriteStatus writes a table of the sources' status at now.
func WriteStatus(w io.Writer, sts []Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LIST\tFORMAT\tENTRIES\tAGE\tCHANGED\tFAILURES\tLAST ERROR\tSOURCE")
	for _, st := range sts {
		age, changed := "never", "never"
		if d := st.Age(now); d >= 0 {
			age = d.Round(time.Second).String()
		}
		if !st.Updated.IsZero() {
			changed = st.Updated.UTC().Format(time.RFC3339)
		}
		lastErr := "-"
		if st.LastError != "" {
			lastErr = st.LastErrorAt.UTC().Format(time.RFC3339) + " " + st.LastError
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", st.Name, st.Format, st.Entries, age, changed, st.Failures, strictyaml.OneLine(lastErr), st.Source)
	}
	_ = tw.Flush()
}
