package pipeline

import (
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
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

// interfaceNamer is a source that names the interface of each frame
// (capture.Frame.Iface); the pipeline calls it from workers, so a live
// source's InterfaceName must be safe for concurrent use.
type interfaceNamer interface {
	InterfaceName(i uint16) string
}

// origin sets where the alert comes from: the sensor name; live, the
// capture interface of the packet that fired (EVE in_iface), else the
// capture file being read (EVE pcap_filename).
func (p *Pipeline) origin(a *alert.Alert, from capture.Source, iface uint16) {
	a.Host = p.cfg.SensorName
	if from == nil {
		return
	}
	if !p.cfg.Live {
		a.PcapFile = from.Name()
		return
	}
	if n, ok := from.(interfaceNamer); ok {
		a.Iface = n.InterfaceName(iface)
	}
}
