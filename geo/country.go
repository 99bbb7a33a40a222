package geo

import "strings"

// CountryID identifies an ISO 3166-1 alpha-2 code arithmetically:
// (c0-'A')*26 + (c1-'A') + 1, so 1..676; 0 means unknown. IDs are stable across
// databases and processes, which lets rules and the kernel stage share them.
type CountryID uint16

// maxCountryID is the largest CountryID ("ZZ").
const maxCountryID = 26 * 26

// ParseCountry returns the ID of a two-letter code (case-insensitive). Any two
// ASCII letters give an ID; use KnownCountry to check the code is one geo accepts
// in zone terms.
func ParseCountry(code string) (CountryID, bool) {
	if len(code) != 2 {
		return 0, false
	}
	c0, c1 := upper(code[0]), upper(code[1])
	if c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z' {
		return 0, false
	}
	return CountryID(c0-'A')*26 + CountryID(c1-'A') + 1, true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// String returns the upper-case two-letter code, or "" for 0.
func (c CountryID) String() string {
	if c == 0 || c > maxCountryID {
		return ""
	}
	n := c - 1
	return string([]byte{byte('A' + n/26), byte('A' + n%26)})
}

// KnownCountry reports whether c is a code accepted in zone terms: an officially
// assigned ISO 3166-1 alpha-2 code, XK (Kosovo, user-assigned but used by DB-IP
// and MaxMind), or one of the databases' special codes AP (Asia/Pacific), EU
// (Europe; as a term "EU" always means the EU group) and ZZ (unknown).
// Unassigned codes such as "XX" are rejected so that typos do not pass silently.
func KnownCountry(c CountryID) bool {
	return c != 0 && c <= maxCountryID && continentOf[c] != 0
}

// Continent is a continent code (AF, AN, AS, EU, NA, OC, SA); 0 is unknown.
type Continent uint8

// Continents.
const (
	ContinentUnknown Continent = iota
	Africa
	Antarctica
	Asia
	Europe
	NorthAmerica
	Oceania
	SouthAmerica
	continentNone // known country code with no continent (AP, EU, ZZ)
)

var continentCodes = [...]string{"", "AF", "AN", "AS", "EU", "NA", "OC", "SA", ""}

// String returns the two-letter continent code, or "" for unknown.
func (c Continent) String() string {
	if int(c) < len(continentCodes) {
		return continentCodes[c]
	}
	return ""
}

// ParseContinent parses a two-letter continent code (case-insensitive).
func ParseContinent(s string) (Continent, bool) {
	s = strings.ToUpper(s)
	for i := Africa; i <= SouthAmerica; i++ {
		if continentCodes[i] == s {
			return i, true
		}
	}
	return 0, false
}

// ContinentOf returns the continent of a country (GeoNames assignment, as MaxMind
// uses), or 0 when unknown.
func ContinentOf(c CountryID) Continent {
	if c == 0 || c > maxCountryID {
		return 0
	}
	if k := continentOf[c]; k != continentNone {
		return k
	}
	return 0
}

// continentOf maps every accepted country code to its continent; 0 means the code
// is not accepted. Source: ISO 3166-1 officially assigned codes with the GeoNames
// continent of each (countryInfo.txt), as of 2026-01; plus XK and the special
// codes AP, EU, ZZ (continentNone).
var continentOf [maxCountryID + 1]Continent

func init() {
	table := map[Continent]string{
		Africa:        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW",
		Antarctica:    "AQ BV GS HM TF",
		Asia:          "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE",
		Europe:        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK",
		NorthAmerica:  "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI",
		Oceania:       "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
		SouthAmerica:  "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
		continentNone: "AP EU ZZ",
	}
	for k, codes := range table {
		for _, code := range strings.Fields(codes) {
			id, _ := ParseCountry(code)
			continentOf[id] = k
		}
	}
}
