// Package evetest checks, in tests, that EVE alert lines are valid against
// Suricata's own EVE JSON schema (OISF/suricata etc/schema.json), with the
// offline validator the shared test data ships:
// ../shared/schemas/validate.py next to the repository, run by python3 with
// jsonschema. Tests skip with the reason when either is absent.
//
//	evetest.Validate(t, "alerts.json")     // a file of EVE JSON lines
//	evetest.ValidateLines(t, "case", lines) // lines in memory
package evetest
