package share

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// eveGeo is one end of alert.context.geo.
type eveGeo struct {
	Country       string   `json:"country_iso_code"`
	Registered    string   `json:"registered_country_iso_code"`
	Continent     string   `json:"continent_code"`
	ASN           uint32   `json:"as_number"`
	ASOrg         string   `json:"as_org"`
	Jurisdictions []string `json:"jurisdictions"`
}

// eveAlert is the part of an EVE alert record (docs/alerts.md) share reads.
type eveAlert struct {
	Timestamp string `json:"timestamp"`
	SrcIP     string `json:"src_ip"`
	DestIP    string `json:"dest_ip"`
	Host      string `json:"host"`
	Alert     struct {
		SignatureID uint32 `json:"signature_id"`
		Signature   string `json:"signature"`
		Metadata    struct {
			Kind         []string `json:"kind"`
			Techniques   []string `json:"mitre_technique_id"`
			GeoDirection []string `json:"geo_direction"`
			SrcCountry   []string `json:"src_country"`
			DestCountry  []string `json:"dest_country"`
			SrcJur       []string `json:"src_jurisdictions"`
			DestJur      []string `json:"dest_jurisdictions"`
		} `json:"metadata"`
		Context struct {
			Geo struct {
				Direction string `json:"direction"`
				Src       eveGeo `json:"src"`
				Dest      eveGeo `json:"dest"`
			} `json:"geo"`
		} `json:"context"`
	} `json:"alert"`
	Flow struct {
		PktsToServer uint64 `json:"pkts_toserver"`
		PktsToClient uint64 `json:"pkts_toclient"`
		Start        string `json:"start"`
		End          string `json:"end"`
	} `json:"flow"`
}

func parseEVE(b []byte) (record, error) {
	var e eveAlert
	if err := json.Unmarshal(b, &e); err != nil {
		return record{}, fmt.Errorf("not an EVE alert: %s", jsonReason(err))
	}
	var rec record
	var err error
	if rec.at, err = parseTime("timestamp", eveTime, e.Timestamp); err != nil {
		return rec, err
	}
	if rec.start, err = parseTime("flow.start", eveTime, e.Flow.Start); err != nil {
		return rec, err
	}
	if rec.end, err = parseTime("flow.end", eveTime, e.Flow.End); err != nil {
		return rec, err
	}
	if rec.src.ip, err = parseIP("src_ip", e.SrcIP); err != nil {
		return rec, err
	}
	if rec.dst.ip, err = parseIP("dest_ip", e.DestIP); err != nil {
		return rec, err
	}
	a := &e.Alert
	g := &a.Context.Geo
	md := &a.Metadata
	rec.src.fromEVE(&g.Src, md.SrcCountry, md.SrcJur)
	rec.dst.fromEVE(&g.Dest, md.DestCountry, md.DestJur)
	rec.direction = g.Direction
	if rec.direction == "" {
		rec.direction = first(md.GeoDirection)
	}
	rec.kind = first(md.Kind)
	rec.techniques = trimList(md.Techniques)
	rec.sid = a.SignatureID
	rec.signature = a.Signature
	rec.packets = e.Flow.PktsToServer + e.Flow.PktsToClient
	rec.host = e.Host
	return rec, rec.check()
}

func (s *side) fromEVE(g *eveGeo, country, jur []string) {
	s.country, s.registered, s.continent = g.Country, g.Registered, g.Continent
	s.asn, s.asOrg, s.jurisdictions = g.ASN, g.ASOrg, g.Jurisdictions
	if s.country == "" {
		s.country = first(country)
	}
	if len(s.jurisdictions) == 0 {
		s.jurisdictions = jur
	}
}

// ecsEnd is source or destination in the ECS layout.
type ecsEnd struct {
	IP  string `json:"ip"`
	Geo struct {
		Country   string `json:"country_iso_code"`
		Continent string `json:"continent_code"`
	} `json:"geo"`
	AS struct {
		Number       uint32 `json:"number"`
		Organization struct {
			Name string `json:"name"`
		} `json:"organization"`
	} `json:"as"`
}

// ecsBWEnd is borderwatch.source or borderwatch.destination.
type ecsBWEnd struct {
	Registered    string   `json:"registered_country_iso_code"`
	Jurisdictions []string `json:"jurisdictions"`
}

// ecsAlert is the part of an ECS alert record (docs/alerts.md) share reads.
type ecsAlert struct {
	Timestamp string `json:"@timestamp"`
	Event     struct {
		Kind   string `json:"kind"`
		Action string `json:"action"`
		Start  string `json:"start"`
		End    string `json:"end"`
	} `json:"event"`
	Rule struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rule"`
	Source      ecsEnd `json:"source"`
	Destination ecsEnd `json:"destination"`
	Network     struct {
		Packets uint64 `json:"packets"`
	} `json:"network"`
	Observer struct {
		Hostname string `json:"hostname"`
	} `json:"observer"`
	Threat struct {
		Technique struct {
			ID []string `json:"id"`
		} `json:"technique"`
	} `json:"threat"`
	Borderwatch struct {
		GeoDirection string   `json:"geo_direction"`
		Source       ecsBWEnd `json:"source"`
		Destination  ecsBWEnd `json:"destination"`
	} `json:"borderwatch"`
}

func parseECS(b []byte) (record, error) {
	var e ecsAlert
	if err := json.Unmarshal(b, &e); err != nil {
		return record{}, fmt.Errorf("not an ECS alert: %s", jsonReason(err))
	}
	if e.Event.Kind != "alert" {
		return record{}, errNotAlert
	}
	var rec record
	var err error
	if rec.at, err = parseTime("@timestamp", time.RFC3339Nano, e.Timestamp); err != nil {
		return rec, err
	}
	if rec.start, err = parseTime("event.start", time.RFC3339Nano, e.Event.Start); err != nil {
		return rec, err
	}
	if rec.end, err = parseTime("event.end", time.RFC3339Nano, e.Event.End); err != nil {
		return rec, err
	}
	if rec.src.ip, err = parseIP("source.ip", e.Source.IP); err != nil {
		return rec, err
	}
	if rec.dst.ip, err = parseIP("destination.ip", e.Destination.IP); err != nil {
		return rec, err
	}
	rec.src.fromECS(&e.Source, &e.Borderwatch.Source)
	rec.dst.fromECS(&e.Destination, &e.Borderwatch.Destination)
	rec.direction = e.Borderwatch.GeoDirection
	rec.kind = e.Event.Action
	rec.techniques = trimList(e.Threat.Technique.ID)
	if e.Rule.ID != "" {
		id, err := strconv.ParseUint(e.Rule.ID, 10, 32)
		if err != nil {
			return rec, fmt.Errorf("rule.id: not a rule number")
		}
		rec.sid = uint32(id)
	}
	rec.signature = e.Rule.Name
	rec.packets = e.Network.Packets
	rec.host = e.Observer.Hostname
	return rec, rec.check()
}

func (s *side) fromECS(e *ecsEnd, bw *ecsBWEnd) {
	s.country, s.continent = e.Geo.Country, e.Geo.Continent
	s.asn, s.asOrg = e.AS.Number, e.AS.Organization.Name
	s.registered, s.jurisdictions = bw.Registered, bw.Jurisdictions
}
