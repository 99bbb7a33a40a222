// Command bw-geodb validates GeoIP databases with borderwatch's own loader and
// converts ip-location-db's ASN CSV into an mmdb for --asn-db. It is used by
// scripts/refresh-geodb.sh.
//
//	bw-geodb validate FILE.mmdb       open and build like the sensor; print a summary
//	bw-geodb validate-asn FILE.mmdb   the same for an ASN database
//	bw-geodb asn-csv IN.csv OUT.mmdb  convert ip_range_start,ip_range_end,asn,org rows
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/borderwatch/borderwatch/geo"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bw-geodb:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: bw-geodb validate FILE | validate-asn FILE | asn-csv IN.csv OUT.mmdb")
	}
	switch {
	case args[0] == "validate" && len(args) == 2:
		db, err := geo.Open(args[1])
		if err != nil {
			return err
		}
		t, err := geo.Build(db, nil, nil)
		if err != nil {
			return err
		}
		st := t.Stats()
		if st.CountryNetworks < 1000 {
			return fmt.Errorf("%s: only %d networks, refusing it as a country database", args[1], st.CountryNetworks)
		}
		_, err = fmt.Fprintf(out, "%s: %s (%s schema), built %s, %d networks, %d+%d ranges\n", args[1], st.Country.Type,
			st.CountrySchema, st.Country.BuildTime.Format(time.RFC3339), st.CountryNetworks, st.Ranges4, st.Ranges6)
		return err
	case args[0] == "validate-asn" && len(args) == 2:
		db, err := geo.OpenASN(args[1])
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s: %s, built %s, %d networks\n", args[1], db.Source().Type,
			db.Source().BuildTime.Format(time.RFC3339), db.Networks())
		return err
	case args[0] == "asn-csv" && len(args) == 3:
		in, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer in.Close()
		b, n, err := convertASN(in, time.Now().Unix())
		if err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		if err := os.WriteFile(args[2], b, 0o644); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s: %d ranges → %s (%d bytes)\n", args[1], n, args[2], len(b))
		return err
	}
	return fmt.Errorf("bad arguments %q", args)
}

// convertASN reads ip-location-db ASN CSV rows (ip_range_start, ip_range_end,
// autonomous_system_number, autonomous_system_organization; a header row is
// skipped) and writes a GeoLite2-ASN-schema mmdb.
func convertASN(r io.Reader, epoch int64) ([]byte, int, error) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "ip-location-db-ASN (compat=GeoLite2-ASN)",
		Description:             map[string]string{"en": "ip-location-db asn (CC BY 4.0 / PDDL, see its licence), converted by bw-geodb"},
		BuildEpoch:              epoch,
		IncludeReservedNetworks: true,
		RecordSize:              32,
	})
	if err != nil {
		return nil, 0, err
	}
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	n, line := 0, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, 0, err
		}
		if len(rec) < 3 {
			return nil, 0, fmt.Errorf("line %d: %d fields, want 4", line, len(rec))
		}
		from, err1 := netip.ParseAddr(rec[0])
		to, err2 := netip.ParseAddr(rec[1])
		if err1 != nil && line == 1 {
			continue // header
		}
		if err1 != nil || err2 != nil || from.Is4() != to.Is4() || to.Less(from) {
			return nil, 0, fmt.Errorf("line %d: bad range %q-%q", line, rec[0], rec[1])
		}
		asn, err := strconv.ParseUint(rec[2], 10, 32)
		if err != nil {
			return nil, 0, fmt.Errorf("line %d: bad AS number %q", line, rec[2])
		}
		m := mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(asn)}
		if len(rec) > 3 && rec[3] != "" {
			m["autonomous_system_organization"] = mmdbtype.String(rec[3])
		}
		if err := tree.InsertRange(net.IP(from.AsSlice()), net.IP(to.AsSlice()), m); err != nil {
			return nil, 0, fmt.Errorf("line %d: %w", line, err)
		}
		n++
	}
	if n == 0 {
		return nil, 0, errors.New("no ranges")
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), n, nil
}
