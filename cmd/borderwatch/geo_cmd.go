package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

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

// geoLookupJSON is one line of `geo lookup --json`.
type geoLookupJSON struct {
	IP                      string   `json:"ip"`
	Found                   bool     `json:"found"`
	Country                 string   `json:"country,omitempty"`
	RegisteredCountry       string   `json:"registered_country,omitempty"`
	RepresentedCountry      string   `json:"represented_country,omitempty"`
	Continent               string   `json:"continent,omitempty"`
	ASN                     uint32   `json:"asn,omitempty"`
	ASOrg                   string   `json:"as_org,omitempty"`
	Special                 bool     `json:"special,omitempty"`
	Anycast                 bool     `json:"anycast,omitempty"`
	Home                    bool     `json:"home"`
	Jurisdictions           []string `json:"jurisdictions"`
	RegisteredJurisdictions []string `json:"registered_jurisdictions,omitempty"`
	Database                string   `json:"database"`
	DatabaseBuild           string   `json:"database_build"`
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
			addrs := make([]netip.Addr, len(args))
			for i, s := range args {
				ip, err := netip.ParseAddr(strings.TrimSpace(s))
				if err != nil {
					return usageErr("bad IP address %q", s)
				}
				addrs[i] = ip.WithZone("")
			}
			t, err := a.loadGeoOfConfig()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeLookupJSON(w, t, addrs)
			}
			return writeLookupText(w, t, addrs)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per address, one per line")
	return cmd
}

func lookupRecord(t *geo.Table, ip netip.Addr) geoLookupJSON {
	in := t.Lookup(ip)
	z := t.Zones()
	src := t.Source()
	r := geoLookupJSON{
		IP:                      ip.String(),
		Found:                   in.Flags&geo.FlagFound != 0,
		Country:                 in.Country.String(),
		RegisteredCountry:       in.Registered.String(),
		RepresentedCountry:      in.Represented.String(),
		Continent:               in.Continent.String(),
		ASN:                     in.ASN,
		ASOrg:                   t.ASOrg(in.ASN),
		Special:                 in.Flags&geo.FlagSpecial != 0,
		Anycast:                 in.Flags&geo.FlagAnycast != 0,
		Home:                    in.IsHome(),
		Jurisdictions:           z.Jurisdictions(&in, geo.BasisLocation),
		RegisteredJurisdictions: z.Jurisdictions(&in, geo.BasisRegistered),
		Database:                src.Name,
		DatabaseBuild:           src.BuildTime.UTC().Format(time.RFC3339),
	}
	if r.Jurisdictions == nil {
		r.Jurisdictions = []string{}
	}
	if in.Registered == 0 {
		// Without a registered country, the jurisdictions "by
		// registration" would be those of AS and CIDR terms alone.
		r.RegisteredJurisdictions = nil
	} else if r.RegisteredJurisdictions == nil {
		r.RegisteredJurisdictions = []string{}
	}
	return r
}

func writeLookupJSON(w io.Writer, t *geo.Table, addrs []netip.Addr) error {
	enc := json.NewEncoder(w)
	for _, ip := range addrs {
		if err := enc.Encode(lookupRecord(t, ip)); err != nil {
			return err
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeLookupText(w io.Writer, t *geo.Table, addrs []netip.Addr) error {
	for i, ip := range addrs {
		r := lookupRecord(t, ip)
		if i > 0 {
			fmt.Fprintln(w)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\n", r.IP)
		st := t.Stats()
		fmt.Fprintf(tw, "  location:\t%s\n", orDash(r.Country))
		if st.HasRegistered {
			fmt.Fprintf(tw, "  registered:\t%s\n", orDash(r.RegisteredCountry))
		}
		if r.RepresentedCountry != "" {
			fmt.Fprintf(tw, "  represented:\t%s\n", r.RepresentedCountry)
		}
		fmt.Fprintf(tw, "  continent:\t%s\n", orDash(r.Continent))
		if st.HasASN {
			as := "-"
			if r.ASN != 0 {
				as = fmt.Sprintf("AS%d %s", r.ASN, r.ASOrg)
			}
			fmt.Fprintf(tw, "  as:\t%s\n", strings.TrimSpace(as))
		}
		var flags []string
		if !r.Found {
			flags = append(flags, "not-in-database")
		}
		if r.Special {
			flags = append(flags, "special")
		}
		if r.Anycast {
			flags = append(flags, "anycast")
		}
		if len(flags) > 0 {
			fmt.Fprintf(tw, "  flags:\t%s\n", strings.Join(flags, ", "))
		}
		fmt.Fprintf(tw, "  jurisdictions:\t%s\n", orDash(strings.Join(r.Jurisdictions, ", ")))
		if r.RegisteredCountry != "" {
			fmt.Fprintf(tw, "  by registration:\t%s\n", orDash(strings.Join(r.RegisteredJurisdictions, ", ")))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, s := range geoSources(t) {
		if _, err := fmt.Fprintf(w, "(%s: %s, %s, built %s)\n", s.role, s.src.Name, s.src.Type, s.src.BuildTime.UTC().Format(time.DateOnly)); err != nil {
			return err
		}
	}
	if t.Source().Name == geo.EmbeddedName {
		if _, err := fmt.Fprintln(w, geo.Attribution); err != nil {
			return err
		}
	}
	if t.ASNSource().Name == geo.EmbeddedASNName {
		_, err := fmt.Fprintln(w, "IP to ASN data by RouteViews, DB-IP and NRO")
		return err
	}
	return nil
}

// geoSource is one database a table was built from.
type geoSource struct {
	role     string // location, registration, asn
	src      geo.Source
	networks int
	licence  string // for the embedded tables
}

// geoSources lists the databases of t in the order location, registration, asn.
func geoSources(t *geo.Table) []geoSource {
	st := t.Stats()
	out := []geoSource{{role: "location", src: st.Country, networks: st.CountryNetworks}}
	if st.Country.Name == geo.EmbeddedName {
		out[0].licence = geo.CountryLicence
	}
	if st.Registration.Name != "" {
		s := geoSource{role: "registration", src: st.Registration, networks: st.RegistrationNetworks}
		if s.src.Name == geo.EmbeddedRegistrationName {
			s.licence = geo.RegistrationLicence
		}
		out = append(out, s)
	}
	if st.ASN.Name != "" {
		s := geoSource{role: "asn", src: st.ASN, networks: st.ASNNetworks}
		if s.src.Name == geo.EmbeddedASNName {
			s.licence = geo.ASNLicence
		}
		out = append(out, s)
	}
	return out
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
			t, err := a.loadGeoOfConfig()
			if err != nil {
				return err
			}
			return writeGeoInfo(cmd.OutOrStdout(), t)
		},
	}
}

func writeGeoInfo(w io.Writer, t *geo.Table) error {
	st := t.Stats()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range geoSources(t) {
		fmt.Fprintf(tw, "%s database:\t%s\n", s.role, s.src.Name)
		typ := s.src.Type
		if s.role == "location" {
			typ += " (" + st.CountrySchema + " schema)"
		}
		fmt.Fprintf(tw, "  type:\t%s\n", typ)
		fmt.Fprintf(tw, "  built:\t%s\n", s.src.BuildTime.UTC().Format(time.RFC3339))
		fmt.Fprintf(tw, "  networks:\t%d\n", s.networks)
		if s.licence != "" {
			fmt.Fprintf(tw, "  licence:\t%s\n", s.licence)
		}
	}
	if st.Registration.Name == "" {
		reg := "none: no registered country is reported"
		if st.HasRegistered {
			reg = "from the location database (registered_country)"
		}
		fmt.Fprintf(tw, "registration:\t%s\n", reg)
	}
	if st.ASN.Name == "" {
		as := "none: no AS is reported (--asn-db)"
		if st.HasASN {
			as = "from the location database"
		}
		fmt.Fprintf(tw, "asn:\t%s\n", as)
	}
	fmt.Fprintf(tw, "lookup table:\t%d IPv4 ranges, %d IPv6 ranges, %d distinct results (all sources merged)\n", st.Ranges4, st.Ranges6, st.Infos)
	fmt.Fprintf(tw, "  memory:\t~%.1f MiB\n", float64(st.Bytes)/(1<<20))
	names := t.Zones().Names()
	fmt.Fprintf(tw, "zones:\t%s\n", strings.Join(names, ", "))
	fmt.Fprintf(tw, "  home:\t%s\n", orDash(strings.Join(t.Zones().Config().Home, ", ")))
	for _, m := range t.Warnings() {
		fmt.Fprintf(tw, "warning:\t%s\n", m)
	}
	return tw.Flush()
}
