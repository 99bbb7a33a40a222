// Command lab-geodb writes the lab GeoIP country database (geotest.LabEntries:
// the documentation prefixes mapped to CN, RU, DE and FR) to a file, for the
// lab sensor's --geoip. scripts/lab/lab.sh runs it.
//
//	go run ./internal/devtools/lab-geodb OUT.mmdb
package main

import (
	"fmt"
	"os"

	"github.com/borderwatch/borderwatch/geo/geotest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: lab-geodb OUT.mmdb")
		os.Exit(2)
	}
	b, err := geotest.Build(geotest.LabEntries())
	if err == nil {
		err = os.WriteFile(os.Args[1], b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "geodb:", err)
		os.Exit(1)
	}
}
