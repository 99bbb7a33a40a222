package cli

import (
	"fmt"
	"strings"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// MarkGroups makes every command group (a command with subcommands, the
// root included) print its help when run alone and reject an unknown
// subcommand as a usage error with a suggestion: cobra's default prints
// the help and exits 0 on `geo lookpu`, and exits 1 on `borderwatch nosuch`.
func MarkGroups(c *cobra.Command) {
	if !c.HasSubCommands() {
		return
	}
	c.Args = unknownSubcommand
	c.SuggestionsMinimumDistance = 2 // what cobra's own suggestions use
	if c.Run == nil && c.RunE == nil {
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	for _, sub := range c.Commands() {
		MarkGroups(sub)
	}
}

// unknownSubcommand is the Args of a command group: any argument is a
// subcommand that does not exist.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return Usagef("unknown command %q for %q%s; run '%s --help' for the commands",
		args[0], cmd.CommandPath(), suggestCommand(cmd, args[0]), cmd.CommandPath())
}

// suggestCommand is ` (did you mean "x"?)` for the subcommand of cmd
// closest to name, or "".
func suggestCommand(cmd *cobra.Command, name string) string {
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		return fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return ""
}

// NewHelpCmd replaces cobra's help command, which prints the root's help
// and exits 0 for a topic that does not exist: `help nosuch` is a usage
// error with a suggestion.
func NewHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:     "help [command]",
		Short:   "Help about any command",
		Example: "  borderwatch help geo lookup",
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range cmd.Commands() {
				if (sub.IsAvailableCommand() || sub.Name() == "help") && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil {
				return UsageError{err}
			}
			if len(rest) > 0 {
				return Usagef("unknown help topic %q for %q%s", rest[0], cmd.CommandPath(), suggestCommand(cmd, rest[0]))
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
}

// suggestFlag is ` (did you mean "--x"?)` for a pflag "unknown flag: --y"
// error, naming the flag of cmd closest to y, or "".
func suggestFlag(cmd *cobra.Command, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	best, d := geo.Closest(name, names)
	if best == "" || d > 2 { // at most two edits away
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", "--"+best)
}

// MarkUsageErrors makes argument-count errors and flag errors of every
// command usage errors (exit 2).
func MarkUsageErrors(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return UsageError{err}
			}
			return nil
		}
	}
	c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return UsageError{fmt.Errorf("%w%s", err, suggestFlag(cmd, err))}
	})
	for _, sub := range c.Commands() {
		MarkUsageErrors(sub)
	}
}

// UsageError marks errors caused by bad flags, arguments or input files:
// the CLI exits 2 on them.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef is a UsageError of fmt.Errorf(format, a...).
func Usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// CompletionExamples adds cobra's completion command to root, with an
// install example for every shell.
func CompletionExamples(root *cobra.Command) {
	n := root.Name()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = "  source <(" + n + " completion bash)\n  " + n + " completion zsh > \"${fpath[1]}/_" + n + "\""
		for _, sh := range c.Commands() {
			switch sh.Name() {
			case "bash":
				sh.Example = "  " + n + " completion bash > /etc/bash_completion.d/" + n
			case "zsh":
				sh.Example = "  " + n + " completion zsh > \"${fpath[1]}/_" + n + "\""
			case "fish":
				sh.Example = "  " + n + " completion fish > ~/.config/fish/completions/" + n + ".fish"
			case "powershell":
				sh.Example = "  " + n + " completion powershell | Out-String | Invoke-Expression"
			}
		}
	}
}
