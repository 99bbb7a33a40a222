package systemd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// Notify sends state (newline-separated VAR=VALUE assignments, e.g.
// "READY=1") to the service manager over the datagram socket named by
// $NOTIFY_SOCKET, as systemd's sd_notify does; without $NOTIFY_SOCKET (not
// started by systemd with Type=notify) it does nothing. A name starting
// with "@" is in the abstract namespace (Go's net package maps it).
func Notify(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	if addr[0] != '/' && addr[0] != '@' {
		return fmt.Errorf("NOTIFY_SOCKET %q: only unix socket paths are supported", addr)
	}
	c, err := net.DialTimeout("unixgram", addr, time.Second)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if err := c.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// NotifyState sends state with Notify and logs a failure (the sensor
// runs on: only the service manager's view is wrong).
func NotifyState(log zerolog.Logger, state string) {
	if err := Notify(state); err != nil {
		log.Warn().Err(err).Str("state", strings.ReplaceAll(state, "\n", " ")).Msg("notifying systemd")
	}
}

// ReloadingState is the notification that a reload started, with the
// CLOCK_MONOTONIC time systemd's Type=notify-reload asks for (omitted where
// the clock cannot be read).
func ReloadingState() string {
	if us, ok := monotonicUsec(); ok {
		return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatUint(us, 10)
	}
	return "RELOADING=1"
}

// LogOutput is where the diagnostic logger writes: w (standard error)
// in format "json" or "console". When w is the systemd journal's stream
// (JOURNAL_STREAM names its device and inode) every line starts with the
// sd-daemon priority prefix of its level ("<3>" for error), so that
// `journalctl -p err` finds errors; the console format is coloured only on
// a terminal and never with NO_COLOR set. Writes are serialised.
func LogOutput(w io.Writer, format string) (zerolog.LevelWriter, error) {
	lw := &logWriter{w: w, journal: IsJournal(w)}
	switch format {
	case "json":
	case "console":
		lw.console = &zerolog.ConsoleWriter{Out: &lw.buf, TimeFormat: time.RFC3339, NoColor: !Colourful(w)}
	default:
		return nil, fmt.Errorf("invalid log format %q: want json or console", format)
	}
	return lw, nil
}

// logWriter is a zerolog.LevelWriter: it formats a record (console) and
// prefixes each line with its journal priority (journal), under a lock.
type logWriter struct {
	mu      sync.Mutex
	w       io.Writer
	journal bool
	console *zerolog.ConsoleWriter // nil: JSON lines as zerolog wrote them
	buf     bytes.Buffer
}

func (l *logWriter) Write(p []byte) (int, error) { return l.WriteLevel(zerolog.NoLevel, p) }

// WriteLevel writes the record p of level.
func (l *logWriter) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.journal && l.console == nil {
		return l.w.Write(p)
	}
	l.buf.Reset()
	if l.console != nil {
		if _, err := l.console.Write(p); err != nil {
			return 0, err
		}
	} else {
		l.buf.Write(p)
	}
	out := l.buf.Bytes()
	if l.journal {
		out = PrefixLines(out, Priority(level))
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Priority is the sd-daemon prefix of a zerolog level (syslog
// priorities: 2 crit, 3 err, 4 warning, 6 info, 7 debug).
func Priority(level zerolog.Level) string {
	switch level {
	case zerolog.TraceLevel, zerolog.DebugLevel:
		return "<7>"
	case zerolog.WarnLevel:
		return "<4>"
	case zerolog.ErrorLevel:
		return "<3>"
	case zerolog.FatalLevel, zerolog.PanicLevel:
		return "<2>"
	default:
		return "<6>"
	}
}

// PrefixLines puts prefix before every line of b (the journal reads each
// line of a stream as a record of its own).
func PrefixLines(b []byte, prefix string) []byte {
	out := make([]byte, 0, len(b)+len(prefix)+8)
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		out = append(out, prefix...)
		out = append(out, line...)
		b = b[len(line):]
	}
	return out
}

// ErrorLine is line as written to w: on the journal's stream with the
// error priority ("<3>"), so that `journalctl -p err` shows it; unchanged
// elsewhere.
func ErrorLine(w io.Writer, line string) string {
	if IsJournal(w) {
		return string(PrefixLines([]byte(line), Priority(zerolog.ErrorLevel)))
	}
	return line
}

// IsJournal reports whether w is the journal's stream: systemd sets
// JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to standard
// output and error, which stays set in children whose standard error goes
// elsewhere, so the file itself is compared.
func IsJournal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	dev, ino, ok := strings.Cut(os.Getenv("JOURNAL_STREAM"), ":")
	if !ok {
		return false
	}
	d, err1 := strconv.ParseUint(dev, 10, 64)
	i, err2 := strconv.ParseUint(ino, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return false
	}
	fd, fi, ok := fileID(f)
	return ok && fd == d && fi == i
}

// JournalStream is the value systemd gives JOURNAL_STREAM for a stream
// connected to f ("DEVICE:INODE"), false where files have none.
func JournalStream(f *os.File) (string, bool) {
	dev, ino, ok := fileID(f)
	if !ok {
		return "", false
	}
	return strconv.FormatUint(dev, 10) + ":" + strconv.FormatUint(ino, 10), true
}

// Colourful reports whether console logs to w may use colours: w is a
// terminal and NO_COLOR (https://no-color.org) is unset or empty.
func Colourful(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
