// Command bw-geodb validates GeoIP databases with borderwatch's own loader,
// builds the embedded registration and ASN tables, and converts
// ip-location-db's ASN CSV into an mmdb for --asn-db. It is used by
// scripts/refresh-geodb.sh.
//
//	bw-geodb validate FILE.mmdb       open and build like the sensor; print a summary
//	bw-geodb validate-asn FILE.mmdb   the same for an ASN database
//	bw-geodb asn-csv IN.csv OUT.mmdb  convert ip_range_start,ip_range_end,asn,org rows
//	bw-geodb registered IN.mmdb OUT.bwgeo.zst
//	                                  build the embedded registration table from
//	                                  geo-whois-asn-country (flat country_code)
//	bw-geodb asn BUILT OUT.bwgeo.zst IN.csv...
//	                                  build the embedded ASN table from ASN CSV files;
//	                                  BUILT is the data's date (RFC 3339)
//	bw-geodb sample-registered IN.mmdb N
//	                                  print prefix,country of every Nth network (test data)
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
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"

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
	case args[0] == "registered" && len(args) == 3:
		b, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		db, err := geo.OpenRegistrationBytes(args[1], b)
		if err != nil {
			return err
		}
		cut := db.DropReserved()
		n, err := writeCompressed(args[2], func(w io.Writer) error { return db.WriteCompact(w, "", time.Time{}) })
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s: %s, built %s, %d networks, %d spans in reserved blocks cut → %s (%d bytes)\n", args[1], db.Source().Type,
			db.Source().BuildTime.Format(time.RFC3339), db.Networks(), cut, args[2], n)
		return err
	case args[0] == "asn" && len(args) >= 4:
		built, err := time.Parse(time.RFC3339, args[1])
		if err != nil {
			return fmt.Errorf("bad build time %q: want RFC 3339", args[1])
		}
		var rs []io.Reader
		for _, p := range args[3:] {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			rs = append(rs, f)
		}
		db, err := geo.ReadASNCSV(strings.Join(args[3:], "+"), io.MultiReader(rs...), built)
		if err != nil {
			return err
		}
		cut := db.DropReserved()
		n, err := writeCompressed(args[2], func(w io.Writer) error { return db.WriteCompact(w, "", time.Time{}) })
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s: %d ranges (%d overlapping an earlier row, which they override; %d spans in reserved blocks cut) → %s (%d bytes)\n",
			strings.Join(args[3:], " "), db.Networks(), db.Overlaps(), cut, args[2], n)
		return err
	case args[0] == "sample-registered" && len(args) == 3:
		every, err := strconv.Atoi(args[2])
		if err != nil || every < 1 {
			return fmt.Errorf("bad sampling interval %q", args[2])
		}
		return sampleRegistered(args[1], every, out)
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

// writeCompressed writes what fn writes, zstd-compressed, to path (through a
// temporary file) and returns the compressed size.
func writeCompressed(path string, fn func(io.Writer) error) (int, error) {
	var raw bytes.Buffer
	if err := fn(&raw); err != nil {
		return 0, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return 0, err
	}
	b := enc.EncodeAll(raw.Bytes(), nil)
	if err := enc.Close(); err != nil {
		return 0, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return 0, err
	}
	return len(b), os.Rename(tmp, path)
}

// sampleRegistered prints "prefix,country" for every Nth network of a
// registration mmdb, read with the maxminddb reader (the reference the
// equivalence test compares the embedded table with).
func sampleRegistered(path string, every int, out io.Writer) error {
	r, err := maxminddb.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	w := bufio.NewWriter(out)
	i := 0
	for res := range r.Networks() {
		if err := res.Err(); err != nil {
			return err
		}
		i++
		if i%every != 0 {
			continue
		}
		var rec struct {
			CC string `maxminddb:"country_code"`
		}
		if err := res.Decode(&rec); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s,%s\n", res.Prefix(), rec.CC)
	}
	return w.Flush()
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
