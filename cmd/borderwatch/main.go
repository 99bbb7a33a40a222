// Command borderwatch detects attack traffic crossing sovereignty boundaries.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/borderwatch/borderwatch/internal/cli"
	"github.com/borderwatch/borderwatch/internal/inputerr"
	"github.com/borderwatch/borderwatch/internal/systemd"
	"github.com/borderwatch/borderwatch/sensor/detect"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks errors caused by bad flags, arguments or input files (exit 2).
type usageError = cli.UsageError

func usageErr(format string, a ...any) error { return cli.Usagef(format, a...) }

// usage marks err, when not nil, as a usage error.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{Err: err}
}

func main() {
	a := newApp()
	root := newRootCmd(a)
	err := root.Execute()
	if err != nil {
		fmt.Fprint(os.Stderr, errorLine(os.Stderr, err))
	}
	os.Exit(exitCode(err))
}

// errorLine is the line main prints for the error a command returned,
// with the error priority on the journal's stream.
func errorLine(w io.Writer, err error) string {
	return systemd.ErrorLine(w, "borderwatch: "+err.Error()+"\n")
}

// exitCode is the exit code of a command that returned err.
func exitCode(err error) int {
	var (
		ue usageError
		se *detect.StateLimitError
		ie *inputerr.Error // replay.InputError, tail.InputError, console.ConfigError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &se), errors.As(err, &ie): // a rule set over the state limit is invalid input
		return exitUsage
	default:
		return exitRuntime
	}
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "borderwatch",
		Short: "Detect attack traffic crossing sovereignty boundaries",
		Long: `borderwatch watches traffic at a gateway (or replays captures) and writes an alert,
as one JSON line, when an attack crosses a jurisdiction boundary: scans, sweeps,
floods, brute force, reflection, listed addresses, forbidden jurisdictions and
data leaving the country.`,
		Example: `  borderwatch replay --home DE capture.pcap
  borderwatch geo lookup 81.2.69.160
  borderwatch rules check my-rules.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.HasSubCommands() || cmd.Name() == "help" {
				return nil // a command group and help only print help
			}
			return a.setup(cmd)
		},
	}
	a.bindFlags(root)
	addVersionFlag(root)
	root.AddCommand(
		newReplayCmd(a),
		newRunCmd(a),
		newStatusCmd(a),
		newConfigCmd(a),
		newGeoCmd(a),
		newRulesCmd(a),
		newShareCmd(),
		newTailCmd(a),
		newListsCmd(a),
		newVersionCmd(),
	)
	cli.CompletionExamples(root)
	root.SetHelpCommand(cli.NewHelpCmd(root))
	cli.MarkGroups(root)
	cli.MarkUsageErrors(root)
	return root
}
