package share

import (
	"fmt"
	"strings"
)

// TLP is a Traffic Light Protocol 2.0 level.
type TLP string

// The TLP 2.0 levels (FIRST, https://www.first.org/tlp/).
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// DefaultTLP is the level shared without --tlp: limited disclosure to the
// recipient's organisation and its clients.
const DefaultTLP = TLPAmber

// TLPs lists the levels from the most to the least open.
var TLPs = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// ParseTLP parses a level name, case-insensitively, with or without the
// "TLP:" prefix.
func ParseTLP(s string) (TLP, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	l = strings.TrimPrefix(l, "tlp:")
	for _, t := range TLPs {
		if string(t) == l {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown TLP level %q (clear, green, amber, amber+strict or red)", s)
}

// tlp2Extension is the STIX 2.1 extension definition under which OASIS
// publishes the TLP 2.0 marking definitions
// (oasis-open/cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// tlp2Created is the created time of the published TLP 2.0 marking
// definitions; like their ids it is part of the published object.
const tlp2Created = "2022-10-01T00:00:00.000Z"

// STIXMarkingID is the official STIX 2.1 id of the TLP 2.0 marking definition.
func (t TLP) STIXMarkingID() string {
	switch t {
	case TLPClear:
		return "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	case TLPGreen:
		return "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	case TLPAmber:
		return "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	case TLPAmberStrict:
		return "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	case TLPRed:
		return "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
	}
	return ""
}

// Name is the marking's name: "TLP:AMBER+STRICT".
func (t TLP) Name() string { return "TLP:" + strings.ToUpper(string(t)) }

// MISPTag is the tag of MISP's tlp taxonomy: "tlp:amber+strict".
func (t TLP) MISPTag() string { return "tlp:" + string(t) }

// mispColour is the colour MISP's tlp taxonomy gives the tag.
func (t TLP) mispColour() string {
	switch t {
	case TLPClear:
		return "#ffffff"
	case TLPGreen:
		return "#33ff00"
	case TLPAmber, TLPAmberStrict:
		return "#ffc000"
	}
	return "#ff2b2b"
}

// mispDistribution is the MISP distribution level that matches the TLP
// level, never further than the level allows: clear → all communities,
// green → connected communities, amber, amber+strict and red → the
// receiving organisation only.
func (t TLP) mispDistribution() string {
	switch t {
	case TLPClear:
		return "3"
	case TLPGreen:
		return "2"
	}
	return "0"
}

// stixMarking is the published TLP 2.0 marking-definition object.
func (t TLP) stixMarking() map[string]any {
	return map[string]any{
		"type":         "marking-definition",
		"spec_version": "2.1",
		"id":           t.STIXMarkingID(),
		"created":      tlp2Created,
		"name":         t.Name(),
		"extensions": map[string]any{
			tlp2Extension: map[string]any{
				"extension_type": "property-extension",
				"tlp_2_0":        string(t),
			},
		},
	}
}
