package console

import (
	"html"
	"strconv"
	"strings"
)

// The console and the report write their HTML with this small writer and
// html.EscapeString, not html/template: a binary that executes a template
// keeps every exported method reachable through an interface (megabytes;
// cmd/borderwatch's TestBinaryLinksNoTemplate).

type htmlWriter struct{ strings.Builder }

// raw writes markup as is.
func (w *htmlWriter) raw(s ...string) {
	for _, x := range s {
		w.WriteString(x)
	}
}

// text writes s escaped, for text and attribute values.
func (w *htmlWriter) text(s string) { w.WriteString(html.EscapeString(s)) }

// attr writes ` name="value"` with value escaped.
func (w *htmlWriter) attr(name, value string) {
	w.raw(" ", name, `="`)
	w.text(value)
	w.raw(`"`)
}

// writeMap draws m: one path per country (class "country", id c-CC), a
// marker for countries too small to see, and the links.
func (w *htmlWriter) writeMap(m MapSVG) {
	w.raw(`<svg class="map" viewBox="0 0 `, strconv.Itoa(m.Width), " ", strconv.Itoa(m.Height),
		`" role="img" aria-labelledby="map-label" preserveAspectRatio="xMidYMid meet"><title id="map-label">`)
	w.text(m.Label)
	w.raw(`</title><rect class="sea" x="0" y="0" width="`, strconv.Itoa(m.Width), `" height="`, strconv.Itoa(m.Height), `"></rect><g class="countries">`)
	for _, c := range m.Countries {
		w.raw(`<path id="c-`, c.Code, `"`)
		w.attr("class", "country"+c.Class)
		w.raw(` data-cc="`, c.Code, `" data-cx="`, strconv.Itoa(c.CX), `" data-cy="`, strconv.Itoa(c.CY), `" d="`)
		w.text(c.D)
		w.raw(`"><title>`)
		w.text(c.Title)
		w.raw("</title></path>")
	}
	w.raw(`</g><g class="markers">`)
	for _, c := range m.Countries {
		if !c.Small {
			continue
		}
		w.raw(`<circle`)
		w.attr("class", "marker"+c.Class)
		w.raw(` data-cc="`, c.Code, `" cx="`, strconv.Itoa(c.CX), `" cy="`, strconv.Itoa(c.CY), `" r="22"><title>`)
		w.text(c.Title)
		w.raw("</title></circle>")
	}
	w.raw(`</g><g class="links" id="links">`)
	for _, l := range m.Links {
		w.raw(`<line`)
		w.attr("class", strings.TrimSpace("link "+l.Class))
		w.raw(` x1="`, strconv.Itoa(l.X1), `" y1="`, strconv.Itoa(l.Y1), `" x2="`, strconv.Itoa(l.X2), `" y2="`, strconv.Itoa(l.Y2), `"><title>`)
		w.text(l.Title)
		w.raw("</title></line>")
	}
	w.raw("</g></svg>")
}
