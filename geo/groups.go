package geo

import "strings"

// group is a built-in jurisdiction group: a dated list of member countries.
type group struct {
	name    string // canonical spelling, as shown in alerts
	members string // ISO codes, space-separated
}

// groups are the built-in groups, in zone-bit order (bit 1 onwards). Each list
// names its date and source; TestGroups checks the member counts.
var groups = [...]group{
	// European Union, 27 members since the UK left on 2020-02-01.
	// Source: european-union.europa.eu "EU countries", membership as of 2026-01.
	{"EU", "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"},
	// European Economic Area: the EU plus Iceland, Liechtenstein and Norway.
	// Source: efta.int "EEA Agreement", membership as of 2026-01.
	{"EEA", "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO"},
	// European Free Trade Association, 4 members. Source: efta.int, membership as of 2026-01.
	{"EFTA", "CH IS LI NO"},
	// Schengen Area, 29 members since Bulgaria and Romania fully joined on
	// 2025-01-01 (Cyprus and Ireland are EU but not Schengen).
	// Source: home-affairs.ec.europa.eu "Schengen Area", membership as of 2026-01.
	{"Schengen", "AT BE BG CH CZ DE DK EE ES FI FR GR HR HU IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK"},
	// Five Eyes intelligence alliance (UKUSA). Source: dni.gov FVEY, membership as of 2026-01.
	{"FVEY", "AU CA GB NZ US"},
	// North Atlantic Treaty Organization, 32 members since Sweden joined on
	// 2024-03-07. Source: nato.int "NATO member countries", membership as of 2026-01.
	{"NATO", "AL BE BG CA CZ DE DK EE ES FI FR GB GR HR HU IS IT LT LU LV ME MK NL NO PL PT RO SE SI SK TR US"},
	// Group of Seven (the EU attends but is not a member). Source: g7 presidency
	// sites, membership as of 2026-01.
	{"G7", "CA DE FR GB IT JP US"},
	// OECD, 38 members since Costa Rica joined on 2021-05-25.
	// Source: oecd.org "Members and partners", membership as of 2026-01.
	{"OECD", "AT AU BE CA CH CL CO CR CZ DE DK EE ES FI FR GB GR HU IE IL IS IT JP KR LT LU LV MX NL NO NZ PL PT SE SI SK TR US"},
	// ASEAN, 11 members since Timor-Leste was admitted on 2025-10-26.
	// Source: asean.org "Member States", membership as of 2026-01.
	{"ASEAN", "BN ID KH LA MM MY PH SG TH TL VN"},
	// Gulf Cooperation Council, 6 members. Source: gcc-sg.org, membership as of 2026-01.
	{"GCC", "AE BH KW OM QA SA"},
	// African Union, 55 member states (suspended members included; EH is the
	// Sahrawi Republic). Source: au.int "Member States", membership as of 2026-01.
	{"AU", "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RW SC SD SL SN SO SS ST SZ TD TG TN TZ UG ZA ZM ZW"},
	// BRICS, 10 members since Indonesia joined on 2025-01-06 (Saudi Arabia, invited,
	// has not confirmed and is not listed). Source: brics.br (2025 chair), membership as of 2026-01.
	{"BRICS", "AE BR CN EG ET ID IN IR RU ZA"},
	// Commonwealth of Independent States, the 9 member states (Turkmenistan is an
	// associate, Georgia left in 2009, Ukraine stopped participating in 2018 and
	// is not a member state). Source: e-cis.info, membership as of 2026-01.
	{"CIS", "AM AZ BY KG KZ MD RU TJ UZ"},
}

// groupBits holds, for each country, the set of group zones it belongs to.
var groupBits [maxCountryID + 1]ZoneSet

func init() {
	for i, g := range groups {
		for _, code := range strings.Fields(g.members) {
			id, _ := ParseCountry(code)
			groupBits[id] |= 1 << ZoneID(i+1)
		}
	}
}

// GroupNames returns the names of the built-in groups in zone-bit order.
func GroupNames() []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.name
	}
	return out
}

// GroupMembers returns the member country codes of a built-in group
// (case-insensitive name), or nil if there is no such group.
func GroupMembers(name string) []string {
	for _, g := range groups {
		if strings.EqualFold(g.name, name) {
			return strings.Fields(g.members)
		}
	}
	return nil
}
