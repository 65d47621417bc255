/* planlabor Sozialatlas: spatial selection and named area groups (issue 19, point 2).
   - draw a polygon (or a rectangle from two corners) by clicks on the map: the areas whose
     centroid lies inside join the selection; Enter or the button closes the shape, Escape stops;
   - keyboard alternative: pick an area by name from a list (combobox) and add it;
   - the permalink keeps the selection compact and bounded: up to 40 keys as "sel=", else a
     bitset over the layer's areas as "sb=" (one character per 6 areas); the drawn shape as
     "pg=" (at most 64 corners, 5 decimals);
   - internal view: save the selection as a named area group (POST api/gruppen with the
     session's CSRF token) and load a saved group into the selection.
   Called by atlas-analysis.js; no inline script (CSP). */
(function () {
  "use strict";
  var TEXTS = {
    de: { sd_draw: "Fläche zeichnen", sd_rect: "Rechteck zeichnen", sd_finish: "Fläche abschließen", sd_cancel: "Zeichnen abbrechen",
      sd_hint: "Klicken Sie Eckpunkte in die Karte; Eingabe schließt die Fläche, Escape bricht ab.",
      sd_rect_hint: "Klicken Sie zwei gegenüberliegende Ecken in die Karte.",
      sd_points: "{n} Eckpunkte gesetzt", sd_added: "{n} Gebiete in der gezeichneten Fläche ausgewählt",
      sp_pick: "Gebiet aus der Liste wählen", sp_add: "Hinzufügen", sp_unknown: "Kein Gebiet dieses Namens.",
      sg_title: "Gebietsgruppen", sg_name: "Name der Gebietsgruppe", sg_save: "Als Gebietsgruppe speichern",
      sg_saved: "Gebietsgruppe „{name}“ gespeichert ({n} Gebiete).", sg_load: "Gespeicherte Gruppe", sg_choose: "– Gruppe wählen –",
      sg_apply: "Gruppe auswählen", sg_loaded: "Gruppe „{name}“ ausgewählt ({n} Gebiete).", sg_replace: "Gleichnamige Gruppe ersetzen" },
    en: { sd_draw: "Draw an area", sd_rect: "Draw a rectangle", sd_finish: "Close the area", sd_cancel: "Stop drawing",
      sd_hint: "Click corners on the map; Enter closes the area, Escape stops.",
      sd_rect_hint: "Click two opposite corners on the map.",
      sd_points: "{n} corners set", sd_added: "{n} areas in the drawn area selected",
      sp_pick: "Pick an area from the list", sp_add: "Add", sp_unknown: "No area of this name.",
      sg_title: "Area groups", sg_name: "Name of the area group", sg_save: "Save as area group",
      sg_saved: "Area group “{name}” saved ({n} areas).", sg_load: "Saved group", sg_choose: "– choose a group –",
      sg_apply: "Select group", sg_loaded: "Group “{name}” selected ({n} areas).", sg_replace: "Replace a group of the same name" }
  };
  var MAX_KEYS = 40, MAX_CORNERS = 64, B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var D = { mode: null, pts: [], poly: null, status: "", groupStatus: "" }, session = null, groups = [], handler = null, pendingBits = null;
  var CENTROIDS = {};  // layer -> {id: [lon, lat]}

  function A() { return window.planlaborAtlas; }
  function N() { return window.planlaborAnalysis; }
  function $(id) { return document.getElementById(id); }
  function tt(k, vars) { var s = A().t(k); Object.keys(vars || {}).forEach(function (v) { s = s.replace("{" + v + "}", vars[v]); }); return s; }
  function st() { return A().state; }
  function areas() { return A().values[st().layer].areas; }

  // ------------------------------------------------------------------ permalink
  function bits(sel) { // the selection as a bitset over the layer's areas, 6 per character
    var ids = areas(), on = {}, out = "", i, c;
    sel.forEach(function (id) { on[id] = true; });
    for (i = 0; i < ids.length; i += 6) {
      c = 0;
      for (var b = 0; b < 6 && i + b < ids.length; b++) if (on[ids[i + b]]) c |= 1 << b;
      out += B64[c];
    }
    return out.replace(/A+$/, "");
  }
  function unbits(s) {
    var ids = areas(), out = [];
    for (var k = 0; k < s.length; k++) {
      var c = B64.indexOf(s[k]);
      for (var b = 0; b < 6; b++) if (c >= 0 && (c >> b) & 1 && ids[k * 6 + b] !== undefined) out.push(ids[k * 6 + b]);
    }
    return out;
  }
  function hashParts(sel) {
    var out = [];
    if (pendingBits !== null) out.push("sb=" + pendingBits);  // not decoded yet: kept as it came
    else if (sel.length > MAX_KEYS && A().values[st().layer]) out.push("sb=" + bits(sel));
    else if (sel.length) out.push("sel=" + sel.map(encodeURIComponent).join(","));
    if (D.poly) out.push("pg=" + D.poly.map(function (p) { return p[0].toFixed(5) + "~" + p[1].toFixed(5); }).join(","));
    return out;
  }
  function readKey(k, v) {
    if (k === "sb") { pendingBits = v; return true; }  // decoded when the layer's values are there
    if (k === "pg") {
      var pts = v.split(",").slice(0, MAX_CORNERS).map(function (e) { var p = e.split("~"); return [+p[0], +p[1]]; })
        .filter(function (p) { return isFinite(p[0]) && isFinite(p[1]) && Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90; });
      D.poly = pts.length >= 3 ? pts : null;
      return true;
    }
    return false;
  }
  function afterValues(S) { // the values of the layer arrived: a bitset from the permalink becomes keys
    var changed = false;
    if (pendingBits !== null && A().values[st().layer]) { S.sel = unbits(pendingBits); pendingBits = null; changed = true; }
    if (D.poly) drawShape(D.poly, true);
    return changed;
  }

  // ------------------------------------------------------------------ geometry
  function ringCentroid(r) {
    var a = 0, x = 0, y = 0;
    for (var i = 0, j = r.length - 1; i < r.length; j = i++) {
      var f = r[j][0] * r[i][1] - r[i][0] * r[j][1];
      a += f; x += (r[j][0] + r[i][0]) * f; y += (r[j][1] + r[i][1]) * f;
    }
    if (!a) return [r[0][0], r[0][1]];
    return [x / (3 * a), y / (3 * a)];
  }
  function centroidOf(g) { // of the largest outer ring (by vertex count as a cheap proxy)
    var rings = g.type === "Polygon" ? [g.coordinates[0]] : g.coordinates.map(function (p) { return p[0]; });
    rings.sort(function (a, b) { return b.length - a.length; });
    return ringCentroid(rings[0]);
  }
  function centroids() {
    var layer = st().layer;
    if (CENTROIDS[layer]) return Promise.resolve(CENTROIDS[layer]);
    return A().load("geo/" + layer).then(function (fc) {
      var c = {};
      fc.features.forEach(function (f) { if (f.geometry) c[f.properties.id] = centroidOf(f.geometry); });
      CENTROIDS[layer] = c;
      return c;
    });
  }
  function inside(p, poly) {
    var hit = false;
    for (var i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      if ((poly[i][1] > p[1]) !== (poly[j][1] > p[1]) && p[0] < (poly[j][0] - poly[i][0]) * (p[1] - poly[i][1]) / (poly[j][1] - poly[i][1]) + poly[i][0]) hit = !hit;
    }
    return hit;
  }
  function areasIn(poly) {
    return centroids().then(function (c) { return areas().filter(function (id) { return c[id] && inside(c[id], poly); }); });
  }

  // ------------------------------------------------------------------ drawing
  function drawShape(pts, closed) {
    var map = A().map(); if (!map) return;
    if (!A().mapLoaded()) { map.once("idle", function () { drawShape(pts, closed); }); return; }  // from a permalink
    var ring = closed && pts.length >= 3 ? pts.concat([pts[0]]) : pts;
    var data = { type: "FeatureCollection", features: ring.length >= 2 ? [{ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: ring } }] : [] };
    pts.forEach(function (p) { data.features.push({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: p } }); });
    if (map.getSource("sel-draw")) { map.getSource("sel-draw").setData(data); return; }
    map.addSource("sel-draw", { type: "geojson", data: data });
    map.addLayer({ id: "sel-draw-line", type: "line", source: "sel-draw", filter: ["==", ["geometry-type"], "LineString"],
      paint: { "line-color": "#1a1a1a", "line-width": 2, "line-dasharray": [3, 2] } });
    map.addLayer({ id: "sel-draw-pt", type: "circle", source: "sel-draw", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": "#fff", "circle-radius": 4, "circle-stroke-color": "#1a1a1a", "circle-stroke-width": 2 } });
  }
  function startDraw(mode) {
    var map = A().map(); if (!map) return;
    D.mode = mode; D.pts = []; D.poly = null; drawShape([], false);
    D.status = tt(mode === "rect" ? "sd_rect_hint" : "sd_hint"); D.groupStatus = "";
    if (!handler) {
      handler = function (e) { if (D.mode) addPoint([e.lngLat.lng, e.lngLat.lat]); };
      map.on("click", handler);
    }
    map.doubleClickZoom.disable();
    N().apply();
    $("map").focus();
  }
  function addPoint(p) {
    if (D.pts.length >= MAX_CORNERS) return;
    D.pts.push(p);
    if (D.mode === "rect" && D.pts.length === 2) {
      var a = D.pts[0], b = D.pts[1];
      D.pts = [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]];
      finish(); return;
    }
    drawShape(D.pts, false);
    var s = $("sd-status"); if (s) s.textContent = tt("sd_points", { n: D.pts.length });
  }
  function finish() {
    if (!D.mode) return;
    var pts = D.pts; D.mode = null; A().map().doubleClickZoom.enable();
    if (pts.length < 3) { D.pts = []; drawShape([], false); D.status = ""; N().apply(); return; }
    D.poly = pts; drawShape(pts, true);
    areasIn(pts).then(function (ids) {
      var S = N().state;
      ids.forEach(function (id) { if (S.sel.indexOf(id) < 0) S.sel.push(id); });
      D.status = tt("sd_added", { n: ids.length });
      window.__atlasDrawn = { areas: ids };
      N().apply();
    });
  }
  function cancel() {
    D.mode = null; D.pts = []; D.poly = null; D.status = "";
    if (A().map()) { A().map().doubleClickZoom.enable(); drawShape([], false); }
    N().apply();
  }
  function onKey(e) {
    if (!D.mode) return;
    if (e.key === "Enter") { e.preventDefault(); finish(); } else if (e.key === "Escape") { e.preventDefault(); cancel(); }
  }
  document.addEventListener("keydown", onKey);

  // ------------------------------------------------------------------ the controls
  function button(id, label, fn, pressed) {
    var b = A().el("button", { type: "button", id: id }, label);
    if (pressed !== undefined) b.setAttribute("aria-pressed", String(pressed));
    b.addEventListener("click", fn); return b;
  }
  function render(box) { // appended to the selection box by atlas-analysis.js
    var el = A().el, S = N().state;
    var draw = el("div", { "class": "sel-draw" });
    draw.appendChild(button("sd-draw", tt("sd_draw"), function () { startDraw("poly"); }, D.mode === "poly"));
    draw.appendChild(button("sd-rect", tt("sd_rect"), function () { startDraw("rect"); }, D.mode === "rect"));
    if (D.mode === "poly") draw.appendChild(button("sd-finish", tt("sd_finish"), finish));
    if (D.mode || D.poly) draw.appendChild(button("sd-cancel", tt("sd_cancel"), cancel));
    draw.appendChild(el("p", { id: "sd-status", "class": "hint", role: "status", "aria-live": "polite" }, D.status));
    box.appendChild(draw);
    // keyboard alternative: pick by name
    var pick = el("div", { "class": "frow sel-pick" });
    pick.appendChild(el("label", { "for": "sp-input" }, tt("sp_pick")));
    var inp = el("input", { id: "sp-input", type: "text", list: "area-list", autocomplete: "off" });  // atlas.js fills the list
    var add = button("sp-add", tt("sp_add"), function () { pickArea(inp); });
    inp.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); pickArea(inp); } });
    pick.appendChild(inp); pick.appendChild(add);
    box.appendChild(pick);
    if (session) renderGroups(box, S);
  }
  function pickArea(inp) {
    var v = A().values[st().layer], text = inp.value.trim(), m = /\(([^()]+)\)$/.exec(text), idx = -1;
    if (m) idx = v.areas.indexOf(m[1]);
    if (idx < 0) idx = v.names.indexOf(text);
    if (idx < 0) idx = v.areas.indexOf(text);
    if (idx < 0) { D.status = tt("sp_unknown"); N().apply(); $("sp-input").focus(); return; }
    var S = N().state;
    if (S.sel.indexOf(v.areas[idx]) < 0) S.sel.push(v.areas[idx]);
    D.status = ""; N().apply(); $("sp-input").focus();
  }

  // ------------------------------------------------------------------ named groups (internal)
  function renderGroups(box, S) {
    var el = A().el, fs = el("fieldset", { "class": "sel-groups" });
    fs.appendChild(el("legend", null, tt("sg_title")));
    var mine = groups.filter(function (g) { return g.layer === st().layer; });
    if (mine.length) {
      var sel = el("select", { id: "sg-list" });
      sel.appendChild(el("option", { value: "" }, tt("sg_choose")));
      mine.forEach(function (g) { sel.appendChild(el("option", { value: g.name }, g.name + " (" + g.areas + ")")); });
      fs.appendChild(field("sg-list", tt("sg_load"), sel));
      fs.appendChild(button("sg-apply", tt("sg_apply"), function () {
        var g = mine.filter(function (x) { return x.name === sel.value; })[0]; if (!g) return;
        S.sel = g.keys.filter(function (k) { return areas().indexOf(k) >= 0; });
        D.status = tt("sg_loaded", { name: g.name, n: S.sel.length }); N().apply();
      }));
    }
    if (session.role !== "viewer") {
      var name = el("input", { id: "sg-name", type: "text", maxlength: "80", autocomplete: "off" });
      fs.appendChild(field("sg-name", tt("sg_name"), name));
      var rep = el("input", { id: "sg-replace", type: "checkbox" });
      var w = el("div", { "class": "cb" }); w.appendChild(rep); w.appendChild(el("label", { "for": "sg-replace" }, tt("sg_replace"))); fs.appendChild(w);
      fs.appendChild(button("sg-save", tt("sg_save"), function () { saveGroup(name.value.trim(), rep.checked, S.sel.slice()); }));
    }
    fs.appendChild(el("p", { id: "sg-status", "class": "hint", role: "status", "aria-live": "polite" }, D.groupStatus || ""));
    box.appendChild(fs);
  }
  function field(id, label, control) {
    var d = A().el("div", { "class": "frow" }); d.appendChild(A().el("label", { "for": id }, label)); d.appendChild(control); return d;
  }
  function loadGroups() {
    return fetch("api/gruppen", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; })
      .then(function (g) { groups = g; }).catch(function () { groups = []; });
  }
  function saveGroup(name, replace, keys) {
    fetch("api/gruppen", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf },
      body: JSON.stringify({ name: name, raumebene: st().layer, gebiete: keys, ersetzen: replace }) })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.detail || ("HTTP " + r.status)); return j; }); })
      .then(function (g) { D.groupStatus = tt("sg_saved", { name: g.name, n: g.areas }); return loadGroups(); })
      .catch(function (e) { D.groupStatus = e.message; })
      .then(function () { N().apply(); });
  }
  function onSession(s) {
    session = s;
    loadGroups().then(function () { if (A().meta() && A().values[st().layer]) N().apply(); });
  }

  window.planlaborSelection = { hashParts: hashParts, readKey: readKey, afterValues: afterValues, render: render,
    onSession: onSession, drawing: function () { return !!D.mode; }, areasIn: areasIn,
    text: function (key, lang) { return (TEXTS[lang] || TEXTS.de)[key] || TEXTS.de[key] || null; } };
})();
