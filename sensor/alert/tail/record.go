package tail

import "github.com/borderwatch/borderwatch/sensor/alert"

// Record is what a line of an alert file says, in either layout: the
// fields the formatter prints and the filters test. It is alert.Record,
// the one reader of alert lines.
type Record = alert.Record

// ErrNotAlert is returned by Parse for a JSON record that is not an alert.
var ErrNotAlert = alert.ErrNotAlert

// NotJSONError is returned by Parse for a line that is not a JSON object.
type NotJSONError = alert.NotJSONError

// Parse reads one line (without surrounding space) into r, as
// alert.ParseRecord does; an alert without a time is unreadable here, as
// the formatter prints it first. Errors never quote the line.
func Parse(line []byte, r *Record) error {
	if err := alert.ParseRecord(line, r); err != nil {
		return err
	}
	if r.Time.IsZero() {
		if r.Layout == "ecs" {
			return &alert.TimeError{Layout: "ecs", Field: "@timestamp"}
		}
		return &alert.TimeError{Layout: "eve", Field: "timestamp"}
	}
	return nil
}
