// Command bw-worldmap turns world-atlas's TopoJSON countries (Natural Earth,
// public domain) into the console's world geometry: each country's outline
// projected (Equal Earth), simplified (Douglas-Peucker on the shared arcs, so
// neighbours keep a common border) and written as a compact SVG path with
// integer coordinates, keyed by the atlas's id (ISO 3166-1 numeric, or the
// name where the atlas has no id). scripts/refresh-console-assets.sh runs it.
//
//	bw-worldmap -in countries-50m.json -out console/assets/world.json [-tolerance 2.5]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// The output's coordinate space: the projected world scaled to width units.
const (
	width = 9600
	eeA1  = 1.340264
	eeA2  = -0.081106
	eeA3  = 0.000893
	eeA4  = 0.003796
)

type topology struct {
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects map[string]struct {
		Geometries []struct {
			Type       string          `json:"type"`
			ID         string          `json:"id"`
			Arcs       json.RawMessage `json:"arcs"`
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"geometries"`
	} `json:"objects"`
}

// Shape is one geometry of the output.
type Shape struct {
	ID    string `json:"id"` // ISO 3166-1 numeric, or the name when the atlas has none
	Name  string `json:"name"`
	D     string `json:"d"`     // SVG path data
	C     [2]int `json:"c"`     // centroid of the largest ring
	Small bool   `json:"small"` // largest ring narrower than a few pixels at full width
	Box   [4]int `json:"box"`   // bounding box x0 y0 x1 y1
}

// World is the output file.
type World struct {
	Source string  `json:"source"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Shapes []Shape `json:"shapes"`
}

type pt struct{ x, y float64 }

func equalEarth(lon, lat float64) pt {
	l, p := lon*math.Pi/180, lat*math.Pi/180
	m := math.Sqrt(3) / 2
	th := math.Asin(m * math.Sin(p))
	t2 := th * th
	t6 := t2 * t2 * t2
	x := l * math.Cos(th) / (m * (eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)))
	y := th * (eeA1 + eeA2*t2 + t6*(eeA3+eeA4*t2))
	return pt{x, y}
}

func main() {
	in := flag.String("in", "", "world-atlas countries TopoJSON (countries-50m.json)")
	out := flag.String("out", "", "output JSON")
	tol := flag.Float64("tolerance", 2.5, "simplification tolerance, in output units (width 9600)")
	source := flag.String("source", "world-atlas countries-50m.json (Natural Earth, public domain)", "source note written into the output")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: bw-worldmap -in countries-50m.json -out world.json")
		os.Exit(2)
	}
	if err := run(*in, *out, *tol, *source); err != nil {
		fmt.Fprintln(os.Stderr, "bw-worldmap:", err)
		os.Exit(1)
	}
}

func run(in, out string, tol float64, source string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var topo topology
	if err := json.Unmarshal(raw, &topo); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	obj, ok := topo.Objects["countries"]
	if !ok {
		return fmt.Errorf("%s: no countries object", in)
	}
	// Scale: Equal Earth spans x ±2.7064, y ±1.3173.
	xmax := equalEarth(180, 0).x
	ymax := equalEarth(0, 90).y
	s := float64(width) / (2 * xmax)
	height := int(math.Ceil(2 * ymax * s))
	proj := func(lon, lat float64) pt {
		p := equalEarth(lon, lat)
		return pt{(p.x + xmax) * s, (ymax - p.y) * s}
	}
	// Decode, project and simplify every arc once.
	arcs := make([][]pt, len(topo.Arcs))
	rawArcs := make([][]pt, len(topo.Arcs))
	for i, a := range topo.Arcs {
		var x, y float64
		pts := make([]pt, len(a))
		for j, d := range a {
			x += d[0]
			y += d[1]
			pts[j] = proj(x*topo.Transform.Scale[0]+topo.Transform.Translate[0], y*topo.Transform.Scale[1]+topo.Transform.Translate[1])
		}
		rawArcs[i] = pts
		arcs[i] = simplify(pts, tol)
	}
	build := func(arcs [][]pt, idx []int) []pt {
		var r []pt
		for k, i := range idx {
			a := arcs[i^(i>>31)] // ~i for negative indexes
			seg := a
			if i < 0 {
				seg = make([]pt, len(a))
				for j := range a {
					seg[j] = a[len(a)-1-j]
				}
			}
			if k > 0 && len(seg) > 0 {
				seg = seg[1:]
			}
			r = append(r, seg...)
		}
		return r
	}
	// A ring of one short arc can simplify to a line: tiny countries
	// (Vatican, Monaco) keep their unsimplified outline.
	ring := func(idx []int) []pt {
		if r := build(arcs, idx); len(r) >= 4 {
			return r
		}
		return build(rawArcs, idx)
	}
	w := World{Source: source, Width: width, Height: height}
	for _, g := range obj.Geometries {
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return err
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				return err
			}
		default:
			continue
		}
		id := g.ID
		if id == "" {
			id = g.Properties.Name
		}
		var rings [][]pt
		for _, p := range polys {
			for _, r := range p {
				rings = append(rings, ring(r))
			}
		}
		sh := shape(id, g.Properties.Name, rings)
		if sh.D == "" {
			return fmt.Errorf("%s (%s): no ring left after simplification", id, g.Properties.Name)
		}
		w.Shapes = append(w.Shapes, sh)
	}
	sort.SliceStable(w.Shapes, func(i, j int) bool { return w.Shapes[i].ID < w.Shapes[j].ID })
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

// shape writes the rings as one path: rings smaller than a pixel are left
// out, except the largest, so that every country keeps an outline.
func shape(id, name string, rings [][]pt) Shape {
	sh := Shape{ID: id, Name: name}
	big, bigArea := -1, -1.0
	for i, r := range rings {
		if a := math.Abs(area(r)); a > bigArea {
			big, bigArea = i, a
		}
	}
	var b strings.Builder
	box := [4]int{math.MaxInt, math.MaxInt, math.MinInt, math.MinInt}
	var pieces [][]pt
	for i, r := range rings {
		if len(r) < 3 || (i != big && math.Abs(area(r)) < 40) {
			continue
		}
		pieces = append(pieces, splitAntimeridian(r)...)
	}
	for _, r := range pieces {
		var px, py int
		first := true
		for _, p := range r {
			x, y := int(math.Round(p.x)), int(math.Round(p.y))
			box[0], box[1], box[2], box[3] = min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)
			switch {
			case first:
				b.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "l")
				first = false
			case x == px && y == py:
				continue
			default:
				b.WriteString(strconv.Itoa(x-px) + coordSep(y-py) + strconv.Itoa(y-py) + " ")
			}
			px, py = x, y
		}
		s := strings.TrimSuffix(b.String(), " ")
		b.Reset()
		b.WriteString(s + "z")
	}
	sh.D = strings.ReplaceAll(b.String(), "lz", "z")
	sh.Box = box
	if big >= 0 {
		c := centroid(rings[big])
		sh.C = [2]int{int(math.Round(c.x)), int(math.Round(c.y))}
		bx0, by0, bx1, by1 := bounds(rings[big])
		sh.Small = math.Max(bx1-bx0, by1-by0) < 40
	}
	return sh
}

// splitAntimeridian cuts a ring that crosses ±180° (Russia's Chukotka,
// Fiji) where it jumps across the map, so that no line is drawn across
// the world: each piece starts and ends at the map's edge, and its
// implicit closing line runs along that edge.
func splitAntimeridian(r []pt) [][]pt {
	jump := func(i int) bool { return math.Abs(r[i].x-r[i-1].x) > width/2 }
	first := -1
	for i := 1; i < len(r); i++ {
		if jump(i) {
			first = i
			break
		}
	}
	if first < 0 {
		return [][]pt{r}
	}
	// Rotate the closed ring (its last point repeats the first) to start at
	// the first jump, then cut at every jump.
	rot := append(append([]pt{}, r[first:]...), r[1:first]...)
	var out [][]pt
	cur := []pt{rot[0]}
	for i := 1; i < len(rot); i++ {
		if math.Abs(rot[i].x-rot[i-1].x) > width/2 {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, rot[i])
	}
	out = append(out, cur)
	var keep [][]pt
	for _, p := range out {
		if len(p) >= 3 {
			keep = append(keep, p)
		}
	}
	return keep
}

// coordSep separates x and y: a minus sign separates by itself.
func coordSep(dy int) string {
	if dy < 0 {
		return ""
	}
	return " "
}

func area(r []pt) float64 {
	var a float64
	for i := range r {
		j := (i + 1) % len(r)
		a += r[i].x*r[j].y - r[j].x*r[i].y
	}
	return a / 2
}

func centroid(r []pt) pt {
	a := area(r)
	if math.Abs(a) < 1e-9 {
		x0, y0, x1, y1 := bounds(r)
		return pt{(x0 + x1) / 2, (y0 + y1) / 2}
	}
	var cx, cy float64
	for i := range r {
		j := (i + 1) % len(r)
		f := r[i].x*r[j].y - r[j].x*r[i].y
		cx += (r[i].x + r[j].x) * f
		cy += (r[i].y + r[j].y) * f
	}
	return pt{cx / (6 * a), cy / (6 * a)}
}

func bounds(r []pt) (x0, y0, x1, y1 float64) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range r {
		x0, y0, x1, y1 = math.Min(x0, p.x), math.Min(y0, p.y), math.Max(x1, p.x), math.Max(y1, p.y)
	}
	return
}

// simplify is Douglas-Peucker keeping both ends.
func simplify(p []pt, tol float64) []pt {
	if len(p) < 3 {
		return p
	}
	keep := make([]bool, len(p))
	keep[0], keep[len(p)-1] = true, true
	var rec func(i, j int)
	rec = func(i, j int) {
		if j <= i+1 {
			return
		}
		best, bi := -1.0, -1
		for k := i + 1; k < j; k++ {
			if d := segDist(p[k], p[i], p[j]); d > best {
				best, bi = d, k
			}
		}
		if best > tol {
			keep[bi] = true
			rec(i, bi)
			rec(bi, j)
		}
	}
	rec(0, len(p)-1)
	out := make([]pt, 0, len(p)/4+2)
	for i, k := range keep {
		if k {
			out = append(out, p[i])
		}
	}
	return out
}

func segDist(p, a, b pt) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Hypot(p.x-a.x, p.y-a.y)
	}
	t := math.Max(0, math.Min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l2))
	return math.Hypot(p.x-(a.x+t*dx), p.y-(a.y+t*dy))
}
