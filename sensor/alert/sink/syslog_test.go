package sink

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/testpki"
)

// rsyslogTemplate writes the properties rsyslog parsed from each message,
// separated by '|', so the test sees exactly what rsyslog understood.
const rsyslogTemplate = `template(name="props" type="string" ` +
	`string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")`

// startRsyslog runs rsyslogd in the foreground with a private config whose
// inputs are given, writing every message to the returned file.
func startRsyslog(t *testing.T, globals, inputs string) string {
	t.Helper()
	bin := needBinary(t, "rsyslogd")
	dir := t.TempDir()
	out := filepath.Join(dir, "out.log")
	conf := `global(workDirectory="` + dir + `" maxMessageSize="64k"` + globals + `)
` + inputs + `
` + rsyslogTemplate + `
*.* action(type="omfile" file="` + out + `" template="props")
`
	confPath := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", confPath, "-i", filepath.Join(dir, "rsyslog.pid"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	startProcess(t, cmd)
	return out
}

// checkSyslogLines checks rsyslog's record of alerts 0..n-1 sent with
// facility local0, hostname gw-test and app-name bw-test.
func checkSyslogLines(t *testing.T, got []string, n int, before, after time.Time) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("rsyslog wrote %d messages, want %d: %q", len(got), n, got)
	}
	for i, line := range got {
		f := strings.SplitN(line, "|", 8)
		if len(f) != 8 {
			t.Fatalf("line %d: %q", i, line)
		}
		ts, err := time.Parse(time.RFC3339Nano, f[1])
		if err != nil || ts.Before(before.Truncate(time.Microsecond)) || ts.After(after) {
			t.Errorf("line %d: TIMESTAMP %q not an RFC 3339 time while the test ran (%v)", i, f[1], err)
		}
		// local0 (16) * 8 + err (3, alert severity 2)
		want := []string{"131", f[1], "gw-test", "bw-test", strconv.Itoa(os.Getpid()), "alert", "-", eveLine(t, testAlert(i, 2))}
		for j := range want {
			if f[j] != want[j] {
				t.Errorf("line %d field %d: got %q, want %q", i, j, f[j], want[j])
			}
		}
	}
}

func syslogRoundTrip(t *testing.T, url, out string, n int) {
	t.Helper()
	o, err := Open(url+"facility=local0&hostname=gw-test&app_name=bw-test&backoff_min=10ms&backoff_max=100ms", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	for i := range n {
		o.Write(testAlert(i, 2))
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if s := o.Stats(); s.Written != uint64(n) || s.Dropped.Total() != 0 {
		t.Errorf("stats %+v, want %d written, no drops", s, n)
	}
	var lines []string
	waitFor(t, "rsyslog to write every message", func() bool {
		lines = lines[:0]
		for _, l := range readLines(t, out) {
			if !strings.Contains(l, "|probe|") { // imudp readiness probes
				lines = append(lines, l)
			}
		}
		return len(lines) >= n
	})
	checkSyslogLines(t, lines, n, before, after)
}

func TestSyslogTCP(t *testing.T) {
	port := strconv.Itoa(freePort(t, "tcp"))
	out := startRsyslog(t, "", `module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="`+port+`")`)
	waitTCP(t, "127.0.0.1:"+port)
	syslogRoundTrip(t, "syslog+tcp://127.0.0.1:"+port+"?", out, 20)
}

func TestSyslogUDP(t *testing.T) {
	port := strconv.Itoa(freePort(t, "udp"))
	tport := strconv.Itoa(freePort(t, "tcp"))
	out := startRsyslog(t, "", `module(load="imudp")
input(type="imudp" address="127.0.0.1" port="`+port+`")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="`+tport+`")`)
	waitTCP(t, "127.0.0.1:"+tport)
	// imudp has no readiness signal: send probes until one is logged,
	// then start from an empty file.
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "imudp to receive a probe", func() bool {
		c.Write([]byte("<134>1 - - probe - - - probe"))
		return len(readLines(t, out)) > 0
	})
	c.Close()
	syslogRoundTrip(t, "syslog+udp://127.0.0.1:"+port+"?", out, 20)
}

// TestSyslogTLS runs rsyslog's ossl driver with a certificate from a CA
// made here, and the output verifies it against that CA.
func TestSyslogTLS(t *testing.T) {
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so"); err != nil {
		if matches, _ := filepath.Glob("/usr/lib/*/rsyslog/lmnsd_ossl.so"); len(matches) == 0 {
			t.Skip("rsyslog's OpenSSL driver is not installed (apt-get install rsyslog-openssl); skipping")
		}
	}
	dir := t.TempDir()
	ca, cert, key := writeTestPKI(t, dir)
	port := strconv.Itoa(freePort(t, "tcp"))
	out := startRsyslog(t,
		` defaultNetstreamDriver="ossl" defaultNetstreamDriverCAFile="`+ca+`" defaultNetstreamDriverCertFile="`+cert+`" defaultNetstreamDriverKeyFile="`+key+`"`,
		`module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="`+port+`")`)
	waitTCP(t, "127.0.0.1:"+port)
	syslogRoundTrip(t, "syslog+tls://127.0.0.1:"+port+"?ca="+ca+"&server_name=syslog.test&", out, 20)
}

// writeTestPKI writes a CA and a server certificate for syslog.test and
// 127.0.0.1, and returns the PEM file paths.
func writeTestPKI(t *testing.T, dir string) (ca, cert, key string) {
	s := testpki.Signed(t, dir, "syslog.test", "127.0.0.1")
	return s.CAFile, s.CertFile, s.KeyFile
}

// TestSyslogDownSpoolReplay sends to a TCP port with no server: alerts go
// to the spool; rsyslog then starts on that port and receives them all.
func TestSyslogDownSpoolReplay(t *testing.T) {
	port := strconv.Itoa(freePort(t, "tcp"))
	spool := filepath.Join(t.TempDir(), "syslog.spool")
	before := time.Now()
	o, err := Open("syslog+tcp://127.0.0.1:"+port+"?facility=local0&hostname=gw-test&app_name=bw-test"+
		"&backoff_min=10ms&backoff_max=100ms&dial_timeout=1s&spool="+spool, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first connect to fail", func() bool { return o.Stats().Errors > 0 })
	for i := range 5 {
		o.Write(testAlert(i, 2))
	}
	waitFor(t, "5 alerts spooled", func() bool { return o.Stats().Spooled == 5 })
	if got := readLines(t, spool); len(got) != 5 || !strings.HasSuffix(got[4], eveLine(t, testAlert(4, 2))) {
		t.Fatalf("spool holds %q", got)
	}
	out := startRsyslog(t, "", `module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="`+port+`")`)
	waitFor(t, "the spool to be replayed", func() bool { return o.Stats().Replayed == 5 })
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "rsyslog to write 5 messages", func() bool { return len(readLines(t, out)) >= 5 })
	checkSyslogLines(t, readLines(t, out), 5, before, time.Now())
}
