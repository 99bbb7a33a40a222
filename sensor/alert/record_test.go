package alert

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestParseRecordBothLayouts: an alert written in EVE and in ECS reads back
// to the same Record (but for the layout), with every field the readers use.
func TestParseRecordBothLayouts(t *testing.T) {
	a := &samples[0].a
	want := Record{
		Time:  time.Date(2026, 11, 25, 22, 21, 25, 123456000, time.UTC),
		Start: time.Date(2026, 11, 25, 22, 21, 20, 1000, time.UTC),
		End:   time.Date(2026, 11, 25, 22, 21, 25, 123456000, time.UTC),
		Kind:  "portscan", SID: 9100001, Severity: 2, Signature: `BORDERWATCH port scan from "forbidden" zone`,
		Techniques: []string{"T1046", "T1595.001"}, Action: "allowed", Proto: "TCP",
		SrcIP: "203.0.113.7", DestIP: "192.0.2.10", SrcPort: 51514, DestPort: 22, Direction: "inbound",
		SrcCountry: "RU", DestCountry: "DE", SrcRegistered: "RU", DestRegistered: "DE",
		SrcContinent: "EU", DestContinent: "EU", SrcASN: 64500, SrcASOrg: "Example Transit",
		SrcJur: []string{"ru", "forbidden"}, DestJur: []string{"home", "eu"},
		Ports: 100, Hosts: 1, Packets: 120, Bytes: 7200, Host: "gw1.example",
	}
	for _, f := range []Format{FormatEVE, FormatECS} {
		line, err := NewEncoder(f).Append(nil, a)
		if err != nil {
			t.Fatal(err)
		}
		var got Record
		if err := ParseRecord(bytes.TrimSpace(line), &got); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		w := want
		w.Layout = f.String()
		if w.Layout == "ecs" {
			// ECS time has nanoseconds; EVE microseconds.
			w.Time = time.Date(2026, 11, 25, 22, 21, 25, 123456789, time.UTC)
			w.Start, w.End = time.Unix(0, a.Stats.FirstSeen).UTC(), time.Unix(0, a.Stats.LastSeen).UTC()
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", f, got, w)
		}
	}
}

// TestParseRecordErrors: each kind of bad line has its error type, and no
// error quotes the line.
func TestParseRecordErrors(t *testing.T) {
	var nj *NotJSONError
	var fe *FieldTypeError
	var te *TimeError
	for _, c := range []struct {
		line string
		want string
		as   func(error) bool
	}{
		{`secret`, "not JSON: not a JSON object", func(err error) bool { return errors.As(err, &nj) }},
		{`{"secret":`, "not JSON: syntax error at offset 10", func(err error) bool { return errors.As(err, &nj) }},
		{`{"event_type":"stats"}`, ErrNotAlert.Error(), func(err error) bool { return errors.Is(err, ErrNotAlert) }},
		{`{"event_type":"stats","alert":{"severity":"secret"}}`, ErrNotAlert.Error(), func(err error) bool { return errors.Is(err, ErrNotAlert) }},
		{`{"ecs":{},"event":{"kind":"event"}}`, ErrNotAlert.Error(), func(err error) bool { return errors.Is(err, ErrNotAlert) }},
		{`{"event_type":"alert","alert":{"severity":"secret"}}`, "field alert.severity: string where int was expected",
			func(err error) bool { return errors.As(err, &fe) && fe.Layout == "eve" }},
		{`{"event_type":"alert","timestamp":"secret"}`, "timestamp: not an EVE time",
			func(err error) bool { return errors.As(err, &te) && te.Field == "timestamp" }},
		{`{"ecs":{},"event":{"kind":"alert","end":"secret"}}`, "event.end: not an RFC 3339 time",
			func(err error) bool { return errors.As(err, &te) && te.Field == "event.end" }},
		{`{"ecs":{},"event":{"kind":"alert"},"rule":{"id":"secret"}}`, "rule.id: not a rule number", func(error) bool { return true }},
		{`{"secret":1}`, "neither an EVE record (event_type) nor an ECS record (ecs.version)", func(error) bool { return true }},
	} {
		var r Record
		err := ParseRecord([]byte(c.line), &r)
		if err == nil || err.Error() != c.want || !c.as(err) {
			t.Errorf("%s: %v (%T), want %q", c.line, err, err, c.want)
		}
	}
}
