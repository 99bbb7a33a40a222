package console

import (
	"html/template"
	"math"
)

// MapCountry is one country of a rendered map.
type MapCountry struct {
	Shape
	Class string // extra classes: shading buckets, home
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

// mapTmpl draws a MapSVG: one path per country (class "country", id
// c-CC), a marker for countries too small to see, and the links.
const mapTmpl = `{{define "map"}}<svg class="map" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-labelledby="map-label" preserveAspectRatio="xMidYMid meet">` +
	`<title id="map-label">{{.Label}}</title>` +
	`<rect class="sea" x="0" y="0" width="{{.Width}}" height="{{.Height}}"></rect>` +
	`<g class="countries">{{range .Countries}}<path id="c-{{.Code}}" class="country {{.Class}}" data-cc="{{.Code}}" data-cx="{{.CX}}" data-cy="{{.CY}}" d="{{.D}}"><title>{{.Title}}</title></path>{{end}}</g>` +
	`<g class="markers">{{range .Countries}}{{if .Small}}<circle class="marker {{.Class}}" data-cc="{{.Code}}" cx="{{.CX}}" cy="{{.CY}}" r="22"><title>{{.Title}}</title></circle>{{end}}{{end}}</g>` +
	`<g class="links" id="links">{{range .Links}}<line class="link {{.Class}}" x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}"><title>{{.Title}}</title></line>{{end}}</g>` +
	`</svg>{{end}}`

var mapTemplate = template.Must(template.New("map").Parse(mapTmpl))

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
