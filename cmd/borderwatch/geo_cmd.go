package main

// PLACEHOLDER owned by the geo implementer: `geo lookup`, `geo info`.

import "github.com/spf13/cobra"

func newGeoCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "geo", Short: "Look up addresses and inspect GeoIP databases"}
}
