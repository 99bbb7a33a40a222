package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasAnExample walks the command tree: each command an
// operator can type shows an example in its --help.
func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		n++
		if c.Example == "" {
			t.Errorf("%q has no example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(newApp()))
	if n < 14 {
		t.Errorf("walked %d commands, want at least 14", n)
	}
}

// TestUsageErrorsExit2 checks the exit code and message of typos in every
// command group: unknown subcommands, unknown flags, missing and extra
// arguments and unknown help topics are usage errors (exit 2), with a
// suggestion where one is close; a group alone prints its help (exit 0).
func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string // in the error (exit 2) or on standard output (exit 0)
	}{
		{[]string{"nosuch"}, exitUsage, `unknown command "nosuch" for "borderwatch"; run 'borderwatch --help'`},
		{[]string{"replya", "x.pcap"}, exitUsage, `unknown command "replya" for "borderwatch" (did you mean "replay"?)`},
		{[]string{"geo", "lookpu", "1.2.3.4"}, exitUsage, `unknown command "lookpu" for "borderwatch geo" (did you mean "lookup"?)`},
		{[]string{"rules", "chek"}, exitUsage, `unknown command "chek" for "borderwatch rules" (did you mean "check"?)`},
		{[]string{"config", "chek"}, exitUsage, `unknown command "chek" for "borderwatch config" (did you mean "check"?)`},
		{[]string{"completion", "bsh"}, exitUsage, `unknown command "bsh" for "borderwatch completion" (did you mean "bash"?)`},
		{[]string{"help", "nosuch"}, exitUsage, `unknown help topic "nosuch" for "borderwatch"`},
		{[]string{"help", "geo", "lookpu"}, exitUsage, `unknown help topic "lookpu" for "borderwatch geo" (did you mean "lookup"?)`},
		{[]string{"--nosuch"}, exitUsage, `unknown flag: --nosuch`},
		{[]string{"geo", "lookup", "--jsn", "1.2.3.4"}, exitUsage, `unknown flag: --jsn (did you mean "--json"?)`},
		{[]string{"rules", "check", "--no-default-rule"}, exitUsage, `unknown flag: --no-default-rule (did you mean "--no-default-rules"?)`},
		{[]string{"config", "check", "--hom", "DE"}, exitUsage, `unknown flag: --hom (did you mean "--home"?)`},
		{[]string{"replay", "--quite", "x.pcap"}, exitUsage, `unknown flag: --quite (did you mean "--quiet"?)`},
		{[]string{"run", "--ifcae", "eth0"}, exitUsage, `unknown flag: --ifcae (did you mean "--iface"?)`},
		{[]string{"status", "-Z"}, exitUsage, `unknown shorthand flag: 'Z' in -Z`},
		{[]string{"replay"}, exitUsage, `requires at least 1 arg(s), only received 0: a capture FILE, or -r FILE`},
		{[]string{"geo", "lookup"}, exitUsage, `requires at least 1 arg(s)`},
		{[]string{"config", "check", "a.yaml", "b.yaml"}, exitUsage, `accepts at most 1 arg(s), received 2`},
		{[]string{"version", "extra"}, exitUsage, `unknown command "extra" for "borderwatch version"`},
		{[]string{"status", "extra"}, exitUsage, `unknown command "extra" for "borderwatch status"`},
		{[]string{"geo"}, exitOK, "borderwatch geo [command]"},
		{[]string{"rules"}, exitOK, "borderwatch rules [command]"},
		{[]string{"help", "geo", "lookup"}, exitOK, "borderwatch geo lookup IP..."},
		{[]string{"--help"}, exitOK, "Available Commands:"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := execCLI(tc.args...)
			if code := exitCode(err); code != tc.code {
				t.Fatalf("exit %d, want %d (error: %v)", code, tc.code, err)
			}
			got := out
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

// TestEveryGroupRejectsUnknownSubcommands walks the command tree: every
// command group, also one added later, rejects a subcommand it does not
// have with exit 2.
func TestEveryGroupRejectsUnknownSubcommands(t *testing.T) {
	var groups [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.HasSubCommands() {
			groups = append(groups, path)
		}
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(newRootCmd(newApp()), nil)
	if len(groups) < 5 { // root, geo, rules, config, completion
		t.Fatalf("found groups %v, want at least 5", groups)
	}
	for _, g := range groups {
		_, _, err := execCLI(append(slices.Clone(g), "zzzz")...)
		if code := exitCode(err); code != exitUsage || !strings.Contains(fmt.Sprint(err), `unknown command "zzzz"`) {
			t.Errorf("%v zzzz: exit %d, error %v; want exit 2, unknown command", g, code, err)
		}
	}
}

// TestShortFlags checks the short flags of Suricata and Zeek habits: -c
// config, -i interfaces (run), -r capture file (replay), -V version.
func TestShortFlags(t *testing.T) {
	root := newRootCmd(newApp())
	for _, tc := range []struct {
		path      []string
		short, to string
	}{
		{nil, "c", "config"},
		{nil, "V", "version"},
		{[]string{"run"}, "i", "iface"},
		{[]string{"replay"}, "r", "read"},
		{[]string{"replay"}, "q", "quiet"},
	} {
		c, _, err := root.Find(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		f := c.Flags().ShorthandLookup(tc.short)
		if f == nil {
			f = c.PersistentFlags().ShorthandLookup(tc.short)
		}
		if f == nil || f.Name != tc.to {
			t.Errorf("%v -%s is %v, want --%s", tc.path, tc.short, f, tc.to)
		}
	}
	// -r reads the sample like the FILE argument.
	out, stderr, code := runCLI(t, "replay", "-q", "-r", samplePath)
	if code != exitOK || !strings.Contains(out, `"signature_id":8100101`) {
		t.Errorf("replay -r: exit %d, out %q, stderr %s", code, out, stderr)
	}
	// -c names the configuration file: a missing explicit one is an error.
	_, _, err := execCLI("-c", filepath.Join(t.TempDir(), "missing.yaml"), "geo", "info")
	if exitCode(err) != exitUsage || !strings.Contains(fmt.Sprint(err), "missing.yaml") {
		t.Errorf("-c missing.yaml: %v", err)
	}
}

// TestVersionFlag: --version and -V print the version line and exit 0,
// like the version command.
func TestVersionFlag(t *testing.T) {
	want := buildInfo().String() + "\n"
	for _, args := range [][]string{{"--version"}, {"-V"}, {"version"}} {
		out, _, err := execCLI(args...)
		if err != nil || out != want {
			t.Errorf("%v: %q, %v; want %q", args, out, err, want)
		}
	}
}

// TestHelpCompletion: `help` completes the commands it can explain.
func TestHelpCompletion(t *testing.T) {
	out, _, err := execCLI("__complete", "help", "g")
	if err != nil || !strings.HasPrefix(out, "geo\t") || strings.Contains(out, "replay") {
		t.Errorf("help g completes to %q, %v", out, err)
	}
	out, _, err = execCLI("__complete", "help", "geo", "")
	if err != nil || !strings.Contains(out, "lookup\t") || !strings.Contains(out, "info\t") {
		t.Errorf("help geo completes to %q, %v", out, err)
	}
}

// TestBinaryLinksNoTemplate: the sensor binary must not link
// text/template. Cobra prints --version and custom help through templates,
// and a binary that executes a template keeps every exported method of
// every type reachable through an interface (go-redis alone grew from 0.6
// to 4.2 MB): 10.5 MB more for one version line.
func TestBinaryLinksNoTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary: not with -short")
	}
	bin := filepath.Join(t.TempDir(), "borderwatch")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	if strings.Contains(string(out), "text/template.(*Template).Execute") {
		t.Error("the binary links text/template's Execute: something executes a template (cobra's SetVersionTemplate, SetUsageTemplate, SetHelpTemplate…)")
	}
}
