package pipeline

import (
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
)

// enrich fills the alert's endpoints and geo database from the lookups of
// its addresses (the engine already set GeoDir from the same lookups).
func enrich(t *geo.Table, a *alert.Alert, src, dst *geo.Info, basis geo.Basis) {
	a.Src = endpoint(t, src, basis)
	a.Dst = endpoint(t, dst, basis)
	s := t.Source()
	a.GeoDB = s.Name
	if !s.BuildTime.IsZero() {
		a.GeoBuilt = s.BuildTime.Unix()
	}
}

func endpoint(t *geo.Table, info *geo.Info, basis geo.Basis) alert.Endpoint {
	e := alert.Endpoint{
		CountryISO:    info.Country.String(),
		RegisteredISO: info.Registered.String(),
		Continent:     info.Continent.String(),
		ASN:           info.ASN,
		Jurisdictions: t.Zones().Jurisdictions(info, basis),
	}
	if info.ASN != 0 {
		e.ASOrg = t.ASOrg(info.ASN)
	}
	return e
}
