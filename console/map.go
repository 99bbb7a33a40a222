package console

import "math"

// MapCountry is one country of a rendered map.
type MapCountry struct {
	Shape
	Class string // extra classes, each after a space: " a3 home"
	Title string // tooltip
}

// MapLink is a line from an attack origin to home.
type MapLink struct {
	X1, Y1, X2, Y2 int
	Class, Title   string
}

// MapSVG is what the map template draws.
type MapSVG struct {
	Width, Height int
	Label         string
	Countries     []MapCountry
	Links         []MapLink
}

// mapSVG prepares the map; style gives each country's classes and title
// (nil: none, the name and code as title).
func (w *World) mapSVG(style func(s Shape) (class, title string), label string) MapSVG {
	m := MapSVG{Width: w.Width, Height: w.Height, Label: label}
	for _, s := range w.Shapes {
		c := MapCountry{Shape: s, Title: s.Name + " (" + s.Code + ")"}
		if style != nil {
			c.Class, c.Title = style(s)
		}
		m.Countries = append(m.Countries, c)
	}
	return m
}

// bucket is the shading class of n among values up to top: 0 for none,
// 1..5 on a logarithmic scale (a handful of alerts stays visible beside
// thousands).
func bucket(n, top uint64) int {
	if n == 0 || top == 0 {
		return 0
	}
	if top == 1 {
		return 5
	}
	b := 1 + int(4*math.Log(float64(n))/math.Log(float64(top))+0.5)
	return min(max(b, 1), 5)
}
