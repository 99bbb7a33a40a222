package feeds

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// maxMISPEvents bounds the events of a MISP feed.
const maxMISPEvents = 10000

// mispEventState is what a MISP source keeps of an event.
type mispEventState struct {
	Timestamp string         `json:"timestamp"`
	Prefixes  []netip.Prefix `json:"prefixes,omitempty"`
}

// mispState is the cached data of a MISP source.
type mispState struct {
	Events map[string]mispEventState `json:"events"`
}

func (s *mispState) prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, e := range s.Events {
		out = append(out, e.Prefixes...)
	}
	return out
}

// mispStats counts what a MISP update saw.
type mispStats struct {
	events, fetched, attributes, bad int
	firstBad                         string
}

// flexString is a JSON string or number (MISP writes timestamps both ways).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n)
	return nil
}

// flexBool is a JSON boolean, or "1"/"0"/"true"/"false" as older MISP
// exports write them.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(bytes.TrimSpace(b)), `"`) {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return fmt.Errorf("want a boolean, got %s", excerpt(string(b)))
	}
	return nil
}

type mispAttr struct {
	UUID    string   `json:"uuid"`
	Type    string   `json:"type"`
	Value   string   `json:"value"`
	ToIDS   flexBool `json:"to_ids"`
	Deleted flexBool `json:"deleted"`
}

type mispEventDoc struct {
	Event struct {
		UUID      string     `json:"uuid"`
		Timestamp flexString `json:"timestamp"`
		Attribute []mispAttr `json:"Attribute"`
		Object    []struct {
			Deleted   flexBool   `json:"deleted"`
			Attribute []mispAttr `json:"Attribute"`
		} `json:"Object"`
	} `json:"Event"`
}

// validUUID is a canonical UUID: it becomes a file name of the feed's URL.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// mispAddress reads an address attribute's value: ip-src and ip-dst hold
// an address or CIDR, ip-src|port and ip-dst|port ADDRESS|PORT. ok is
// false for other types.
func mispAddress(a *mispAttr) (p netip.Prefix, ok bool, err error) {
	v := strings.TrimSpace(a.Value)
	switch a.Type {
	case "ip-src", "ip-dst":
	case "ip-src|port", "ip-dst|port":
		i := strings.LastIndexByte(v, '|')
		if i < 0 {
			return p, true, fmt.Errorf("%s value %q: want ADDRESS|PORT", a.Type, excerpt(v))
		}
		v = v[:i]
	default:
		return p, false, nil
	}
	if strings.Contains(v, "/") {
		q, err := netip.ParsePrefix(v)
		if err != nil {
			return p, true, fmt.Errorf("%s value %q: bad CIDR", a.Type, excerpt(v))
		}
		return q.Masked(), true, nil
	}
	ad, err := netip.ParseAddr(v)
	if err != nil || ad.Zone() != "" {
		return p, true, fmt.Errorf("%s value %q: bad address", a.Type, excerpt(v))
	}
	return netip.PrefixFrom(ad, ad.BitLen()), true, nil
}

// parseMISPEvent reads the to_ids address attributes of an event (not
// deleted, also those of its objects).
func parseMISPEvent(uuid string, body []byte, st *mispStats) ([]netip.Prefix, error) {
	var doc mispEventDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("event %s: not a MISP event: %s", uuid, jsonReason(err))
	}
	var out []netip.Prefix
	take := func(a *mispAttr) {
		if !a.ToIDS || a.Deleted {
			return
		}
		p, ok, err := mispAddress(a)
		if !ok {
			return
		}
		st.attributes++
		if err != nil {
			st.bad++
			if st.firstBad == "" {
				st.firstBad = fmt.Sprintf("event %s attribute %s: %v", uuid, excerpt(a.UUID), err)
			}
			return
		}
		out = append(out, p)
	}
	for i := range doc.Event.Attribute {
		take(&doc.Event.Attribute[i])
	}
	for _, o := range doc.Event.Object {
		if o.Deleted {
			continue
		}
		for i := range o.Attribute {
			take(&o.Attribute[i])
		}
	}
	return out, nil
}

// feedBase is the feed folder's URL with a final slash.
func feedBase(u *url.URL) *url.URL {
	b := *u
	b.Fragment = ""
	if !strings.HasSuffix(b.Path, "/") {
		b.Path += "/"
		b.RawPath = ""
	}
	return &b
}

// pullMISP reads the feed's manifest and the events that are new or
// changed since prev (by their timestamp); the others come from prev.
func pullMISP(ctx context.Context, c *client, base *url.URL, manifest []byte, prev *mispState, b *budget, st *mispStats) (*mispState, error) {
	var entries map[string]struct {
		Timestamp flexString `json:"timestamp"`
	}
	if err := json.Unmarshal(manifest, &entries); err != nil {
		return nil, fmt.Errorf("manifest.json: not a MISP feed manifest: %s", jsonReason(err))
	}
	if len(entries) > maxMISPEvents {
		return nil, fmt.Errorf("manifest.json: %d events: want at most %d", len(entries), maxMISPEvents)
	}
	uuids := make([]string, 0, len(entries))
	for id := range entries {
		if !validUUID(id) {
			return nil, fmt.Errorf("manifest.json: event %q: not a UUID", excerpt(id))
		}
		uuids = append(uuids, id)
	}
	slices.Sort(uuids)
	out := &mispState{Events: make(map[string]mispEventState, len(uuids))}
	for _, id := range uuids {
		st.events++
		ts := string(entries[id].Timestamp)
		if old, ok := prev.Events[id]; ok && ts != "" && old.Timestamp == ts {
			out.Events[id] = old
			continue
		}
		u := *base
		u.Path += strings.ToLower(id) + ".json"
		u.RawPath = ""
		resp, err := c.get(ctx, &u, map[string]string{"Accept": "application/json"}, b)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", id, err)
		}
		st.fetched++
		ps, err := parseMISPEvent(id, resp.body, st)
		if err != nil {
			return nil, err
		}
		out.Events[id] = mispEventState{Timestamp: ts, Prefixes: ps}
	}
	return out, nil
}
