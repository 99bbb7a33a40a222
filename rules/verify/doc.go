// Package verify compares the alerts a capture produced with the alerts a rule
// author expected, in the spirit of suricata-verify's checks: each expectation
// names the fields it cares about and how many alerts must match it; every
// alert must be expected.
package verify
