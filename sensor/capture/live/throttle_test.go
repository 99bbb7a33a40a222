package live

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestThrottle: one line per interval, the next one with the count of the
// errors not logged in between.
func TestThrottle(t *testing.T) {
	var logs bytes.Buffer
	th := newThrottle(zerolog.New(&logs), time.Hour)
	t0 := time.Now()
	for i := range 4 {
		th.errorAt(errors.New("bad record "+string(rune('a'+i))), "skipping unreadable ring-buffer record", t0.Add(time.Duration(i)*time.Minute))
	}
	th.errorAt(errors.New("bad record e"), "skipping unreadable ring-buffer record", t0.Add(time.Hour))
	want := `{"level":"error","error":"bad record a","message":"skipping unreadable ring-buffer record"}` + "\n" +
		`{"level":"error","error":"bad record e","suppressed":3,"message":"skipping unreadable ring-buffer record"}` + "\n"
	if logs.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", logs.String(), want)
	}
	if strings.Count(logs.String(), "\n") != 2 {
		t.Error("not throttled")
	}
}
