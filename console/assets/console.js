// borderwatch console: polls /api/snapshot, follows /api/stream. No
// library, no inline script (the page's CSP allows only this file).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  const maxFeed = 200;
  let snap = null, source = null, overlaysFilled = false, lastDrop = 0;
  const kindsSeen = new Set();
  const shapes = {};
  document.querySelectorAll("svg.map .country").forEach((p) => {
    shapes[p.dataset.cc] = { path: p, x: +p.dataset.cx, y: +p.dataset.cy, name: p.querySelector("title").textContent };
  });
  const markers = {};
  document.querySelectorAll("svg.map .marker").forEach((m) => { markers[m.dataset.cc] = m; });

  const fmt = (n) => (n >= 1e9 ? (n / 1e9).toFixed(1) + "G" : n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(Math.round(n * 10) / 10));
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // Shading: five classes on a log scale, as the report.
  function bucket(n, max) {
    if (!n || !max) return 0;
    if (max <= 1) return 5;
    const b = 1 + Math.round((4 * Math.log(Math.max(n, 1))) / Math.log(max));
    return Math.min(Math.max(b, 1), 5);
  }

  function render() {
    if (!snap) return;
    const measure = $("shade").value;
    const cs = snap.countries || {};
    let max = 0;
    for (const cc in cs) max = Math.max(max, cs[cc][measure] || 0);
    $("legend-max").textContent = max ? "(" + fmt(max) + ")" : "";
    const home = new Set(snap.home || []);
    const ov = $("overlay").value;
    const j = (snap.jurisdictions || []).find((x) => x.kind + ":" + x.name === ov);
    const outlined = new Set(j ? j.countries : []);
    for (const cc in shapes) {
      const s = shapes[cc], v = (cs[cc] || {})[measure] || 0, b = bucket(v, max);
      const cls = ["country"];
      if (b) cls.push("s" + b);
      if (home.has(cc)) cls.push("home");
      if (outlined.has(cc)) cls.push("overlay");
      s.path.setAttribute("class", cls.join(" "));
      s.path.querySelector("title").textContent = s.name + (home.has(cc) ? " — home" : "") + ": " + fmt(v) + " " + $("shade").selectedOptions[0].text;
      if (markers[cc]) markers[cc].setAttribute("class", "marker" + (b ? " s" + b : ""));
    }
    drawLinks(cs, home);
    renderTable(cs);
  }

  // Links from each attack origin (inbound alerts) to the first home country
  // on the map.
  function drawLinks(cs, home) {
    const g = $("links");
    while (g.firstChild) g.removeChild(g.firstChild);
    if (!$("show-links").checked) return;
    const h = [...home].map((c) => shapes[c]).find(Boolean);
    if (!h) return;
    for (const cc in cs) {
      const s = shapes[cc];
      if (!s || !cs[cc].alerts_in || home.has(cc)) continue;
      const l = document.createElementNS(SVGNS, "line");
      l.setAttribute("class", "link");
      l.setAttribute("x1", s.x); l.setAttribute("y1", s.y);
      l.setAttribute("x2", h.x); l.setAttribute("y2", h.y);
      const t = document.createElementNS(SVGNS, "title");
      t.textContent = s.name + " → home: " + cs[cc].alerts_in + " inbound alerts";
      l.appendChild(t);
      g.appendChild(l);
    }
  }

  const cols = ["alerts_in", "alerts_out", "packets_in", "packets_out", "bytes_in", "bytes_out", "pps_in", "pps_out"];
  function renderTable(cs) {
    $("traffic-source").textContent = snap.traffic_source === "kernel" ? "kernel counters" : snap.traffic_source === "pipeline" ? "pipeline packet counters, no bytes" : "no traffic counters";
    const body = $("country-table").tBodies[0];
    const codes = Object.keys(cs).sort((a, b) => (cs[b].alerts_in + cs[b].packets_in) - (cs[a].alerts_in + cs[a].packets_in) || a.localeCompare(b));
    const rows = [];
    for (const cc of codes) {
      const tr = el("tr", { id: "row-" + cc });
      const th = el("th", { scope: "row" }, (shapes[cc] ? shapes[cc].name + " " : "") + "(" + cc + ")");
      tr.appendChild(th);
      for (const c of cols) tr.appendChild(el("td", { class: c }, (c.startsWith("bytes") || c.startsWith("bps")) && !snap.bytes_known ? "–" : fmt(cs[cc][c] || 0)));
      rows.push(tr);
    }
    body.replaceChildren(...rows);
  }

  function kv(tbl, k, v, bad) {
    const tr = el("tr");
    tr.appendChild(el("th", { scope: "row" }, k));
    tr.appendChild(el("td", bad ? { class: "bad" } : {}, String(v)));
    tbl.appendChild(tr);
  }
  function box(title) {
    const s = el("section"), t = el("table");
    s.appendChild(el("h3", {}, title));
    s.appendChild(t);
    $("health-body").appendChild(s);
    return t;
  }
  const date = (t) => (!t || t.startsWith("0001") ? "–" : t.replace("T", " ").replace(/\.\d+/, ""));
  function renderHealth() {
    const h = snap.health;
    $("health-body").replaceChildren();
    let t = box("Capture");
    for (const c of h.capture || []) kv(t, c.source, fmt(c.frames) + " frames, " + c.dropped + " dropped, " + c.errors + " errors", c.dropped > 0);
    kv(t, "worker queue drops", h.queue_drops, h.queue_drops > 0);
    if (h.kernel) {
      if (h.kernel.error) kv(t, "kernel", h.kernel.error, true);
      else { kv(t, "kernel packets", fmt(h.kernel.packets)); kv(t, "ring buffer full", h.kernel.ringbuf_full, h.kernel.ringbuf_full > 0); kv(t, "handoff budget drops", h.kernel.budget_drop, h.kernel.budget_drop > 0); }
    }
    t = box("Outputs");
    if (!(h.outputs || []).length) kv(t, "standard output", "—");
    for (const o of h.outputs || []) kv(t, o.name + " (" + o.type + ")", (o.up ? "up" : "DOWN") + ", queue " + o.queue_depth + "/" + o.queue_capacity + ", " + o.errors + " errors, " + o.dropped + " dropped", !o.up || o.dropped > 0);
    t = box("Rules and GeoIP");
    kv(t, "rules loaded", h.rules.loaded + " since " + date(h.rules.since));
    kv(t, "GeoIP", h.geoip.database + ", built " + date(h.geoip.built) + ", loaded " + date(h.geoip.loaded));
    if (h.geoip.asn_database) kv(t, "ASN", h.geoip.asn_database + ", built " + date(h.geoip.asn_built));
    t = box("Console");
    kv(t, "streams", h.console.clients + " of " + h.console.max_clients);
    kv(t, "alerts dropped (slow clients)", h.console.client_drops, h.console.client_drops > 0);
    kv(t, "stalled streams closed", h.console.stalled_disconnects);
    $("attribution").textContent = h.geoip.attribution || "";
  }

  function fillOverlays() {
    if (overlaysFilled) return;
    overlaysFilled = true;
    for (const j of snap.jurisdictions || []) {
      $("overlay").appendChild(el("option", { value: j.kind + ":" + j.name }, j.name + (j.kind === "zone" ? " (your zone)" : "")));
    }
  }

  async function poll() {
    try {
      const r = await fetch("/api/snapshot", { cache: "no-store", credentials: "same-origin" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      snap = await r.json();
      fillOverlays();
      for (const k in snap.alerts_by_kind || {}) addKind(k);
      render();
      renderHealth();
    } catch (e) {
      setStatus(false, "snapshot: " + e.message);
    }
  }

  function addKind(k) {
    if (kindsSeen.has(k)) return;
    kindsSeen.add(k);
    $("f-kind").appendChild(el("option", { value: k }, k));
  }

  function setStatus(ok, text) {
    $("status").className = "status " + (ok ? "live" : "down");
    $("status").textContent = text;
  }

  function streamURL() {
    const q = new URLSearchParams({ recent: "100" });
    if ($("f-kind").value) q.set("kind", $("f-kind").value);
    const c = $("f-country").value.trim().toUpperCase();
    if (/^[A-Z]{2}$/.test(c)) q.set("country", c);
    if ($("f-dir").value) q.set("direction", $("f-dir").value);
    if ($("f-sev").value) q.set("min_severity", $("f-sev").value);
    return "/api/stream?" + q.toString();
  }

  function connect() {
    if (source) source.close();
    $("alerts").replaceChildren();
    lastDrop = 0;
    $("feed-note").textContent = "";
    source = new EventSource(streamURL());
    source.onopen = () => setStatus(true, "live");
    source.onerror = () => setStatus(false, "stream disconnected, retrying");
    source.addEventListener("alert", (ev) => {
      let a;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      addAlert(a);
    });
    source.addEventListener("dropped", (ev) => {
      const d = JSON.parse(ev.data).dropped;
      if (d > lastDrop) {
        lastDrop = d;
        $("feed-note").textContent = d + " alerts were not shown: this page read too slowly (see the alert log).";
      }
    });
  }

  function geoOf(a) {
    const c = (a.alert && a.alert.context && a.alert.context.geo) || {};
    return { dir: c.direction || "", src: (c.src && c.src.country_iso_code) || "", dst: (c.dest && c.dest.country_iso_code) || "" };
  }

  function addAlert(a) {
    const g = geoOf(a), al = a.alert || {}, kind = (al.metadata && al.metadata.kind && al.metadata.kind[0]) || (al.context && al.context.kind) || al.category || "";
    addKind(kind);
    const li = el("li", { "data-kind": kind, "data-src": g.src, "data-dst": g.dst });
    const b = el("button", { type: "button" });
    b.appendChild(el("span", { class: "sev sev" + al.severity }, "S" + al.severity));
    b.appendChild(el("span", { class: "kind" }, kind));
    b.appendChild(document.createTextNode(" " + (g.src || "??") + " → " + (g.dst || "??") + " " + g.dir));
    b.appendChild(el("span", { class: "meta" }, (a.timestamp || "") + " · " + (al.signature || "") + " · " + a.src_ip + " → " + a.dest_ip));
    b.addEventListener("click", () => showDetail(a, b));
    li.appendChild(b);
    const list = $("alerts");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > maxFeed) list.removeChild(list.lastChild);
  }

  function flatten(o, prefix, out) {
    for (const k in o) {
      const v = o[k], key = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
      else out.push([key, Array.isArray(v) ? JSON.stringify(v) : String(v)]);
    }
    return out;
  }

  function alertFile() {
    for (const o of (snap && snap.health.outputs) || []) if (o.type === "file") return o.name.replace(/^file:/, "");
    return "/var/log/borderwatch/alerts.json";
  }

  let returnFocus = null;
  function showDetail(a, from) {
    returnFocus = from;
    const dl = $("detail-fields");
    dl.replaceChildren();
    for (const [k, v] of flatten(a, "", [])) {
      dl.appendChild(el("dt", {}, k));
      dl.appendChild(el("dd", {}, v));
    }
    $("detail-cid").textContent = a.community_id || "–";
    const q = a.community_id ? 'select(.community_id == "' + a.community_id + '" and .alert.signature_id == ' + (a.alert || {}).signature_id + ")" : 'select(.timestamp == "' + a.timestamp + '")';
    $("detail-jq").value = "jq -c '" + q + "' " + alertFile();
    $("detail-json").textContent = JSON.stringify(a, null, 2);
    $("detail").hidden = false;
    $("detail-close").focus();
  }
  function closeDetail() {
    $("detail").hidden = true;
    if (returnFocus) returnFocus.focus();
  }

  function setView(table) {
    $("map-panel").hidden = table;
    $("table-panel").hidden = !table;
    $("view-map").setAttribute("aria-pressed", String(!table));
    $("view-table").setAttribute("aria-pressed", String(table));
  }

  $("view-map").addEventListener("click", () => setView(false));
  $("view-table").addEventListener("click", () => setView(true));
  $("detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("detail").hidden) closeDetail(); });
  for (const id of ["shade", "overlay", "show-links"]) $(id).addEventListener("change", render);
  for (const id of ["f-kind", "f-dir", "f-sev"]) $(id).addEventListener("change", connect);
  $("f-country").addEventListener("change", connect);
  for (const f of ["map-controls", "filters"]) $(f).addEventListener("submit", (e) => e.preventDefault());
  if (location.hash === "#table") setView(true);
  poll();
  setInterval(poll, 1000);
  connect();
})();
