package share

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// STIXOptions says how a bundle is made.
type STIXOptions struct {
	TLP TLP
	// Identity names the sharer (the sensor's identity object); empty means
	// DefaultIdentity.
	Identity string
	// ValidFor is how long an indicator stays valid after the last sighting
	// of its address; zero means DefaultValidFor.
	ValidFor time.Duration
}

// Defaults of STIXOptions and MISPOptions.
const (
	DefaultIdentity = "borderwatch sensor"
	DefaultValidFor = 30 * 24 * time.Hour
)

// stixEpoch is the created time of the objects that do not come from an
// alert (the identity, attack patterns, locations), so that every share
// gives them the same id and the same version.
var stixEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// stixID is a deterministic identifier of a STIX domain or relationship
// object: UUIDv5 in borderwatch's namespace over the object type and the
// content that makes the object what it is.
func stixID(typ string, parts ...string) string {
	return typ + "--" + uuidV5(bwNamespace, typ+"|"+strings.Join(parts, "|")).String()
}

// scoID is the identifier STIX 2.1 prescribes for a cyber-observable:
// UUIDv5 in the SCO namespace over the canonical JSON of its id
// contributing properties.
func scoID(typ string, props map[string]any) string {
	b, _ := json.Marshal(props) // map keys are sorted: canonical for these flat objects
	return typ + "--" + uuidV5(stixSCONamespace, string(b)).String()
}

// Bundle is a STIX 2.1 bundle.
type Bundle struct {
	Type    string           `json:"type"`
	ID      string           `json:"id"`
	Objects []map[string]any `json:"objects"`
}

// STIX makes the bundle of res's sightings.
func STIX(res *Result, opt STIXOptions) (*Bundle, error) {
	var err error
	if opt.TLP, opt.Identity, err = sharer(opt.TLP, opt.Identity); err != nil {
		return nil, err
	}
	if opt.ValidFor <= 0 {
		opt.ValidFor = DefaultValidFor
	}
	marking := []string{opt.TLP.STIXMarkingID()}
	epoch := stixTime(stixEpoch)
	identity := stixID("identity", opt.Identity)
	common := func(typ, id, created, modified string) map[string]any {
		o := map[string]any{
			"type": typ, "spec_version": "2.1", "id": id,
			"created": created, "modified": modified,
			"created_by_ref": identity, "object_marking_refs": marking,
		}
		return o
	}
	objs := []map[string]any{opt.TLP.stixMarking()}
	ident := common("identity", identity, epoch, epoch)
	delete(ident, "created_by_ref")
	ident["name"] = opt.Identity
	ident["identity_class"] = "system"
	ident["description"] = "borderwatch network sensor sharing what crossed its border"
	objs = append(objs, ident)

	// Shared objects: attack patterns and locations, once each.
	patterns := map[string]string{}  // technique → id
	locations := map[string]string{} // country → id
	var shared []map[string]any
	location := func(cc string) string {
		if id, ok := locations[cc]; ok {
			return id
		}
		id := stixID("location", cc)
		o := common("location", id, epoch, epoch)
		o["name"] = cc
		o["country"] = cc
		shared = append(shared, o)
		locations[cc] = id
		return id
	}
	pattern := func(t string) string {
		if id, ok := patterns[t]; ok {
			return id
		}
		id := stixID("attack-pattern", "mitre-attack", t)
		o := common("attack-pattern", id, epoch, epoch)
		o["name"] = techniqueName(t)
		o["external_references"] = []map[string]any{{
			"source_name": "mitre-attack", "external_id": t, "url": techniqueURL(t),
		}}
		if kc := killChain([]string{t}); len(kc) > 0 {
			o["kill_chain_phases"] = kc
		}
		shared = append(shared, o)
		patterns[t] = id
		return id
	}

	var per []map[string]any
	for _, s := range res.Sightings {
		firstSeen, lastSeen := stixTime(s.FirstSeen), stixTime(s.LastSeen)
		if lastSeen < firstSeen {
			lastSeen = firstSeen
		}
		addr := s.Address.String()
		typ := "ipv4-addr"
		if s.Address.Is6() {
			typ = "ipv6-addr"
		}
		sco := map[string]any{"type": typ, "spec_version": "2.1", "value": addr, "object_marking_refs": marking}
		sco["id"] = scoID(typ, map[string]any{"value": addr})
		if s.ASN != 0 {
			as := map[string]any{"type": "autonomous-system", "spec_version": "2.1", "number": s.ASN, "object_marking_refs": marking}
			as["id"] = scoID("autonomous-system", map[string]any{"number": s.ASN})
			if s.ASOrg != "" {
				as["name"] = s.ASOrg
			}
			per = append(per, as)
		}
		per = append(per, sco)

		indID := stixID("indicator", addr, firstSeen)
		ind := common("indicator", indID, firstSeen, lastSeen)
		ind["name"] = indicatorName(s)
		ind["description"] = describe(s)
		ind["indicator_types"] = []string{"malicious-activity"}
		ind["pattern"] = "[" + typ + ":value = '" + addr + "']"
		ind["pattern_type"] = "stix"
		ind["pattern_version"] = "2.1"
		ind["valid_from"] = firstSeen
		ind["valid_until"] = stixTime(s.LastSeen.Add(opt.ValidFor))
		if kc := killChain(s.Techniques); len(kc) > 0 {
			ind["kill_chain_phases"] = kc
		}
		if len(s.Kinds) > 0 {
			ind["labels"] = s.Kinds
		}
		per = append(per, ind)

		where := []string{identity}
		for _, cc := range s.HomeCountries {
			where = append(where, location(cc))
		}
		sig := common("sighting", stixID("sighting", identity, addr, firstSeen), firstSeen, lastSeen)
		sig["sighting_of_ref"] = indID
		sig["where_sighted_refs"] = where
		sig["count"] = min(s.Alerts, 999_999_999)
		sig["first_seen"] = firstSeen
		sig["last_seen"] = lastSeen
		if d := homeDetail(s); d != "" {
			sig["description"] = d
		}
		per = append(per, sig)

		rel := func(src, typ, dst string) {
			o := common("relationship", stixID("relationship", src, typ, dst, firstSeen), firstSeen, lastSeen)
			o["relationship_type"] = typ
			o["source_ref"] = src
			o["target_ref"] = dst
			per = append(per, o)
		}
		rel(indID, "based-on", sco["id"].(string))
		for _, t := range s.Techniques {
			rel(indID, "indicates", pattern(t))
		}
		if s.Country != "" {
			rel(sco["id"].(string), "located-at", location(s.Country))
		}
		if s.ASN != 0 {
			// belongs_to_refs is deprecated in STIX 2.1: a relationship instead.
			rel(sco["id"].(string), "belongs-to", scoID("autonomous-system", map[string]any{"number": s.ASN}))
		}
	}
	sort.Slice(shared, func(i, j int) bool { return shared[i]["id"].(string) < shared[j]["id"].(string) })
	objs = append(objs, shared...)
	objs = append(objs, per...)

	var h strings.Builder
	for _, o := range objs {
		h.WriteString(o["id"].(string))
		if m, ok := o["modified"].(string); ok {
			h.WriteString(m)
		}
	}
	return &Bundle{Type: "bundle", ID: "bundle--" + uuidV5(bwNamespace, "bundle|"+h.String()).String(), Objects: objs}, nil
}

// WriteSTIX writes the bundle of res's sightings to w as indented JSON.
func WriteSTIX(w io.Writer, res *Result, opt STIXOptions) error {
	b, err := STIX(res, opt)
	if err != nil {
		return err
	}
	return WriteJSON(w, b)
}

// WriteJSON writes v (a Bundle or a MISPEvent) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// killChain is the MITRE ATT&CK kill chain phases of techniques.
func killChain(ts []string) []map[string]string {
	seen := map[string]bool{}
	var kc []map[string]string
	for _, t := range ts {
		for _, tac := range techniques[t].tactics {
			if !seen[tac] {
				seen[tac] = true
				kc = append(kc, map[string]string{"kill_chain_name": "mitre-attack", "phase_name": tac})
			}
		}
	}
	sort.Slice(kc, func(i, j int) bool { return kc[i]["phase_name"] < kc[j]["phase_name"] })
	return kc
}

func indicatorName(s *Sighting) string {
	what := strings.Join(s.Kinds, ", ")
	if what == "" {
		what = "attack traffic"
	}
	if s.Role == RoleDestination {
		return what + " with " + s.Address.String()
	}
	return what + " from " + s.Address.String()
}

// describe is the text of an indicator or MISP attribute: only what the
// foreign side and the detectors' fixed vocabulary say.
func describe(s *Sighting) string {
	var b strings.Builder
	if s.Role == RoleDestination {
		b.WriteString("Foreign address contacted from the home network")
	} else {
		b.WriteString("Foreign address that sent attack traffic")
	}
	fmt.Fprintf(&b, " (borderwatch: %s", orNone(s.Kinds))
	if len(s.Techniques) > 0 {
		fmt.Fprintf(&b, "; MITRE ATT&CK %s", strings.Join(s.Techniques, ", "))
	}
	fmt.Fprintf(&b, "). %d alert(s), %d packet(s), %s to %s.", s.Alerts, s.Packets, stixTime(s.FirstSeen), stixTime(s.LastSeen))
	if s.Country != "" {
		fmt.Fprintf(&b, " Located in %s", s.Country)
		if s.RegisteredCountry != "" && s.RegisteredCountry != s.Country {
			fmt.Fprintf(&b, ", registered in %s", s.RegisteredCountry)
		}
		b.WriteString(".")
	}
	if s.ASN != 0 {
		fmt.Fprintf(&b, " AS%d", s.ASN)
		if s.ASOrg != "" {
			fmt.Fprintf(&b, " %s", s.ASOrg)
		}
		b.WriteString(".")
	}
	if len(s.HomeCountries) > 0 {
		if s.Role == RoleDestination {
			fmt.Fprintf(&b, " Contacted from %s.", strings.Join(s.HomeCountries, ", "))
		} else {
			fmt.Fprintf(&b, " Seen crossing into %s.", strings.Join(s.HomeCountries, ", "))
		}
	}
	return b.String()
}

// homeDetail is the home side of s, present only with IncludeHome.
func homeDetail(s *Sighting) string {
	var parts []string
	if len(s.HomeAddresses) > 0 {
		a := make([]string, len(s.HomeAddresses))
		for i, ip := range s.HomeAddresses {
			a[i] = ip.String()
		}
		parts = append(parts, "home addresses: "+strings.Join(a, ", "))
	}
	if len(s.Sensors) > 0 {
		parts = append(parts, "sensors: "+strings.Join(s.Sensors, ", "))
	}
	if len(s.Signatures) > 0 {
		parts = append(parts, "rules: "+strings.Join(s.Signatures, "; "))
	}
	if len(s.SignatureIDs) > 0 && len(parts) > 0 {
		ids := make([]string, len(s.SignatureIDs))
		for i, id := range s.SignatureIDs {
			ids[i] = strconv.FormatUint(uint64(id), 10)
		}
		parts = append(parts, "rule ids: "+strings.Join(ids, ", "))
	}
	return strings.Join(parts, "; ")
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "no kind"
	}
	return strings.Join(l, ", ")
}

// sharer fills in the defaults of the settings STIX and MISP share: the TLP
// level (checked) and the sharer's identity.
func sharer(tlp TLP, identity string) (TLP, string, error) {
	if tlp == "" {
		tlp = DefaultTLP
	}
	if tlp.STIXMarkingID() == "" {
		return "", "", fmt.Errorf("unknown TLP level %q", tlp)
	}
	if identity == "" {
		identity = DefaultIdentity
	}
	return tlp, identity, nil
}
