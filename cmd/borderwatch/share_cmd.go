package main

import (
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/share"
)

// newShareCmd is `borderwatch share`: alerts as STIX 2.1 or MISP.
func newShareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "share",
		Short: "Share what crossed the border as STIX 2.1 or MISP",
		Long: `share turns alert files (EVE or ECS JSON lines, as the sensor writes them) into
the formats CERTs, ISACs and partner operators import: a STIX 2.1 bundle or a
MISP event or feed folder.

Only the foreign side leaves: the attacking address, its country and AS, the
detector kind and MITRE ATT&CK techniques, counts and times; the home side is
reduced to its country. Home addresses, the sensor's host name, interfaces,
capture file names and rule messages stay home unless --include-home is given.
See docs/sharing.md.`,
		Example: `  borderwatch share stix --tlp amber --identity "CERT-Example gateway" alerts.json > bundle.json
  borderwatch share misp --feed /var/www/misp-feed alerts.json`,
	}
	cmd.AddCommand(newShareSTIXCmd(), newShareMISPCmd())
	return cmd
}

// shareFlags are the flags both share commands take.
type shareFlags struct {
	tlp         string
	identity    string
	includeHome bool
	output      string
}

func (f *shareFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.tlp, "tlp", string(share.DefaultTLP), "TLP 2.0 level: clear, green, amber, amber+strict or red")
	fl.StringVar(&f.identity, "identity", share.DefaultIdentity, "name of the sharer (STIX identity, MISP creating organisation)")
	fl.BoolVar(&f.includeHome, "include-home", false, "also share home addresses, the sensor's host name and rule messages")
	fl.StringVarP(&f.output, "output", "o", "", "write to FILE (replaced atomically) instead of standard output")
}

// read parses the flags and reads the alert files, printing the summary
// and the bad lines to stderr.
func (f *shareFlags) read(cmd *cobra.Command, paths []string) (share.TLP, *share.Result, error) {
	tlp, err := share.ParseTLP(f.tlp)
	if err != nil {
		return "", nil, usageErr("--tlp: %v", err)
	}
	if err := share.CheckIdentity(f.identity); err != nil {
		return "", nil, usageErr("--identity: %v", err)
	}
	res, err := share.Read(share.Options{IncludeHome: f.includeHome}, cmd.InOrStdin(), paths...)
	if err != nil {
		return "", nil, usageError{Err: err}
	}
	share.WriteSummary(cmd.ErrOrStderr(), res)
	return tlp, res, nil
}

func newShareSTIXCmd() *cobra.Command {
	var (
		f         shareFlags
		validFor  time.Duration
		taxii     string
		taxiiUser string
	)
	cmd := &cobra.Command{
		Use:   "stix [flags] ALERTS.json...",
		Short: "Write a STIX 2.1 bundle of the foreign addresses in alert files",
		Long: `stix writes one STIX 2.1 bundle: the sharer's identity, the TLP 2.0 marking
definition, and per foreign address an ipv4-addr or ipv6-addr object, an
indicator (pattern, validity, MITRE ATT&CK kill chain phases), a sighting
(count, first and last seen, where sighted: the identity and the home
country), the attack patterns of its techniques, its country as a location and
its autonomous system. Identifiers are UUIDv5 over content: sharing the same
alerts again gives the same objects. "-" reads standard input.`,
		Example: `  borderwatch share stix alerts.json > bundle.json
  borderwatch share stix --tlp green --identity "gw1.example CERT" -o bundle.json alerts-*.json
  borderwatch replay capture.pcap | borderwatch share stix -
  BORDERWATCH_TAXII_PASSWORD=… borderwatch share stix --taxii https://taxii.example/api1/collections/ID/ --taxii-user gw1 alerts.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if validFor <= 0 {
				return usageErr("--valid-for: give a positive duration")
			}
			if taxii != "" && f.output != "" {
				return usageErr("--taxii and --output exclude each other")
			}
			if _, err := share.ParseCollection(taxii); taxii != "" && err != nil {
				return usageError{Err: err} // a collection URL that is refused is bad usage, before reading
			}
			tlp, res, err := f.read(cmd, args)
			if err != nil {
				return err
			}
			opt := share.STIXOptions{TLP: tlp, Identity: f.identity, ValidFor: validFor}
			if taxii != "" { // the password or token from the environment, never a flag (ps, shell history)
				return share.PushSTIX(cmd.Context(), cmd.ErrOrStderr(), res, opt, share.TAXIIOptions{Collection: taxii, User: taxiiUser,
					Password: os.Getenv("BORDERWATCH_TAXII_PASSWORD"), Token: os.Getenv("BORDERWATCH_TAXII_TOKEN")})
			}
			return share.WriteTo(f.output, cmd.OutOrStdout(), func(w io.Writer) error { return share.WriteSTIX(w, res, opt) })
		},
	}
	f.bind(cmd)
	cmd.Flags().DurationVar(&validFor, "valid-for", share.DefaultValidFor, "indicator validity after the last sighting (valid_until)")
	cmd.Flags().StringVar(&taxii, "taxii", "", "add the objects to the TAXII 2.1 collection at URL instead of writing the bundle")
	cmd.Flags().StringVar(&taxiiUser, "taxii-user", "", "TAXII user (HTTP Basic; password in $BORDERWATCH_TAXII_PASSWORD, or a token in $BORDERWATCH_TAXII_TOKEN)")
	return cmd
}

func newShareMISPCmd() *cobra.Command {
	var (
		f    shareFlags
		feed string
	)
	cmd := &cobra.Command{
		Use:   "misp [flags] ALERTS.json...",
		Short: "Write a MISP event, or add it to a MISP feed folder",
		Long: `misp writes one MISP event of the foreign addresses in the alert files: an
ip-src attribute per address that sent attack traffic, an ip-dst attribute per
foreign address a home host contacted, all with to_ids, the TLP tag on the
event and MISP's mitre-attack-pattern galaxy tags on each attribute.

--feed DIR adds the event to a MISP feed folder (DIR/UUID.json, manifest.json,
hashes.csv) that a MISP instance subscribes to; events already there stay.
Without alerts that have a foreign address nothing is written. "-" reads
standard input.`,
		Example: `  borderwatch share misp alerts.json > event.json
  borderwatch share misp --tlp green --feed /var/www/html/borderwatch-feed alerts.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if feed != "" && f.output != "" {
				return usageErr("--feed and --output exclude each other")
			}
			tlp, res, err := f.read(cmd, args)
			if err != nil {
				return err
			}
			return share.WriteMISPEvent(res, share.MISPOptions{TLP: tlp, Identity: f.identity}, feed, f.output, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&feed, "feed", "", "add the event to the MISP feed folder DIR")
	return cmd
}
