package console

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// worldJSON is the world geometry: Natural Earth 1:50m countries from the
// npm package world-atlas, projected (Equal Earth) and simplified by
// internal/devtools/bw-worldmap (scripts/refresh-console-assets.sh).
//
//go:embed assets/world.json
var worldJSON []byte

// Shape is one country's outline on the map.
type Shape struct {
	Code   string // ISO 3166-1 alpha-2
	Name   string
	D      string // SVG path data in the map's coordinates
	CX, CY int    // centroid of the largest part (where links start and end)
	Small  bool   // too small to see at full width: drawn with a marker too
}

// World is the map: the shapes in code order and the coordinate space.
type World struct {
	Width, Height int
	Source        string
	Shapes        []Shape
	byCode        map[string]int
}

// Shape returns the shape of an alpha-2 code.
func (w *World) Shape(code string) (Shape, bool) {
	i, ok := w.byCode[code]
	if !ok {
		return Shape{}, false
	}
	return w.Shapes[i], true
}

type worldFile struct {
	Source string `json:"source"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Shapes []struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		D     string `json:"d"`
		C     [2]int `json:"c"`
		Small bool   `json:"small"`
		Box   [4]int `json:"box"`
	} `json:"shapes"`
}

// LoadWorld returns the embedded map, shapes of one code merged into one
// (N. Cyprus into CY, Somaliland into SO, Australia's islands).
var LoadWorld = sync.OnceValues(func() (*World, error) { return parseWorld(worldJSON) })

func parseWorld(b []byte) (*World, error) {
	var f worldFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("world geometry: %w", err)
	}
	w := &World{Width: f.Width, Height: f.Height, Source: f.Source, byCode: map[string]int{}}
	var areas []int // box area of each shape's naming part
	for _, s := range f.Shapes {
		code, ok := shapeCodes[s.ID]
		if !ok {
			if _, skip := noCode[s.ID]; skip {
				continue
			}
			return nil, fmt.Errorf("world geometry: shape %q (%s) has no country code", s.ID, s.Name)
		}
		area := (s.Box[2] - s.Box[0]) * (s.Box[3] - s.Box[1])
		if i, ok := w.byCode[code]; ok {
			// Another part of a country: the largest part names it
			// and holds its centroid.
			sh := &w.Shapes[i]
			sh.D += s.D
			if area > areas[i] {
				areas[i] = area
				sh.Name, sh.CX, sh.CY, sh.Small = s.Name, s.C[0], s.C[1], s.Small
			}
			continue
		}
		w.byCode[code] = len(w.Shapes)
		areas = append(areas, area)
		w.Shapes = append(w.Shapes, Shape{Code: code, Name: s.Name, D: s.D, CX: s.C[0], CY: s.C[1], Small: s.Small})
	}
	slices.SortFunc(w.Shapes, func(a, b Shape) int {
		switch {
		case a.Code < b.Code:
			return -1
		case a.Code > b.Code:
			return 1
		}
		return 0
	})
	for i, s := range w.Shapes {
		w.byCode[s.Code] = i
	}
	return w, nil
}
