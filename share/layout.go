package share

import (
	"errors"
	"fmt"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

// parseLine reads one alert line (EVE or ECS, docs/alerts.md) with
// alert.ParseRecord, the one reader of alert lines, into what share keeps,
// and checks what it shares verbatim. It returns errNotAlert for a record
// that is not an alert.
func parseLine(b []byte) (record, error) {
	var a alert.Record
	if err := alert.ParseRecord(b, &a); err != nil {
		var nj *alert.NotJSONError
		var fe *alert.FieldTypeError
		var te *alert.TimeError
		switch {
		case errors.Is(err, alert.ErrNotAlert):
			return record{}, errNotAlert
		case errors.As(err, &nj):
			return record{}, fmt.Errorf("not JSON: %s", nj.Reason)
		case errors.As(err, &fe) && fe.Layout == "eve":
			return record{}, fmt.Errorf("not an EVE alert: %s", fe.Reason)
		case errors.As(err, &fe) && fe.Layout == "ecs":
			return record{}, fmt.Errorf("not an ECS alert: %s", fe.Reason)
		case errors.As(err, &fe):
			return record{}, fmt.Errorf("not JSON: %s", fe.Reason)
		case errors.As(err, &te):
			return record{}, fmt.Errorf("%s: not a time in the layout's format", te.Field)
		}
		return record{}, err
	}
	srcField, dstField := "src_ip", "dest_ip"
	if a.Layout == "ecs" {
		srcField, dstField = "source.ip", "destination.ip"
	}
	rec := record{
		at: a.Time, start: a.Start, end: a.End,
		src: side{
			country: a.SrcCountry, registered: a.SrcRegistered, continent: a.SrcContinent,
			asn: a.SrcASN, asOrg: a.SrcASOrg, jurisdictions: a.SrcJur,
		},
		dst: side{
			country: a.DestCountry, registered: a.DestRegistered, continent: a.DestContinent,
			asn: a.DestASN, asOrg: a.DestASOrg, jurisdictions: a.DestJur,
		},
		direction: a.Direction, kind: a.Kind, techniques: trimList(a.Techniques),
		sid: uint32(a.SID), signature: a.Signature, packets: a.Packets, host: a.Host,
	}
	var err error
	if rec.src.ip, err = parseIP(srcField, a.SrcIP); err != nil {
		return rec, err
	}
	if rec.dst.ip, err = parseIP(dstField, a.DestIP); err != nil {
		return rec, err
	}
	return rec, rec.check()
}
