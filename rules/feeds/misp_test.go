package feeds

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/share"
)

// countingFiles serves a folder and counts the requests per path.
type countingFiles struct {
	h     http.Handler
	total atomic.Int64
	paths map[string]*atomic.Int64
}

func (c *countingFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.total.Add(1)
	if n, ok := c.paths[r.URL.Path]; ok {
		n.Add(1)
	}
	c.h.ServeHTTP(w, r)
}

// TestMISPFeed reads back, as a list, a MISP feed folder written by
// `borderwatch share misp --feed` (share.WriteMISPFeed), served over TLS
// like a MISP feed; then a hand-made event with objects, ports, deleted
// and non-IDS attributes is added.
func TestMISPFeed(t *testing.T) {
	res, err := share.Read(share.Options{}, nil, filepath.Join("..", "..", "share", "testdata", "mixed.eve.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := share.MISP(res, share.MISPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := share.WriteMISPFeed(dir, ev); err != nil {
		t.Fatal(err)
	}
	files := &countingFiles{h: http.FileServer(http.Dir(dir)), paths: map[string]*atomic.Int64{"/feed/" + ev.UUID() + ".json": {}}}
	srv, ca := startTLS(t, http.StripPrefix("/feed", files))
	files.paths["/"+ev.UUID()+".json"] = files.paths["/feed/"+ev.UUID()+".json"]
	cfg := Configuration{StateDir: t.TempDir(), Sources: []SourceConfig{{Name: "misp", URL: srv.URL + "/feed/", Format: FormatMISPFeed, CAFile: ca}}}
	m := newManager(t, cfg, nil)
	r := m.Update(context.Background())[0]
	if r.Err != nil || r.Entries != 3 || !r.Changed {
		t.Fatalf("update: %+v, want 3 entries", r)
	}
	l := m.Lists()["misp"]
	for _, a := range []string{"198.51.100.77", "203.0.113.7", "2001:db8:cc::5"} {
		if !contains(l, a) {
			t.Errorf("%s (a to_ids attribute of the event) not listed", a)
		}
	}
	// Unchanged: the manifest is not modified (304), nothing else is read.
	before := files.total.Load()
	if r := m.Update(context.Background())[0]; r.Outcome != OutcomeNotModified || files.total.Load() != before+1 {
		t.Errorf("second update: %+v after %d requests; want not_modified after 1", r, files.total.Load()-before)
	}

	// A second event, as MISP exports it (objects, ports, flags as strings).
	const id2 = "5f0a3c1e-1111-4c8e-9b7a-0123456789ab"
	ev2 := `{"Event":{"uuid":"` + id2 + `","info":"C2 infrastructure","timestamp":"1764900000","Attribute":[
	  {"uuid":"a1","type":"ip-dst|port","value":"192.0.2.50|443","to_ids":true},
	  {"uuid":"a2","type":"ip-src","value":"192.0.2.51","to_ids":false},
	  {"uuid":"a3","type":"ip-src","value":"192.0.2.52","to_ids":true,"deleted":true},
	  {"uuid":"a4","type":"domain","value":"c2.example","to_ids":true},
	  {"uuid":"a5","type":"ip-dst","value":"not-an-ip","to_ids":true},
	  {"uuid":"a6","type":"ip-src","value":"198.51.100.64/26","to_ids":"1"}],
	 "Object":[{"name":"ip-port","Attribute":[{"uuid":"o1","type":"ip-dst","value":"2001:db8:5::1","to_ids":true}]},
	           {"name":"ip-port","deleted":true,"Attribute":[{"uuid":"o2","type":"ip-dst","value":"2001:db8:5::2","to_ids":true}]}]}}`
	if err := os.WriteFile(filepath.Join(dir, id2+".json"), []byte(ev2), 0o644); err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	mb, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(mb, &manifest); err != nil {
		t.Fatal(err)
	}
	manifest[id2] = map[string]any{"info": "C2 infrastructure", "timestamp": 1764900000}
	mb, _ = json.Marshal(manifest)
	if err := share.WriteFile(filepath.Join(dir, "manifest.json"), mb); err != nil {
		t.Fatal(err)
	}
	bumpMtime(t, filepath.Join(dir, "manifest.json"), time.Minute)
	first := files.paths["/"+ev.UUID()+".json"].Load()
	r = m.Update(context.Background())[0]
	if r.Err != nil || r.Entries != 6 || !strings.Contains(r.Note, "1 bad address attributes (first: event "+id2+" attribute a5: ip-dst value \"not-an-ip\": bad address)") {
		t.Fatalf("update with the second event: %+v", r)
	}
	if n := files.paths["/"+ev.UUID()+".json"].Load(); n != first {
		t.Errorf("the unchanged event was read again (%d times)", n-first)
	}
	l = m.Lists()["misp"]
	for _, a := range []string{"192.0.2.50", "198.51.100.100", "2001:db8:5::1", "203.0.113.7"} {
		if !contains(l, a) {
			t.Errorf("%s not listed", a)
		}
	}
	for _, a := range []string{"192.0.2.51", "192.0.2.52", "2001:db8:5::2"} {
		if contains(l, a) {
			t.Errorf("%s listed (not to_ids, or deleted)", a)
		}
	}

	// A manifest naming a path, not an event, is refused before any fetch.
	manifest["../../etc/passwd"] = map[string]any{"timestamp": "1"}
	mb, _ = json.Marshal(manifest)
	if err := share.WriteFile(filepath.Join(dir, "manifest.json"), mb); err != nil {
		t.Fatal(err)
	}
	bumpMtime(t, filepath.Join(dir, "manifest.json"), 2*time.Minute)
	r = m.Update(context.Background())[0]
	if r.Err == nil || r.Err.Error() != `manifest.json: event "../../etc/passwd": not a UUID` || r.Entries != 6 {
		t.Errorf("bad manifest: %+v", r)
	}
}

func FuzzParseMISPEvent(f *testing.F) {
	f.Add([]byte(`{"Event":{"uuid":"5f0a3c1e-1111-4c8e-9b7a-0123456789ab","timestamp":"1","Attribute":[{"type":"ip-dst|port","value":"192.0.2.50|443","to_ids":true}],"Object":[{"Attribute":[{"type":"ip-src","value":"2001:db8::/32","to_ids":"1"}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var st mispStats
		ps, err := parseMISPEvent("e", b, &st)
		if err != nil && len(ps) > 0 {
			t.Errorf("error %v with %d prefixes", err, len(ps))
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Errorf("prefix %v", p)
			}
		}
	})
}
