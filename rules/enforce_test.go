package rules

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/geo"
)

func TestDrops(t *testing.T) {
	writeFiles(t, map[string]string{"drop.yaml": `zones:
  forbidden: [RU, "198.51.100.128/25"]
  sanctioned: [forbidden, KP]
  byasn: [AS64500]
lists:
  - name: bad
    addresses: ["203.0.113.66", "192.0.2.0/28", "2001:db8:bad::/48"]
rules:
  - {id: 1, name: listed, kind: reputation, list: bad, side: src, action: drop}
  - {id: 2, name: alert only, kind: policy, from: forbidden, to: home}
  - {id: 3, name: to sanctioned, kind: policy, from: home, to: sanctioned, action: drop}
  - {id: 4, name: from sanctioned, kind: policy, from: [sanctioned, CN], direction: inbound, action: drop}
  - {id: 5, name: off, kind: policy, from: forbidden, action: drop, enabled: false}
`})
	set, err := Load(Options{NoDefaults: true, Paths: []string{"drop.yaml"}, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	drops, err := set.Drops()
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		rule      uint32
		prefixes  string
		countries string
	}
	var got []view
	for _, d := range drops {
		v := view{rule: d.Rule.ID}
		var ps, cs []string
		for _, p := range d.Prefixes {
			ps = append(ps, p.String())
		}
		for _, c := range d.Countries {
			cs = append(cs, c.String())
		}
		v.prefixes, v.countries = strings.Join(ps, " "), strings.Join(cs, " ")
		got = append(got, v)
	}
	want := []view{
		{1, "192.0.2.0/28 203.0.113.66/32 2001:db8:bad::/48", ""},
		{3, "198.51.100.128/25", "KP RU"},
		{4, "198.51.100.128/25", "CN KP RU"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("drops\n got %+v\nwant %+v", got, want)
	}
	if !drops[0].Prefixes[0].Addr().Is4() || drops[0].Prefixes[0] != netip.MustParsePrefix("192.0.2.0/28") {
		t.Errorf("first prefix %v", drops[0].Prefixes[0])
	}
}

func TestDropsErrors(t *testing.T) {
	writeFiles(t, map[string]string{"drop.yaml": `zones:
  forbidden: [RU]
  byasn: [RU, AS64500]
lists:
  - name: bad
    addresses: ["203.0.113.66"]
rules:
  - {id: 1, name: scan, kind: scan, action: drop}
  - {id: 2, name: ports, kind: policy, from: forbidden, dst_ports: [22], action: drop}
  - {id: 3, name: negation, kind: policy, from: "!home", action: drop}
  - {id: 4, name: asn, kind: policy, to: byasn, action: drop}
  - {id: 5, name: both sides, kind: policy, from: forbidden, to: "198.51.100.0/24", action: drop}
  - {id: 6, name: home only, kind: policy, from: home, action: drop}
  - {id: 7, name: registered, kind: policy, from: forbidden, geo_basis: registered, action: drop}
  - {id: 8, name: list with from, kind: reputation, list: bad, from: forbidden, action: drop}
  - {id: 9, name: any, kind: policy, from: [forbidden, any], to: home, action: drop}
  - {id: 10, name: fine, kind: policy, from: forbidden, action: drop}
  - {id: 11, name: alert, kind: scan}
`})
	set, err := Load(Options{NoDefaults: true, Paths: []string{"drop.yaml"}, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	drops, err := set.Drops()
	const cannot = ": action drop cannot be enforced in the kernel: "
	checkLines(t, err, []string{
		"drop.yaml:8:6: rule 1" + cannot + "kind scan: the kernel drops only reputation and policy rules",
		"drop.yaml:9:6: rule 2" + cannot + "the kernel drops by address and country only; protocol, dst_ports cannot be enforced",
		"drop.yaml:10:6: rule 3" + cannot + `from "!home": a negation ("!…") cannot be enumerated`,
		"drop.yaml:11:6: rule 4" + cannot + `to "byasn": AS number AS64500 in zone "byasn" is not a country or CIDR`,
		"drop.yaml:12:6: rule 5" + cannot + "from and to are both restricted; the kernel drops by one endpoint, so one of them must be home or any",
		"drop.yaml:13:6: rule 6" + cannot + "from and to are both home or any: no foreign side to drop",
		"drop.yaml:14:6: rule 7" + cannot + "the kernel knows the location country only; geo_basis must be location",
		"drop.yaml:15:6: rule 8" + cannot + "the kernel drops every packet from or to a listed address; from and to cannot be enforced",
		"drop.yaml:16:6: rule 9" + cannot + `from "forbidden,any": "any" matches every address`,
	})
	if drops != nil {
		t.Errorf("drops %v with errors", drops)
	}
}
