package geo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"
)

// LookupReport is what `borderwatch geo lookup` shows of an address (one
// line of its --json output).
type LookupReport struct {
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

// Report is what t knows of ip: countries, continent, AS, flags and
// jurisdictions.
func (t *Table) Report(ip netip.Addr) LookupReport {
	in := t.Lookup(ip)
	z := t.Zones()
	src := t.Source()
	r := LookupReport{
		IP:                      ip.String(),
		Found:                   in.Flags&FlagFound != 0,
		Country:                 in.Country.String(),
		RegisteredCountry:       in.Registered.String(),
		RepresentedCountry:      in.Represented.String(),
		Continent:               in.Continent.String(),
		ASN:                     in.ASN,
		ASOrg:                   t.ASOrg(in.ASN),
		Special:                 in.Flags&FlagSpecial != 0,
		Anycast:                 in.Flags&FlagAnycast != 0,
		Home:                    in.IsHome(),
		Jurisdictions:           z.Jurisdictions(&in, BasisLocation),
		RegisteredJurisdictions: z.Jurisdictions(&in, BasisRegistered),
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

// ParseAddrs parses the addresses of `geo lookup` (surrounding spaces
// and an IPv6 zone are dropped); the error quotes the first bad one.
func ParseAddrs(args []string) ([]netip.Addr, error) {
	addrs := make([]netip.Addr, len(args))
	for i, s := range args {
		ip, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("bad IP address %q", s)
		}
		addrs[i] = ip.WithZone("")
	}
	return addrs, nil
}

// WriteLookupJSON writes the report of each address as a JSON line.
func WriteLookupJSON(w io.Writer, t *Table, addrs []netip.Addr) error {
	enc := json.NewEncoder(w)
	for _, ip := range addrs {
		if err := enc.Encode(t.Report(ip)); err != nil {
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

// WriteLookupText writes the report of each address for people, then the
// databases used and their attributions.
func WriteLookupText(w io.Writer, t *Table, addrs []netip.Addr) error {
	for i, ip := range addrs {
		r := t.Report(ip)
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
	for _, s := range sources(t) {
		if _, err := fmt.Fprintf(w, "(%s: %s, %s, built %s)\n", s.role, s.src.Name, s.src.Type, s.src.BuildTime.UTC().Format(time.DateOnly)); err != nil {
			return err
		}
	}
	if t.Source().Name == EmbeddedName {
		if _, err := fmt.Fprintln(w, Attribution); err != nil {
			return err
		}
	}
	if t.ASNSource().Name == EmbeddedASNName {
		_, err := fmt.Fprintln(w, "IP to ASN data by RouteViews, DB-IP and NRO")
		return err
	}
	return nil
}

// sourceRow is one database a table was built from.
type sourceRow struct {
	role     string // location, registration, asn
	src      Source
	networks int
	licence  string // for the embedded tables
}

// sources lists the databases of t in the order location, registration, asn.
func sources(t *Table) []sourceRow {
	st := t.Stats()
	out := []sourceRow{{role: "location", src: st.Country, networks: st.CountryNetworks}}
	if st.Country.Name == EmbeddedName {
		out[0].licence = CountryLicence
	}
	if st.Registration.Name != "" {
		s := sourceRow{role: "registration", src: st.Registration, networks: st.RegistrationNetworks}
		if s.src.Name == EmbeddedRegistrationName {
			s.licence = RegistrationLicence
		}
		out = append(out, s)
	}
	if st.ASN.Name != "" {
		s := sourceRow{role: "asn", src: st.ASN, networks: st.ASNNetworks}
		if s.src.Name == EmbeddedASNName {
			s.licence = ASNLicence
		}
		out = append(out, s)
	}
	return out
}

// WriteInfo writes what `borderwatch geo info` shows: each database's type,
// build date, networks and licence, the lookup table's size and the zones.
func WriteInfo(w io.Writer, t *Table) error {
	st := t.Stats()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range sources(t) {
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
