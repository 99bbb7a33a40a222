package main

import (
	"github.com/spf13/cobra"

	"github.com/borderwatch/borderwatch/geo"
)

// newGeoCmd is `borderwatch geo`: lookup and info.
func newGeoCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "geo",
		Short: "Look up addresses and inspect GeoIP databases",
		Long: `geo answers what borderwatch knows about an address: location and registered
country, continent, autonomous system and every jurisdiction (home, groups such as
EU or NATO, zones) it is in, using the same databases and --home as the sensor.`,
		Example: `  borderwatch geo lookup 81.2.69.160 2001:db8::1
  borderwatch --home DE geo lookup --json 192.0.2.1
  borderwatch --geoip GeoLite2-City.mmdb --asn-db GeoLite2-ASN.mmdb geo info`,
	}
	cmd.AddCommand(newGeoLookupCmd(a), newGeoInfoCmd(a))
	return cmd
}

func newGeoLookupCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lookup IP...",
		Short: "Show country, continent, AS and jurisdictions of addresses",
		Long: `lookup prints, for every IP, the location and registered country, continent,
AS number and organisation (with --asn-db, or when the country database carries
them), flags, and every jurisdiction the address is in by location and by
registered country. --json prints one JSON object per address, one per line.`,
		Example: `  borderwatch geo lookup 8.8.8.8
  borderwatch --home DE,AT geo lookup 192.0.2.1 2001:db8:de::1
  borderwatch --asn-db dbip-asn.mmdb geo lookup --json 1.1.1.1 | jq .jurisdictions`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addrs, err := geo.ParseAddrs(args)
			if err != nil {
				return usageError{Err: err}
			}
			t, err := a.loadGeo(nil)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return geo.WriteLookupJSON(w, t, addrs)
			}
			return geo.WriteLookupText(w, t, addrs)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per address, one per line")
	return cmd
}

func newGeoInfoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show the loaded GeoIP databases and the lookup table",
		Long: `info loads the country database (--geoip, or the embedded DB-IP Lite database)
and the ASN database (--asn-db) exactly as the sensor does, builds the lookup table
for --home, and prints each database's type, build date and network count, the
table's ranges and approximate memory, and the jurisdiction zones.`,
		Example: `  borderwatch geo info
  borderwatch --geoip /var/lib/GeoIP/GeoLite2-Country.mmdb --asn-db /var/lib/GeoIP/GeoLite2-ASN.mmdb geo info`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := a.loadGeo(nil)
			if err != nil {
				return err
			}
			return geo.WriteInfo(cmd.OutOrStdout(), t)
		},
	}
}
