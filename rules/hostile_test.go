package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadDir writes files into a temporary folder and loads r.yaml from it
// without the default pack.
func loadDir(t *testing.T, files map[string]string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(Options{Paths: []string{filepath.Join(dir, "r.yaml")}, NoDefaults: true})
	return dir, err
}

func listRule(file string) string {
	return fmt.Sprintf("lists:\n  - {name: bad, file: %q}\nrules:\n  - {id: 1, name: rep, kind: reputation, list: bad}\n", file)
}

// TestListFileNotRegular: a device reads without end and a FIFO blocks the
// reader forever; both are refused before reading, quickly.
func TestListFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"device", "/dev/zero", `r.yaml:2:23: list "bad": file: open /dev/zero: not a regular file (a character device)`},
		{"fifo", fifo, `r.yaml:2:23: list "bad": file: open ` + fifo + `: not a regular file (a FIFO)`},
		{"folder", dir, `r.yaml:2:23: list "bad": file: open ` + dir + `: not a regular file (a folder)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := loadDir(t, map[string]string{"r.yaml": listRule(tc.path)})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("loaded")
				}
				if !strings.HasSuffix(err.Error(), strings.TrimPrefix(tc.want, "r.yaml")) {
					t.Errorf("error\n%v\nwant the end of\n%s", err, tc.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Load hangs")
			}
		})
	}
}

// TestRuleFileNotRegular: the same for a rule file given by path.
func TestRuleFileNotRegular(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		_, err := Load(Options{Paths: []string{"/dev/zero"}, NoDefaults: true})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || err.Error() != "/dev/zero: open: not a regular file (a character device)" {
			t.Errorf("error %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Load hangs")
	}
}

// TestListFileTooLarge: a (sparse) list file over MaxListFileSize is
// refused without being read.
func TestListFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.txt")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxListFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(listRule("big.txt")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(Options{Paths: []string{filepath.Join(dir, "r.yaml")}, NoDefaults: true})
	want := fmt.Sprintf(`list "bad": file: open %s: file larger than the limit of 64 MiB`, big)
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %v, want …%s", err, want)
	}
}

// TestListErrorsQuoteNoSecrets: a list file pointing at a password file
// must not copy its lines into the error (it goes to stderr and the log
// shipped to the SIEM).
func TestListErrorsQuoteNoSecrets(t *testing.T) {
	shadow := "root:$6$Q0aXcPnN$Hn5NgQ7mTjBlBPUi4YmGa0rWOLdxr0pl1nGcWXPq0Ez7Er0o7z6/:19000:0:99999:7:::\n" +
		"daemon:*:19000:0:99999:7:::\n" +
		"REDIS_PASSWORD=s3cr3t-s3cr3t\n" +
		"token $ghp_0123456789abcdefghijklmnopqrstuvwxyz\n" +
		strings.Repeat("A", 100) + "\n" +
		"evil\u202egnp.exe\x07\n"
	_, err := loadDir(t, map[string]string{"r.yaml": listRule("shadow"), "shadow": shadow})
	if err == nil {
		t.Fatal("loaded")
	}
	got := err.Error()
	for _, secret := range []string{"Q0aX", "19000", "s3cr3t", "ghp_", strings.Repeat("A", 33), "\u202e", "\x07"} {
		if strings.Contains(got, secret) {
			t.Errorf("error quotes %q:\n%s", secret, got)
		}
	}
	for _, want := range []string{
		`shadow:1: list "bad": bad CIDR "root:..."`,
		`shadow:2: list "bad": bad address "daemon:...": want an IP address or a CIDR`,
		`shadow:3: list "bad": bad address "REDIS_PASSWORD=...": want an IP address or a CIDR`,
		`shadow:4: list "bad": want one address or CIDR, got "token $..."`,
		`shadow:5: list "bad": bad address "` + strings.Repeat("A", 32) + `...": want an IP address or a CIDR`,
		`shadow:6: list "bad": bad address "evil\u202egnp.exe\a": want an IP address or a CIDR`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing\n%s\nin\n%s", want, got)
		}
	}
}

func TestExcerpt(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.300":           "192.0.2.300",
		"fe80::1%eth0":          "fe80::1%eth0",
		"2001:db8::/129":        "2001:db8::/129",
		"root:x:0:0":            "root:...",
		"a=b":                   "a=...",
		"$6$salt":               "$...",
		"":                      "",
		strings.Repeat("é", 20): strings.Repeat("é", 16) + "...",
		strings.Repeat("1", 40): strings.Repeat("1", 32) + "...",
	} {
		if got := excerpt(in); got != want {
			t.Errorf("excerpt(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestListLineAndEntryBounds: long lines are errors (not read into one
// entry), bad lines past the tenth are counted, and a list stops at the
// entry limit.
func TestListLineAndEntryBounds(t *testing.T) {
	data := "192.0.2.1\n" + strings.Repeat("9", MaxListLine+1) + "\n"
	for range 20 {
		data += "x\n"
	}
	_, bad := ParseList("x", "f", []byte(data), FormatAuto)
	var got []string
	for _, b := range bad {
		got = append(got, fmt.Sprintf("%d: %s", b.Line, b.Reason))
	}
	if len(got) != 11 || got[0] != "2: line longer than 4096 bytes" || got[1] != `3: bad address "x": want an IP address or a CIDR` || got[10] != "12: 11 more bad lines" {
		t.Errorf("bad lines:\n%s", strings.Join(got, "\n"))
	}

	defer func(n int) { maxListEntries = n }(maxListEntries)
	maxListEntries = 3
	l, bad := ParseList("x", "f", []byte("192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n192.0.2.5\n"), FormatAuto)
	if len(bad) != 1 || bad[0].Line != 4 || bad[0].Reason != "more than 3 entries (the limit of a list)" || l.Len() != 3 {
		t.Errorf("entry limit: %v, %d entries", bad, l.Len())
	}
}

// TestNamesRejectInvisibleCharacters: a rule's name is the alert's
// signature; a bidi override or a control character in it would make the
// SIEM or a terminal show something else than what the rule is.
func TestNamesRejectInvisibleCharacters(t *testing.T) {
	y := `rules:
  - {id: 1, name: "invoice \u202Efdp.exe", kind: scan}
  - {id: 2, name: "bell \x07 and \x1b[31mred", kind: scan}
  - {id: 3, name: "zero\u200Bwidth", kind: scan}
  - {id: 4, name: "isolate \u2066x\u2069", kind: scan}
  - {id: 5, name: "fine: Ünïcödé 扫描", kind: scan, description: "two\nlines\tand a tab"}
  - {id: 6, name: ok, kind: scan, description: "hidden \u2067 text"}
`
	_, err := loadDir(t, map[string]string{"r.yaml": y})
	if err == nil {
		t.Fatal("loaded")
	}
	var got []string
	for _, line := range strings.Split(err.Error(), "\n") {
		got = append(got, line[strings.Index(line, "r.yaml"):])
	}
	want := []string{
		`r.yaml:2:19: rule 1: name: format character U+202E at byte 8 (bidirectional overrides, zero-width and other invisible characters are not allowed)`,
		`r.yaml:3:19: rule 2: name: control character U+0007 at byte 5`,
		`r.yaml:4:19: rule 3: name: format character U+200B at byte 4 (bidirectional overrides, zero-width and other invisible characters are not allowed)`,
		`r.yaml:5:19: rule 4: name: format character U+2066 at byte 8 (bidirectional overrides, zero-width and other invisible characters are not allowed)`,
		`r.yaml:7:48: rule 6: description: format character U+2067 at byte 7 (bidirectional overrides, zero-width and other invisible characters are not allowed)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMaxRules: a rule set holds at most MaxRules rules; the error points
// at the first rule beyond.
func TestMaxRules(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range MaxRules + 2 {
		fmt.Fprintf(&b, "  - {id: %d, name: r%d, kind: scan}\n", i+1, i)
	}
	_, err := loadDir(t, map[string]string{"r.yaml": b.String()})
	want := fmt.Sprintf("r.yaml:%d:6: rule %d: too many rules: a rule set holds at most %d", MaxRules+2, MaxRules+1, MaxRules)
	if err == nil || !strings.HasSuffix(err.Error(), want) || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("error %v, want …%s", err, want)
	}
}

// TestRuleFileErrorsQuoteNoSecrets: a password file given as a rule file
// reads as YAML keys; the errors name the user, not the hash.
func TestRuleFileErrorsQuoteNoSecrets(t *testing.T) {
	_, err := loadDir(t, map[string]string{"r.yaml": "root:$6$Q0aXcPnN$Hn5NgQ7mTjBlBPUi4YmGa0r:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"})
	if err == nil {
		t.Fatal("loaded")
	}
	got := err.Error()
	if strings.Contains(got, "Q0aX") || strings.Contains(got, "19000") ||
		!strings.Contains(got, `r.yaml:1:1: unknown key "root:..."`) || !strings.Contains(got, `r.yaml:2:1: unknown key "daemon:..."`) {
		t.Errorf("errors:\n%s", got)
	}
}

// TestNameAndDescriptionLength: the name is copied into every alert; both
// are bounded.
func TestNameAndDescriptionLength(t *testing.T) {
	y := fmt.Sprintf("rules:\n  - {id: 1, name: %s, kind: scan}\n  - {id: 2, name: b, kind: scan, description: %s}\n  - {id: 3, name: %s, kind: scan, description: %s}\n",
		strings.Repeat("n", MaxNameLen+1), strings.Repeat("d", MaxDescriptionLen+1), strings.Repeat("n", MaxNameLen), strings.Repeat("d", MaxDescriptionLen))
	_, err := loadDir(t, map[string]string{"r.yaml": y})
	if err == nil {
		t.Fatal("loaded")
	}
	var got []string
	for _, line := range strings.Split(err.Error(), "\n") {
		got = append(got, line[strings.Index(line, "r.yaml"):])
	}
	want := "r.yaml:2:19: rule 1: name: 257 bytes, longer than the limit of 256\n" +
		"r.yaml:3:47: rule 2: description: 4097 bytes, longer than the limit of 4096"
	if strings.Join(got, "\n") != want {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}
