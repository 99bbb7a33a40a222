package share

import (
	"crypto/md5" //nolint:gosec // MISP feeds index attribute values by MD5 (hashes.csv)
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/borderwatch/borderwatch/sensor/alert"
)

// MISPOptions says how a MISP event is made.
type MISPOptions struct {
	TLP TLP
	// Identity names the creating organisation (Orgc); empty means
	// DefaultIdentity.
	Identity string
}

// ErrNothingToShare is returned when no alert had an address to share: a
// MISP event without attributes is of no use to anyone.
var ErrNothingToShare = errors.New("nothing to share: no alert had a foreign address")

// MISPEvent is the JSON form MISP imports and serves in feeds: {"Event": …}.
type MISPEvent struct {
	Event mispEvent `json:"Event"`
}

type mispOrg struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type mispTag struct {
	Name       string `json:"name"`
	Colour     string `json:"colour,omitempty"`
	Exportable bool   `json:"exportable"`
}

type mispAttribute struct {
	UUID               string    `json:"uuid"`
	Type               string    `json:"type"`
	Category           string    `json:"category"`
	ToIDS              bool      `json:"to_ids"`
	Value              string    `json:"value"`
	Comment            string    `json:"comment"`
	Timestamp          string    `json:"timestamp"`
	Distribution       string    `json:"distribution"`
	DisableCorrelation bool      `json:"disable_correlation"`
	Tag                []mispTag `json:"Tag,omitempty"`
}

type mispEvent struct {
	UUID             string          `json:"uuid"`
	Info             string          `json:"info"`
	Date             string          `json:"date"`
	ThreatLevelID    string          `json:"threat_level_id"`
	Analysis         string          `json:"analysis"`
	Distribution     string          `json:"distribution"`
	Published        bool            `json:"published"`
	Timestamp        string          `json:"timestamp"`
	PublishTimestamp string          `json:"publish_timestamp"`
	AttributeCount   string          `json:"attribute_count"`
	Orgc             mispOrg         `json:"Orgc"`
	Tag              []mispTag       `json:"Tag"`
	Attribute        []mispAttribute `json:"Attribute"`
}

// UUID is the event's uuid.
func (e *MISPEvent) UUID() string { return e.Event.UUID }

// MISP makes one MISP event of res's sightings: one ip-src attribute per
// address that sent attack traffic and one ip-dst per foreign address a
// home host contacted, all to_ids, tagged with the TLP level and the MITRE
// ATT&CK techniques (MISP's mitre-attack-pattern galaxy).
func MISP(res *Result, opt MISPOptions) (*MISPEvent, error) {
	var err error
	if opt.TLP, opt.Identity, err = sharer(opt.TLP, opt.Identity); err != nil {
		return nil, err
	}
	if len(res.Sightings) == 0 {
		return nil, ErrNothingToShare
	}
	tlp := mispTag{Name: opt.TLP.MISPTag(), Colour: opt.TLP.mispColour(), Exportable: true}
	ev := mispEvent{
		ThreatLevelID: "2", // medium
		Analysis:      "2", // completed: the sensor's verdicts are final
		Distribution:  opt.TLP.mispDistribution(),
		Published:     true,
		Orgc:          mispOrg{Name: opt.Identity, UUID: uuidV5(bwNamespace, "misp-org|"+opt.Identity).String()},
		Tag:           []mispTag{tlp},
	}
	first, last := res.Sightings[0].FirstSeen, res.Sightings[0].LastSeen
	kinds := map[string]bool{}
	var h strings.Builder
	for _, s := range res.Sightings {
		if s.FirstSeen.Before(first) {
			first = s.FirstSeen
		}
		if s.LastSeen.After(last) {
			last = s.LastSeen
		}
		for _, k := range s.Kinds {
			kinds[k] = true
		}
		typ := "ip-src"
		if s.Role == RoleDestination {
			typ = "ip-dst"
		}
		a := mispAttribute{
			UUID:      uuidV5(bwNamespace, "misp-attribute|"+opt.Identity+"|"+typ+"|"+s.Address.String()+"|"+stixTime(s.FirstSeen)).String(),
			Type:      typ,
			Category:  "Network activity",
			ToIDS:     true,
			Value:     s.Address.String(),
			Comment:   describe(s),
			Timestamp: strconv.FormatInt(s.LastSeen.Unix(), 10),
			// 5: inherit the event's distribution.
			Distribution: "5",
		}
		if d := homeDetail(s); d != "" {
			a.Comment += " " + d
		}
		for _, t := range s.Techniques {
			a.Tag = append(a.Tag, mispTag{Name: mitreGalaxyTag(t), Exportable: true})
		}
		if s.Country != "" {
			// Where the address is located, as an ISO 3166-1 code every MISP
			// can search on (the country galaxy wants names, not codes).
			a.Tag = append(a.Tag, mispTag{Name: `borderwatch:country="` + s.Country + `"`, Exportable: true})
		}
		ev.Attribute = append(ev.Attribute, a)
		h.WriteString(a.UUID + a.Timestamp)
	}
	ks := make([]string, 0, len(kinds))
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	ev.UUID = uuidV5(bwNamespace, "misp-event|"+opt.Identity+"|"+h.String()).String()
	ev.Date = first.UTC().Format("2006-01-02")
	ev.Timestamp = strconv.FormatInt(last.Unix(), 10)
	ev.PublishTimestamp = ev.Timestamp
	ev.AttributeCount = strconv.Itoa(len(ev.Attribute))
	ev.Info = fmt.Sprintf("borderwatch: %d foreign address(es) seen crossing the border, %s to %s (%s)",
		len(ev.Attribute), stixTime(first), stixTime(last), orNone(ks))
	return &MISPEvent{Event: ev}, nil
}

// mitreGalaxyTag is the tag of MISP's mitre-attack-pattern galaxy cluster
// of technique id: misp-galaxy:mitre-attack-pattern="Active Scanning - T1595".
func mitreGalaxyTag(id string) string {
	return `misp-galaxy:mitre-attack-pattern="` + techniqueName(id) + " - " + id + `"`
}

// WriteMISP writes the MISP event of res's sightings to w.
func WriteMISP(w io.Writer, res *Result, opt MISPOptions) error {
	ev, err := MISP(res, opt)
	if err != nil {
		return err
	}
	return WriteJSON(w, ev)
}

// MaxManifestBytes bounds the manifest.json and hashes.csv of an existing
// feed folder that WriteMISPFeed reads back before adding an event.
const MaxManifestBytes = 64 << 20

// ManifestEntry is one event's entry in a MISP feed's manifest.json.
type ManifestEntry struct {
	Orgc          mispOrg   `json:"Orgc"`
	Tag           []mispTag `json:"Tag"`
	Info          string    `json:"info"`
	Date          string    `json:"date"`
	Analysis      string    `json:"analysis"`
	ThreatLevelID string    `json:"threat_level_id"`
	Timestamp     string    `json:"timestamp"`
}

// WriteMISPFeed adds ev to the MISP feed folder dir, creating it: the event
// as dir/UUID.json, its entry in dir/manifest.json and the MD5 of each
// attribute value in dir/hashes.csv — the layout a MISP instance
// subscribes to (Sync Actions → Feeds, input source "Network" or "Local",
// source format "MISP Feed"). Events already in the folder stay. Every
// file is replaced atomically.
func WriteMISPFeed(dir string, ev *MISPEvent) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("misp feed: %w", err)
	}
	manifest := map[string]ManifestEntry{}
	mpath := filepath.Join(dir, "manifest.json")
	if b, err := readBounded(mpath); err == nil {
		if err := json.Unmarshal(b, &manifest); err != nil {
			return fmt.Errorf("misp feed %s: not a MISP feed manifest (%s); not overwriting it", mpath, alert.JSONReason(err))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("misp feed: %w", err)
	}
	e := &ev.Event
	manifest[e.UUID] = ManifestEntry{
		Orgc: e.Orgc, Tag: e.Tag, Info: e.Info, Date: e.Date,
		Analysis: e.Analysis, ThreatLevelID: e.ThreatLevelID, Timestamp: e.Timestamp,
	}

	var hashes []string
	hpath := filepath.Join(dir, "hashes.csv")
	if b, err := readBounded(hpath); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasSuffix(l, ","+e.UUID) {
				hashes = append(hashes, l)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("misp feed: %w", err)
	}
	for _, a := range e.Attribute {
		hashes = append(hashes, md5hex(a.Value)+","+e.UUID)
	}

	evb, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	mb, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	// The event first, the manifest last: a subscriber never sees a
	// manifest entry whose event file is missing.
	if err := writeAtomic(filepath.Join(dir, e.UUID+".json"), append(evb, '\n')); err != nil {
		return err
	}
	if err := writeAtomic(hpath, []byte(strings.Join(hashes, "\n")+"\n")); err != nil {
		return err
	}
	return writeAtomic(mpath, append(mb, '\n'))
}

// readBounded reads a regular file of at most MaxManifestBytes.
func readBounded(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > MaxManifestBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the limit of %d", path, st.Size(), MaxManifestBytes)
	}
	return os.ReadFile(path)
}

// WriteFile replaces the file at path with b atomically.
func WriteFile(path string, b []byte) error { return writeAtomic(path, b) }

// writeAtomic replaces path with b: a temporary file in the same folder,
// synced, then renamed over it.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// md5hex is the hex MD5 of s, as hashes.csv lists attribute values.
func md5hex(s string) string {
	sum := md5.Sum([]byte(s)) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}
