package cli

import (
	"errors"
	"io"
	"testing"

	"github.com/spf13/cobra"
)

// TestUsageErrors: on a small tree, an unknown subcommand, a bad flag and a
// wrong argument count are UsageErrors, with the closest name suggested.
func TestUsageErrors(t *testing.T) {
	tree := func() *cobra.Command {
		root := &cobra.Command{Use: "bw", SilenceErrors: true, SilenceUsage: true}
		geo := &cobra.Command{Use: "geo"}
		geo.AddCommand(&cobra.Command{Use: "lookup", Args: cobra.MinimumNArgs(1), RunE: func(*cobra.Command, []string) error { return nil }})
		root.AddCommand(geo)
		root.PersistentFlags().String("home", "", "")
		root.SetHelpCommand(NewHelpCmd(root))
		MarkGroups(root)
		MarkUsageErrors(root)
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		return root
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"geo", "lookpu"}, `unknown command "lookpu" for "bw geo" (did you mean "lookup"?); run 'bw geo --help' for the commands`},
		{[]string{"geo", "lookup", "--hom", "DE", "x"}, `unknown flag: --hom (did you mean "--home"?)`},
		{[]string{"geo", "lookup"}, "requires at least 1 arg(s), only received 0"},
		{[]string{"help", "gel"}, `unknown help topic "gel" for "bw" (did you mean "geo"?)`},
	} {
		root := tree()
		root.SetArgs(c.args)
		err := root.Execute()
		var ue UsageError
		if !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("%v: %v (usage error %v); want %q", c.args, err, errors.As(err, &ue), c.want)
		}
	}
}
