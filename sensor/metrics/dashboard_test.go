package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/rules/feeds"
)

// registered are the metrics the sensor registers, by name, with their
// label names: read from a Prometheus registry's view of the Collector
// and of the list sources' collector (rules/feeds, Sources.Extra of run)
// — their descriptors, not a list kept by hand.
func registered(t *testing.T) map[string][]string {
	t.Helper()
	lists, err := feeds.New(feeds.Configuration{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	c := New(Sources{Extra: []prometheus.Collector{lists}})
	reg := prometheus.NewPedanticRegistry()
	ch := make(chan *prometheus.Desc, 256)
	for _, x := range []prometheus.Collector{c, lists} { // as Handler registers them
		if err := reg.Register(x); err != nil {
			t.Fatal(err)
		}
		x.Describe(ch)
	}
	close(ch)
	nameRe := regexp.MustCompile(`fqName: "([^"]+)"`)
	labelsRe := regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	out := map[string][]string{}
	for d := range ch {
		s := d.String()
		m := nameRe.FindStringSubmatch(s)
		l := labelsRe.FindStringSubmatch(s)
		if m == nil || l == nil {
			t.Fatalf("cannot read descriptor %s", s)
		}
		var labels []string
		for x := range strings.SplitSeq(l[1], ",") {
			if x = strings.TrimSpace(x); x != "" {
				labels = append(labels, x)
			}
		}
		out[m[1]] = labels
	}
	if len(out) < 40 {
		t.Fatalf("only %d metrics described", len(out))
	}
	return out
}

type dashboard struct {
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int                      `json:"id"`
	Type    string                   `json:"type"`
	Title   string                   `json:"title"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		RefID   string `json:"refId"`
		Expr    string `json:"expr"`
		Instant bool   `json:"instant"`
		Format  string `json:"format"`
	} `json:"targets"`
	Options struct {
		Layers []struct {
			Type     string `json:"type"`
			Location struct {
				Mode      string `json:"mode"`
				Lookup    string `json:"lookup"`
				Gazetteer string `json:"gazetteer"`
			} `json:"location"`
			Config struct {
				Style struct {
					Size  struct{ Field string } `json:"size"`
					Color struct{ Field string } `json:"color"`
				} `json:"style"`
			} `json:"config"`
		} `json:"layers"`
	} `json:"options"`
	Transformations []struct {
		ID      string `json:"id"`
		Options struct {
			RenameByName map[string]string `json:"renameByName"`
		} `json:"options"`
	} `json:"transformations"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("deploy/grafana-dashboard.json: %v", err)
	}
	return d
}

var (
	metricRe   = regexp.MustCompile(`\b(borderwatch_[a-z_]+)(\{[^}]*\})?`)
	matcherRe  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	groupingRe = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// TestDashboardQueries: every query of deploy/grafana-dashboard.json names
// metrics the sensor registers, with labels they have (instance and job
// are Prometheus's own), panels have distinct ids and do not overlap, and
// the dashboard queries at least 20 metrics (an emptied dashboard fails).
func TestDashboardQueries(t *testing.T) {
	reg := registered(t)
	d := readDashboard(t)
	ids := map[int]bool{}
	refs := 0
	for i, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		for _, q := range d.Panels[:i] {
			a, b := p.GridPos, q.GridPos
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("panels %q and %q overlap", p.Title, q.Title)
			}
		}
		for _, tg := range p.Targets {
			var labels []string // the labels of the metrics of the query
			ms := metricRe.FindAllStringSubmatch(tg.Expr, -1)
			if len(ms) == 0 {
				t.Errorf("panel %q: query %s names no borderwatch metric", p.Title, tg.Expr)
			}
			refs += len(ms)
			for _, m := range ms {
				have, ok := reg[m[1]]
				if !ok {
					t.Errorf("panel %q queries %s, which the sensor does not register", p.Title, m[1])
					continue
				}
				have = append(have, "instance", "job")
				labels = append(labels, have...)
				for _, mm := range matcherRe.FindAllStringSubmatch(m[2], -1) {
					if !slices.Contains(have, mm[1]) {
						t.Errorf("panel %q: %s has no label %q (it has %v)", p.Title, m[1], mm[1], have)
					}
				}
			}
			for _, g := range groupingRe.FindAllStringSubmatch(tg.Expr, -1) {
				for l := range strings.SplitSeq(g[1], ",") {
					if l = strings.TrimSpace(l); l != "" && !slices.Contains(labels, l) {
						t.Errorf("panel %q groups by %q, a label of none of its metrics", p.Title, l)
					}
				}
			}
		}
	}
	if refs < 20 {
		t.Errorf("only %d metric references in the dashboard", refs)
	}
}

// TestDashboardGeomap: the dashboard maps the kernel's per-country
// counters, inbound and outbound: Grafana geomap panels placing each row
// by its ISO country code (the lookup location mode with the country
// gazetteer) from instant table queries summed by the country label.
func TestDashboardGeomap(t *testing.T) {
	reg := registered(t)
	dirs := map[string]bool{}
	for _, p := range readDashboard(t).Panels {
		if p.Type != "geomap" {
			continue
		}
		if len(p.Options.Layers) != 1 {
			t.Fatalf("panel %q: %d layers, want 1", p.Title, len(p.Options.Layers))
		}
		l := p.Options.Layers[0]
		if l.Location.Mode != "lookup" || l.Location.Lookup != "country" || l.Location.Gazetteer != "public/gazetteer/countries.json" {
			t.Errorf("panel %q: location %+v, want lookup of the country field in the countries gazetteer", p.Title, l.Location)
		}
		renamed := map[string]bool{}
		for _, tr := range p.Transformations {
			for _, to := range tr.Options.RenameByName {
				renamed[to] = true
			}
		}
		if f := l.Config.Style.Size.Field; !renamed[f] || l.Config.Style.Color.Field != f {
			t.Errorf("panel %q: size by %q and colour by %q, want a field of the queries (%v)", p.Title, f, l.Config.Style.Color.Field, renamed)
		}
		want := []string{"borderwatch_kernel_packets_total", "borderwatch_kernel_bytes_total"}
		if len(p.Targets) != len(want) {
			t.Fatalf("panel %q: %d queries, want %d", p.Title, len(p.Targets), len(want))
		}
		for i, tg := range p.Targets {
			m := metricRe.FindStringSubmatch(tg.Expr)
			if m == nil || m[1] != want[i] || !slices.Contains(reg[m[1]], "country") {
				t.Errorf("panel %q: query %s, want one of %s by country", p.Title, tg.Expr, want[i])
			}
			if !strings.HasPrefix(tg.Expr, "sum by (country) (") || !tg.Instant || tg.Format != "table" || !strings.Contains(tg.Expr, `country!="??"`) {
				t.Errorf("panel %q: query %+v: want an instant table summed by country without ??", p.Title, tg)
			}
			if dm := regexp.MustCompile(`direction="([a-z]+)"`).FindStringSubmatch(tg.Expr); dm != nil {
				dirs[dm[1]] = true
			}
		}
	}
	if !dirs["inbound"] || !dirs["outbound"] {
		t.Errorf("geomap directions %v, want inbound and outbound", dirs)
	}
}
