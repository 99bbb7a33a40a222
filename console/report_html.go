package console

import (
	"strconv"
	"time"
)

func reportTime(t time.Time) string { return t.Format("2006-01-02 15:04:05.000") }

// html writes the report page: style inline, no script, and a CSP that
// forbids any network access.
func (v *reportView) html() string {
	var w htmlWriter
	num := func(n uint64) { w.raw(groupDigits(n)) }
	w.raw(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator"`)
	w.attr("content", "borderwatch "+v.Version)
	w.raw(">\n<title>")
	w.text(v.Title)
	w.raw("</title>\n<style>", reportCSS, "</style>\n</head>\n<body>\n<h1>")
	w.text(v.Title)
	w.raw("</h1>\n<dl class=\"summary\">\n<dt>Captures</dt><dd>")
	for i, f := range v.Files {
		if i > 0 {
			w.raw(", ")
		}
		w.raw("<code>")
		w.text(f)
		w.raw("</code>")
	}
	w.raw("</dd>\n<dt>Packets</dt><dd>")
	num(v.Stats.Capture.Frames)
	w.raw(" read, ")
	num(v.Stats.Decode.Decoded)
	w.raw(" decoded, ")
	num(v.Stats.Capture.Bytes)
	w.raw(" bytes</dd>\n<dt>Alerts</dt><dd id=\"alert-total\">")
	num(v.Total)
	for _, k := range v.Kinds {
		w.raw(" · ")
		w.text(k.Kind)
		w.raw(" ")
		num(k.N)
	}
	w.raw("</dd>\n")
	if v.From != "" {
		w.raw("<dt>Alert times</dt><dd>", v.From, " to ", v.To, " UTC (capture time)</dd>\n")
	}
	w.raw("<dt>Home</dt><dd>")
	if len(v.Home) == 0 {
		w.raw("no home country (private and special ranges are home)")
	}
	for i, h := range v.Home {
		if i > 0 {
			w.raw(", ")
		}
		w.text(h)
	}
	w.raw("</dd>\n<dt>GeoIP</dt><dd>")
	w.text(v.GeoDB)
	w.raw("</dd>\n")
	if v.Sensor != "" {
		w.raw("<dt>Sensor</dt><dd>")
		w.text(v.Sensor)
		w.raw("</dd>\n")
	}
	w.raw("<dt>Written</dt><dd>")
	w.text(v.Generated + " by borderwatch " + v.Version)
	w.raw(`</dd>
</dl>

<h2 id="map-h">Map</h2>
<section aria-labelledby="map-h">
<input type="radio" name="shade" id="by-alerts" checked><label for="by-alerts">Shade by inbound attack alerts</label>
<input type="radio" name="shade" id="by-traffic"><label for="by-traffic">Shade by traffic (packets in and out)</label>
<div class="mapwrap">`)
	w.writeMap(v.Map)
	w.raw(`</div>
<div class="legend"><span><span class="sw s0"></span> none</span><span><span class="sw s1"></span> few</span><span><span class="sw s3"></span></span><span><span class="sw s5"></span> most (log scale)</span><span><span class="sw home"></span> home</span><span>dashed lines: attack origin → home</span></div>
`)
	if len(v.NoShape) > 0 {
		w.raw(`<p class="note">Alerts from or to countries the map cannot draw (see the tables below): `)
		for i, c := range v.NoShape {
			if i > 0 {
				w.raw(", ")
			}
			w.text(c)
		}
		w.raw(".</p>\n")
	}
	w.raw("</section>\n\n<h2 id=\"tl-h\">Timeline</h2>\n")
	if len(v.ByKind.Bars) == 0 {
		w.raw("<p class=\"note\">No alerts.</p>\n")
	} else {
		for _, tl := range []struct {
			name string
			t    *Timeline
		}{{"Alerts by kind", &v.ByKind}, {"Alerts by remote country", &v.ByCountry}} {
			w.raw("<p>", tl.name, "</p>\n")
			w.writeTimeline(tl.t)
			w.raw(`<div class="axis"><span>`, v.From, "</span><span>", v.To, " UTC</span></div>\n")
		}
		if v.PointsLeft > 0 {
			w.raw(`<p class="note">`)
			num(v.PointsLeft)
			w.raw(" alerts are not in the timeline (it holds the first ", groupDigits(maxPoints), ").</p>\n")
		}
	}
	w.raw(`
<h2 id="traffic-h">Traffic by remote country</h2>
<table id="traffic">
<caption>Packets to and from each remote country (in: the remote end sent; out: home sent), with its alerts</caption>
<thead><tr><th scope="col">Country</th><th scope="col">Packets in</th><th scope="col">Packets out</th><th scope="col">Inbound alerts</th><th scope="col">Outbound alerts</th></tr></thead>
<tbody>`)
	for _, t := range v.Traffic {
		w.raw(`<tr id="traffic-`, t.Code, `"><th scope="row">`)
		if t.Name != "" {
			w.text(t.Name + " ")
		}
		w.raw("(", t.Code, `)</th><td class="n">`)
		num(t.In)
		w.raw(`</td><td class="n">`)
		num(t.Out)
		w.raw(`</td><td class="n">`)
		num(t.AlertsIn)
		w.raw(`</td><td class="n">`)
		num(t.AlertsOut)
		w.raw("</td></tr>\n")
	}
	w.raw("</tbody>\n</table>\n")
	if v.TrafficLeft > 0 {
		w.raw(`<p class="note">`, strconv.Itoa(v.TrafficLeft), " more countries are left out of this table.</p>\n")
	}
	w.raw(`
<h2 id="groups-h">Alerts by kind, rule and countries</h2>
<table id="groups">
<thead><tr><th scope="col">Kind</th><th scope="col">Rule</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Direction</th><th scope="col">Alerts</th><th scope="col">First</th><th scope="col">Last</th></tr></thead>
<tbody>`)
	for _, g := range v.Groups {
		w.raw("<tr><td>")
		w.text(g.Kind)
		w.raw("</td><td>", strconv.FormatUint(uint64(g.SignatureID), 10), " ")
		w.text(g.Signature)
		w.raw("</td><td>", g.SrcCountry, "</td><td>", g.DstCountry, "</td><td>")
		w.text(g.Direction)
		w.raw(`</td><td class="n">`)
		num(g.Alerts)
		w.raw("</td><td>", reportTime(g.First), "</td><td>", reportTime(g.Last), "</td></tr>\n")
	}
	if v.Other.Alerts > 0 {
		w.raw(`<tr><td colspan="5">other groups (the table holds `, strconv.Itoa(maxGroups), `)</td><td class="n">`)
		num(v.Other.Alerts)
		w.raw("</td><td>", reportTime(v.Other.First), "</td><td>", reportTime(v.Other.Last), "</td></tr>\n")
	}
	w.raw("</tbody>\n</table>\n\n<h2 id=\"alerts-h\">Alerts</h2>\n")
	if v.Left > 0 {
		w.raw(`<p class="note" id="rows-left">`)
		num(v.Left)
		w.raw(" alerts are not listed here: the report lists the first ", strconv.Itoa(v.MaxRows), " one by one; every alert is counted in the tables above.</p>\n")
	}
	w.raw(`<table id="alerts">
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Sev.</th><th scope="col">Kind</th><th scope="col">Rule</th><th scope="col">Source</th><th scope="col">Destination</th><th scope="col">Direction</th><th scope="col">Packets</th><th scope="col">Community ID</th></tr></thead>
<tbody>`)
	for _, r := range v.Rows {
		w.raw("<tr")
		w.attr("data-kind", r.Kind)
		w.raw(` data-src="`, r.SrcCountry, `"><td>`, reportTime(r.Time), `</td><td class="n">`, strconv.Itoa(r.Severity), "</td><td>")
		w.text(r.Kind)
		w.raw("</td><td>", strconv.FormatUint(uint64(r.SignatureID), 10), " ")
		w.text(r.Signature)
		w.raw("</td><td>")
		w.text(r.Src)
		w.raw(" ", r.SrcCountry, "</td><td>")
		w.text(r.Dst)
		w.raw(" ", r.DstCountry, "</td><td>")
		w.text(r.Direction)
		w.raw(`</td><td class="n">`)
		num(r.Packets)
		w.raw("</td><td><code>")
		w.text(r.CommunityID)
		w.raw("</code></td></tr>\n")
	}
	w.raw(`</tbody>
</table>
<footer><p>Map: Natural Earth (public domain) via world-atlas. Self-contained: no script, no network.</p></footer>
</body>
</html>
`)
	return w.String()
}

func (w *htmlWriter) writeTimeline(t *Timeline) {
	w.raw(`<svg class="timeline" viewBox="0 0 `, strconv.Itoa(t.Width), " ", strconv.Itoa(t.Height),
		`" role="img" aria-label="Stacked bars of alerts over capture time, highest bar `, strconv.FormatUint(t.Max, 10), `">`)
	for _, b := range t.Bars {
		for _, r := range b.Rects {
			w.raw(`<rect class="`, r.Class, `" x="`, strconv.Itoa(r.X), `" y="`, strconv.Itoa(r.Y), `" width="`, strconv.Itoa(r.W), `" height="`, strconv.Itoa(r.H), `"><title>`)
			w.text(r.Title)
			w.raw("</title></rect>")
		}
	}
	w.raw("</svg>\n<div class=\"legend\">")
	for _, s := range t.Series {
		w.raw(`<span><span class="sw `, s.Class, `"></span> `)
		w.text(s.Name)
		w.raw(" (", strconv.FormatUint(s.N, 10), ")</span>")
	}
	w.raw("</div>\n")
}
