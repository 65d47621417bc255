/* planlabor Sozialatlas: charts, filters and selection, facilities on the map (issue 19).
   Loaded before atlas.js and called by it; reaches the atlas through window.planlaborAtlas at call
   time. It only uses the values the atlas received: in the public view suppressed cells are null
   and stay out of every chart, filter and download. No framework, no inline script (CSP). */
(function () {
  "use strict";

  var TEXTS = {
    de: {
      view_charts: "Diagramme", filters: "Filter und Auswahl", facilities: "Einrichtungen", chart_kind: "Diagrammart",
      ch_histogram: "Verteilung", ch_scatter: "Zusammenhang", ch_ranking: "Rangfolge", ch_radar: "Profil",
      ch_change: "Veränderung", ch_csv: "Daten CSV", ch_xlsx: "Daten XLSX", ch_table: "Daten als Tabelle",
      f_ind: "Filter {n}: Indikator", f_min: "von", f_max: "bis", f_none: "– kein Filter –", f_classes: "Nur Klassen",
      f_typ: "Typ oder Klasse", f_typ_ind: "Typologie oder Klassen", f_all: "alle", f_count: "{n} von {m} Gebieten erfüllen die Filter", sel: "Auswahl",
      sel_hint: "Umschalt + Klick auf der Karte nimmt ein Gebiet in die Auswahl auf oder heraus.",
      sel_only: "Nur die Auswahl zeigen", sel_clear: "Auswahl leeren", sel_filtered: "Gefilterte Gebiete auswählen",
      sel_add: "Zur Auswahl hinzufügen", sel_remove: "Aus der Auswahl entfernen", sel_csv: "Auswahl als Gebietsgruppe (CSV)",
      sel_name: "Name der Gebietsgruppe", sel_empty: "Keine Gebiete ausgewählt.", sel_more: "… und {n} weitere (alle in der Tabelle und im CSV der Auswahl)",
      x_ind: "Indikator auf der x-Achse", base_period: "Vergleichszeitraum", change_map: "Veränderung auf der Karte zeigen",
      peer: "Vergleichsgruppe", peer_city: "Stadt (Durchschnitt der Gebiete)", no_area: "Wählen Sie ein Gebiet (Karte, Tabelle oder Suche), um sein Profil zu sehen.",
      mean: "Mittelwert der Gebiete", bins: "Gebiete", chart_keys: "Pfeiltasten wählen ein Element, Eingabe öffnet das Gebiet.",
      fac_here: "Einrichtungen in diesem Gebiet", internal_only: "nur intern", capacity: "Plätze", change: "Veränderung",
      too_few: "Zu wenige Werte für dieses Diagramm.", class_n: "Klasse {n}"
    },
    en: {
      view_charts: "Charts", filters: "Filters and selection", facilities: "Facilities", chart_kind: "Chart type",
      ch_histogram: "Distribution", ch_scatter: "Relationship", ch_ranking: "Ranking", ch_radar: "Profile",
      ch_change: "Change", ch_csv: "Data CSV", ch_xlsx: "Data XLSX", ch_table: "Data as table",
      f_ind: "Filter {n}: indicator", f_min: "from", f_max: "to", f_none: "– no filter –", f_classes: "Only classes",
      f_typ: "Type or class", f_typ_ind: "Typology or classes", f_all: "all", f_count: "{n} of {m} areas match the filters", sel: "Selection",
      sel_hint: "Shift + click on the map adds an area to the selection or removes it.",
      sel_only: "Show only the selection", sel_clear: "Clear selection", sel_filtered: "Select filtered areas",
      sel_add: "Add to selection", sel_remove: "Remove from selection", sel_csv: "Selection as area group (CSV)",
      sel_name: "Name of the area group", sel_empty: "No areas selected.", sel_more: "… and {n} more (all in the table and the selection CSV)",
      x_ind: "Indicator on the x axis", base_period: "Base period", change_map: "Show the change on the map",
      peer: "Peer group", peer_city: "City (mean of the areas)", no_area: "Choose an area (map, table or search) to see its profile.",
      mean: "Mean of the areas", bins: "areas", chart_keys: "Arrow keys pick an element, Enter opens the area.",
      fac_here: "Facilities in this area", internal_only: "internal only", capacity: "Places", change: "Change",
      too_few: "Too few values for this chart.", class_n: "Class {n}"
    }
  };
  var PUOR = ["#542788", "#8073ac", "#b2abd2", "#f7f7f7", "#fdb863", "#e08214", "#b35806"];
  var FAC_COLORS = ["#004f9f", "#b34700", "#1b7837", "#762a83", "#a40000", "#4a4a4a"];
  var S = { filters: [], cls: [], typ: null, typVal: "", sel: [], selOnly: false, chart: "histogram", x: null, p0: null,
            changeMap: false, fac: [] };
  var FAC = {}, POINTS = null, builtFor = null;  // FAC[layer]: {areas: [area per point], counts}

  function A() { return window.planlaborAtlas; }
  function SEL() { return window.planlaborSelection; }  // drawing, picking, groups: atlas-selection.js
  function $(id) { return document.getElementById(id); }
  function has(v) { return v !== null && v !== undefined && !isNaN(v); }
  function tt(key, vars) {
    var s = A().t(key);
    Object.keys(vars || {}).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
    return s;
  }
  function st() { return A().state; }
  function V() { return A().values[st().layer]; }
  function periodOf(ind) { // the shown period, else the latest before it, on the current layer
    var ps = (A().meta().indicators[ind] && A().meta().indicators[ind].layers[st().layer]) || [];
    if (!ps.length) return null;
    if (ps.indexOf(st().period) >= 0) return st().period;
    var before = ps.filter(function (p) { return p <= st().period; });
    return before.length ? before[before.length - 1] : ps[ps.length - 1];
  }
  function valsOf(ind, period) { return A().series(st().layer, ind, period || periodOf(ind)) || []; }
  function layerIndicators() {
    var M = A().meta();
    return Object.keys(M.indicators).filter(function (i) { return M.indicators[i].layers[st().layer]; });
  }
  function num(s) { if (s === "" || s === null || s === undefined) return null; var v = +String(s).replace(",", "."); return isNaN(v) ? null : v; }

  // ------------------------------------------------------------------ permalink
  function readKey(k, v) {
    if (k === "f") S.filters = v.split(",").slice(0, 3).map(function (e) { var p = e.split("~"); return { ind: p[0], min: num(p[1]), max: num(p[2]) }; });
    else if (k === "fc") S.cls = v.split(",").map(Number).filter(function (x) { return x > 0; });
    else if (k === "ty") { var p = v.split("~"); S.typ = p[0]; S.typVal = p[1] || ""; }
    else if (k === "sel") S.sel = v.split(",").filter(Boolean);
    else if (SEL() && SEL().readKey(k, v)) return;
    else if (k === "so") S.selOnly = v === "1";
    else if (k === "ch") S.chart = v;
    else if (k === "x") S.x = v;
    else if (k === "p0") S.p0 = v;
    else if (k === "cm") S.changeMap = v === "1";
    else if (k === "fac") S.fac = v.split(",").filter(Boolean);
  }
  function hashParts() {
    var out = [], fs = S.filters.filter(function (f) { return f.ind; });
    if (fs.length) out.push("f=" + fs.map(function (f) { return f.ind + "~" + (f.min === null ? "" : f.min) + "~" + (f.max === null ? "" : f.max); }).join(","));
    if (S.cls.length) out.push("fc=" + S.cls.join(","));
    if (S.typ && S.typVal !== "") out.push("ty=" + S.typ + "~" + encodeURIComponent(S.typVal));
    if (SEL()) out = out.concat(SEL().hashParts(S.sel));
    else if (S.sel.length) out.push("sel=" + S.sel.map(encodeURIComponent).join(","));
    if (S.selOnly) out.push("so=1");
    if (S.chart !== "histogram") out.push("ch=" + S.chart);
    if (S.x) out.push("x=" + S.x);
    if (S.p0) out.push("p0=" + S.p0);
    if (S.changeMap) out.push("cm=1");
    if (S.fac.length) out.push("fac=" + S.fac.join(","));
    return out;
  }

  // ------------------------------------------------------------------ filters and selection
  var passCache = null;
  function passList() {
    var v = V(), n = v.areas.length, ok = [], i, cls = A().classes();
    var cols = S.filters.filter(function (f) { return f.ind && (f.min !== null || f.max !== null) && A().meta().indicators[f.ind] && A().meta().indicators[f.ind].layers[st().layer]; })
      .map(function (f) { return { f: f, vals: valsOf(f.ind) }; });
    var typ = S.typ && S.typVal !== "" && A().meta().indicators[S.typ] ? valsOf(S.typ) : null;
    for (i = 0; i < n; i++) {
      var pass = true;
      cols.forEach(function (c) { var x = c.vals[i]; if (!has(x) || (c.f.min !== null && x < c.f.min) || (c.f.max !== null && x > c.f.max)) pass = false; });
      if (pass && S.cls.length && cls && S.cls.indexOf(cls.cls[i] + 1) < 0) pass = false;
      if (pass && typ && String(typ[i]) !== S.typVal) pass = false;
      if (pass && S.selOnly && S.sel.length && !selected(v.areas[i])) pass = false;
      ok.push(pass);
    }
    return ok;
  }
  // the selection is compared by identity and length (as selIndex below), not stringified: the key was
  // built for every area asked about, with thousands of selected keys that dominated a repaint
  function passAll() { // per area of the shown layer: true = passes the filters and the selection
    var key = passKey();
    if (!passCache || passCache.layer !== st().layer || passCache.key !== key || passCache.sel !== S.sel || passCache.nsel !== S.sel.length)
      passCache = { layer: st().layer, key: key, sel: S.sel, nsel: S.sel.length, ok: passList() };
    return passCache.ok;
  }
  function passes(i) { return passAll()[i]; }
  function passKey() { return JSON.stringify([S.filters, S.cls, S.typ, S.typVal, S.selOnly, st().ind, st().period, st().method, st().k, S.changeMap, S.p0]); }
  // membership via a Set, rebuilt when the selection array is replaced or grows/shrinks (every change
  // in this file and atlas-selection.js does one of these): thousands of selected Gemeinden made the
  // linear search per area the slowest part of a repaint
  var selIndex = { arr: null, len: -1, set: null };
  var SEL_LIST = 200;
  function selected(id) {
    if (selIndex.arr !== S.sel || selIndex.len !== S.sel.length) selIndex = { arr: S.sel, len: S.sel.length, set: new Set(S.sel) };
    return selIndex.set.has(id);
  }
  function toggleSelect(id) {
    var i = S.sel.indexOf(id);
    if (i >= 0) S.sel.splice(i, 1); else S.sel.push(id);
    apply();
  }
  function apply(recolor) { // repaint map, table, charts and the filter summary after a filter or selection change
    var t0 = performance.now();
    passCache = null; A().writeHash();
    if (recolor) A().paintMap(); else A().paintFilter();  // recolor: the map shows something else (change)
    A().renderTable();
    if (st().view === "charts") renderCharts();
    renderCount(); renderSelection();
    if (st().area && A().openProfile && !$("profile").hidden) profileExtras(A().areaIndex(st().layer, st().area));
    window.__atlasFiltered = { ms: performance.now() - t0, n: V().areas.length, shown: passCache ? passCache.ok.filter(Boolean).length : null };
  }
  function onAreaClick(id, e) {
    var sc = window.planlaborScenario;
    if (sc && e && e.lngLat && sc.onMapClick(e.lngLat)) return true;  // placing a planned facility
    if (SEL() && SEL().drawing()) return true;  // a corner of the drawn area (atlas-selection.js)
    var ev = e && e.originalEvent;
    if (!ev || !(ev.shiftKey || ev.ctrlKey || ev.metaKey)) return false;
    toggleSelect(id); return true;
  }
  function field(labelText, control) {
    var d = A().el("div", { "class": "frow" });
    d.appendChild(A().el("label", { "for": control.id }, labelText)); d.appendChild(control);
    return d;
  }
  function renderFilterUI() {
    var el = A().el, rows = $("filter-rows"), inds = layerIndicators(), M = A().meta();
    var key = st().layer + st().lang;
    if (builtFor !== key) {
      builtFor = key; rows.innerHTML = "";
      for (var n = 0; n < 3; n++) (function (n) {
        var f = S.filters[n] || { ind: "", min: null, max: null }; S.filters[n] = f;
        var box = el("div", { "class": "filter-row" });
        var sel = el("select", { id: "f-ind-" + n });
        sel.appendChild(el("option", { value: "" }, tt("f_none")));
        inds.forEach(function (i) { sel.appendChild(el("option", { value: i }, M.indicators[i].name)); });
        sel.value = f.ind && inds.indexOf(f.ind) >= 0 ? f.ind : "";
        box.appendChild(field(tt("f_ind", { n: n + 1 }), sel));
        var lo = el("input", { id: "f-min-" + n, type: "number", step: "any", inputmode: "decimal" }), hi = el("input", { id: "f-max-" + n, type: "number", step: "any", inputmode: "decimal" });
        lo.value = f.min === null ? "" : f.min; hi.value = f.max === null ? "" : f.max;
        var two = el("div", { "class": "two-inputs" }); two.appendChild(field(tt("f_min"), lo)); two.appendChild(field(tt("f_max"), hi));
        box.appendChild(two);
        sel.addEventListener("change", function () { f.ind = sel.value; if (!f.ind) { f.min = f.max = null; lo.value = hi.value = ""; } apply(); });
        // "input", not "change": a change fired by the blur of a click on a button of the selection box
        // re-rendered the box under the pointer, and the click was lost
        lo.addEventListener("input", function () { f.min = num(lo.value); apply(); });
        hi.addEventListener("input", function () { f.max = num(hi.value); apply(); });
        rows.appendChild(box);
      })(n);
      renderTypology();
    }
    renderClassFilter(); renderCount(); renderSelection();
  }
  function renderClassFilter() {
    var el = A().el, box = $("filter-classes"), c = A().classes(); box.innerHTML = "";
    if (!c) return;
    var fs = el("fieldset", { "class": "classes" }); fs.appendChild(el("legend", null, tt("f_classes")));
    for (var i = 1; i <= c.breaks.length + 1; i++) (function (i) {
      var id = "f-cls-" + i, cb = el("input", { type: "checkbox", id: id, value: String(i) });
      cb.checked = S.cls.indexOf(i) >= 0;
      cb.addEventListener("change", function () { S.cls = cb.checked ? S.cls.concat([i]) : S.cls.filter(function (x) { return x !== i; }); apply(); });
      var lab = el("label", { "for": id }); lab.appendChild(el("span", { "class": "swatch", style: "background:" + c.colors[i - 1], "aria-hidden": "true" }));
      lab.appendChild(document.createTextNode(" " + i));
      var w = el("span", { "class": "cb" }); w.appendChild(cb); w.appendChild(lab); fs.appendChild(w);
    })(i);
    box.appendChild(fs);
  }
  function typologies() { // categorical indicators of the layer (types, classes), few distinct codes
    var M = A().meta();
    return layerIndicators().filter(function (i) {
      var m = M.indicators[i];
      return /^typ/.test(i) || m.kind === "typ" || m.kind === "klasse" || /_klasse$/.test(i);
    });
  }
  function renderTypology() {
    var el = A().el, box = $("filter-typology"), M = A().meta(), typs = typologies(); box.innerHTML = "";
    if (!typs.length) return;
    if (typs.indexOf(S.typ) < 0) { S.typ = typs[0]; if (!S.typVal) S.typVal = ""; }
    var codes = Array.from(new Set(valsOf(S.typ).filter(has).map(String))).sort();
    if (typs.length > 1) {
      var which = el("select", { id: "f-typ-ind" });
      typs.forEach(function (i) { which.appendChild(el("option", { value: i }, M.indicators[i].name)); });
      which.value = S.typ;
      which.addEventListener("change", function () { S.typ = which.value; S.typVal = ""; renderTypology(); apply(); });
      box.appendChild(field(tt("f_typ_ind"), which));
    }
    var sel = el("select", { id: "f-typ" });
    sel.appendChild(el("option", { value: "" }, tt("f_all")));
    codes.forEach(function (c) { sel.appendChild(el("option", { value: c }, c)); });
    sel.value = S.typVal;
    sel.addEventListener("change", function () { S.typVal = sel.value; apply(); });
    box.appendChild(field(typs.length > 1 ? tt("f_typ") : tt("f_typ") + ": " + M.indicators[S.typ].name, sel));
  }
  function renderCount() {
    var n = V().areas.length, m = 0;
    for (var i = 0; i < n; i++) if (passes(i)) m++;
    $("filter-count").textContent = tt("f_count", { n: A().fmt(m, 0), m: A().fmt(n, 0) });
  }
  function renderSelection() {
    var el = A().el, box = $("selection-box"), v = V(); box.innerHTML = "";
    box.appendChild(el("h3", null, tt("sel") + " (" + S.sel.length + ")"));
    box.appendChild(el("p", { "class": "hint" }, tt("sel_hint")));
    var ul = el("ul", { "class": "sel-list", id: "sel-list" });
    // at most SEL_LIST entries with a remove button: thousands of Gemeinden would be thousands of buttons
    S.sel.slice(0, SEL_LIST).forEach(function (id) {
      var i = A().areaIndex(st().layer, id); if (i < 0) return;
      var li = el("li"); li.appendChild(document.createTextNode(v.names[i] + " "));
      var rm = el("button", { type: "button", "class": "linkish", "aria-label": tt("sel_remove") + ": " + v.names[i] }, "×");
      rm.addEventListener("click", function () { toggleSelect(id); });
      li.appendChild(rm); ul.appendChild(li);
    });
    if (!S.sel.length) box.appendChild(el("p", { "class": "hint" }, tt("sel_empty"))); else box.appendChild(ul);
    if (S.sel.length > SEL_LIST) box.appendChild(el("p", { "class": "hint" }, tt("sel_more", { n: A().fmt(S.sel.length - SEL_LIST, 0) })));
    var only = el("input", { type: "checkbox", id: "sel-only" }); only.checked = S.selOnly;
    only.addEventListener("change", function () { S.selOnly = only.checked; apply(); });
    var w = el("div", { "class": "cb" }); w.appendChild(only); w.appendChild(el("label", { "for": "sel-only" }, tt("sel_only"))); box.appendChild(w);
    var b1 = el("button", { type: "button", id: "sel-filtered" }, tt("sel_filtered"));
    b1.addEventListener("click", function () {
      var keep = S.selOnly; S.selOnly = false; passCache = null;
      var ok = passAll(), have = new Set(S.sel);  // the filters' result once, not per pushed key
      v.areas.forEach(function (id, i) { if (ok[i] && !have.has(id)) { have.add(id); S.sel.push(id); } });
      S.selOnly = keep; apply();
    });
    var b2 = el("button", { type: "button", id: "sel-clear" }, tt("sel_clear"));
    b2.addEventListener("click", function () { S.sel = []; S.selOnly = false; apply(); });
    var b3 = el("button", { type: "button", id: "sel-csv" }, tt("sel_csv"));
    b3.addEventListener("click", downloadGroup);
    [b1, b2, b3].forEach(function (b) { box.appendChild(b); });
    if (SEL()) SEL().render(box);
  }
  function downloadGroup() { // a named area group as a file reports and 'planlabor' commands can read
    var name = window.prompt(tt("sel_name"), "Auswahl") || "Auswahl", v = V(), q = function (s) { return '"' + String(s).replace(/"/g, '""') + '"'; };
    var lines = ["# Gebietsgruppe: " + name, "# Raumebene: " + A().layerMeta(st().layer).name, "Gruppe;Schluessel;Name"];
    S.sel.forEach(function (id) { var i = A().areaIndex(st().layer, id); if (i >= 0) lines.push([q(name), q(id), q(v.names[i])].join(";")); });
    A().save("gebietsgruppe_" + name.replace(/[^A-Za-z0-9ÄÖÜäöüß_-]+/g, "_") + ".csv", "text/csv;charset=utf-8", "\ufeff" + lines.join("\r\n") + "\r\n");
  }

  // ------------------------------------------------------------------ facilities
  function facTypes() { return A().meta().facility_types || []; }
  function facTypeName(id) { var ts = facTypes().filter(function (x) { return x.id === id; }); return ts.length ? ts[0].name : id; }
  function renderFacilityUI() {
    var el = A().el, sec = $("facilities"), box = $("fac-types"), types = facTypes();
    sec.hidden = !types.length; box.innerHTML = "";
    types.forEach(function (ft, k) {
      var id = "fac-" + ft.id, cb = el("input", { type: "checkbox", id: id, value: ft.id });
      cb.checked = S.fac.indexOf(ft.id) >= 0;
      cb.addEventListener("change", function () {
        S.fac = cb.checked ? S.fac.concat([ft.id]) : S.fac.filter(function (x) { return x !== ft.id; });
        A().writeHash(); syncFacilities();
      });
      var lab = el("label", { "for": id });
      lab.appendChild(el("span", { "class": "dot", style: "background:" + FAC_COLORS[k % FAC_COLORS.length], "aria-hidden": "true" }));
      lab.appendChild(document.createTextNode(" " + ft.name + " (" + A().fmt(ft.n, 0) + ")"));
      if (ft.internal) lab.appendChild(el("span", { "class": "internal-badge" }, tt("internal_only")));
      var w = el("div", { "class": "cb" }); w.appendChild(cb); w.appendChild(lab); box.appendChild(w);
    });
  }
  function facData() { // the points once, the area of each point per layer; counts per type and area
    var layer = st().layer;
    if (!S.fac.length || !facTypes().length) return Promise.resolve(null);
    if (FAC[layer] && POINTS) return Promise.resolve(FAC[layer]);
    var pts = POINTS ? Promise.resolve(POINTS) : A().load("facilities").then(function (d) { POINTS = d; return d; });
    return Promise.all([pts, A().load("facility_areas/" + layer)]).then(function (res) {
      var feats = res[0].features, where = res[1].areas, counts = {};
      feats.forEach(function (f, i) { var a = where[i], ty = f.properties.type; if (!a) return; counts[ty] = counts[ty] || {}; counts[ty][a] = (counts[ty][a] || 0) + 1; });
      FAC[layer] = { features: feats.filter(function (f) { return f.geometry; }), all: feats, areas: where, counts: counts };
      return FAC[layer];
    });
  }
  function syncFacilities() {
    return facData().then(function (d) {
      var map = A().map();
      if (!map || !A().mapLoaded()) return;
      var types = facTypes().map(function (x) { return x.id; });
      var shown = { type: "FeatureCollection", features: d ? d.features.filter(function (f) { return S.fac.indexOf(f.properties.type) >= 0; }) : [] };
      if (map.getSource("fac")) map.getSource("fac").setData(shown);
      else {
        map.addSource("fac", { type: "geojson", data: shown, cluster: true, clusterRadius: 36, clusterMaxZoom: 13 });
        map.addLayer({ id: "fac-cluster", type: "circle", source: "fac", filter: ["has", "point_count"], paint: {
          "circle-color": "#004f9f", "circle-opacity": 0.75, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5,
          "circle-radius": ["step", ["get", "point_count"], 9, 10, 13, 50, 18, 200, 24] } });
        var color = ["match", ["get", "type"]];
        types.forEach(function (ty, k) { color.push(ty, FAC_COLORS[k % FAC_COLORS.length]); });
        color.push("#1a1a1a");
        map.addLayer({ id: "fac-point", type: "circle", source: "fac", filter: ["!", ["has", "point_count"]], paint: {
          "circle-color": types.length ? color : "#1a1a1a", "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1.2 } });
        map.on("mousemove", "fac-point", function (e) { facTip(e.features[0].properties, e.point); });
        map.on("mousemove", "fac-cluster", function (e) { facTip({ cluster: e.features[0].properties.point_count }, e.point); });
        ["fac-point", "fac-cluster"].forEach(function (l) { map.on("mouseleave", l, function () { $("tooltip").hidden = true; }); });
        map.on("click", "fac-cluster", function (e) {
          map.easeTo({ center: e.features[0].geometry.coordinates, zoom: map.getZoom() + 2, duration: 0 });
        });
      }
      window.__atlasFacilities = { layer: st().layer, shown: shown.features.length, t: performance.now() };
      A().renderTable();
      if (st().area) profileExtras(A().areaIndex(st().layer, st().area));
    });
  }
  function facTip(p, pt) {
    var el = A().el, tip = $("tooltip"); tip.innerHTML = "";
    if (p.cluster) tip.appendChild(el("strong", null, A().fmt(p.cluster, 0) + " " + tt("facilities")));
    else {
      tip.appendChild(el("strong", null, p.name));
      tip.appendChild(el("div", null, facTypeName(p.type) + (has(p.capacity) && p.capacity !== null ? " · " + A().fmt(p.capacity, 0) + " " + tt("capacity") : "")));
      var attrs = typeof p.attributes === "string" ? JSON.parse(p.attributes) : p.attributes || {};
      Object.keys(attrs).slice(0, 5).forEach(function (k) { tip.appendChild(el("div", { "class": "source" }, k + ": " + attrs[k])); });
    }
    tip.style.left = (pt.x + 14) + "px"; tip.style.top = (pt.y + 14) + "px"; tip.hidden = false;
  }
  function tableColumns() {
    var d = FAC[st().layer]; if (!d) return [];
    return S.fac.map(function (ty) { return { label: facTypeName(ty), value: function (id) { return A().fmt((d.counts[ty] || {})[id] || 0, 0); } }; });
  }
  function tooltipLines(id) {
    var d = FAC[st().layer]; if (!d) return [];
    return S.fac.map(function (ty) { return facTypeName(ty) + ": " + A().fmt((d.counts[ty] || {})[id] || 0, 0); });
  }
  function profileExtras(idx) {
    var el = A().el, v = V(), id = v.areas[idx], box = $("profile-extras");
    if (!box) { box = el("div", { id: "profile-extras" }); $("profile-measures").after(box); }
    box.innerHTML = "";
    var b = el("button", { type: "button", id: "profile-select" }, selected(id) ? tt("sel_remove") : tt("sel_add"));
    b.addEventListener("click", function () { toggleSelect(id); });
    box.appendChild(b);
    var d = FAC[st().layer];
    if (!d || !S.fac.length) return;
    box.appendChild(el("h3", null, tt("fac_here")));
    var ul = el("ul", { id: "profile-facilities" });
    S.fac.forEach(function (ty) {
      var here = d.all.filter(function (f, i) { return f.properties.type === ty && d.areas[i] === id; });
      var li = el("li"); li.appendChild(el("b", null, facTypeName(ty) + ": " + A().fmt(here.length, 0)));
      if (here.length) li.appendChild(el("div", { "class": "source" }, here.slice(0, 12).map(function (f) { return f.properties.name; }).join(", ") + (here.length > 12 ? " …" : "")));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
  function onAreasLayer() { // the areas were redrawn (other layer): facilities on top again, counted anew
    var map = A().map();
    ["fac-cluster", "fac-point"].forEach(function (l) { if (map.getLayer(l)) map.moveLayer(l); });
    if (S.fac.length) syncFacilities();
    if (SEL()) SEL().afterValues(S);  // the drawn shape on top again
  }

  // ------------------------------------------------------------------ change map
  function changeValues() {
    var ind = st().ind, ps = A().meta().indicators[ind].layers[st().layer] || [];
    if (!S.p0 || ps.indexOf(S.p0) < 0 || S.p0 === st().period) return null;
    var a = valsOf(ind, S.p0), b = valsOf(ind, st().period);
    return b.map(function (x, i) { return has(x) && has(a[i]) ? Math.round((x - a[i]) * 1e6) / 1e6 : null; });
  }
  function divergingColors(c) {
    var lo = [c.min].concat(c.breaks), hi = c.breaks.concat([c.max]), m = Math.max(Math.abs(c.min), Math.abs(c.max)) || 1;
    return lo.map(function (l, i) { var mid = (l + hi[i]) / 2; return PUOR[Math.max(0, Math.min(6, Math.round((mid / m + 1) * 3)))]; });
  }
  function mapSeries() {
    if (!S.changeMap) return null;
    var d = changeValues(); if (!d) return null;
    var m = A().indMeta(st().ind);
    return { vals: d, colors: divergingColors, title: tt("change") + " " + m.name + (m.unit ? " (" + m.unit + ")" : "") + ", " + A().periodLabel(S.p0) + " → " + A().periodLabel(st().period) };
  }

  // exposed before atlas.js runs; the charts are drawn by atlas-charts.js
  window.planlaborAnalysis = {
    readKey: readKey, hashParts: hashParts, passes: passes, passAll: passAll, selected: selected, onAreaClick: onAreaClick,
    tooltipLines: tooltipLines, tableColumns: tableColumns, profileExtras: profileExtras, onAreasLayer: onAreasLayer, mapSeries: mapSeries,
    text: function (key, lang) {
      return (TEXTS[lang] || TEXTS.de)[key] || TEXTS.de[key] || (SEL() && SEL().text(key, lang)) ||
        (window.planlaborScenario ? window.planlaborScenario.text(key, lang) : null);
    },
    onSession: function (s) { if (window.planlaborScenario) window.planlaborScenario.onSession(s); if (SEL()) SEL().onSession(s); },
    afterRender: function () {
      passCache = null;
      if (SEL() && SEL().afterValues(S)) A().paintFilter();  // a selection from the permalink's bitset
      renderFilterUI(); renderFacilityUI(); if (S.fac.length) syncFacilities();
      if (window.planlaborScenario) window.planlaborScenario.afterRender();
    },
    renderCharts: function () { renderCharts(); }, state: S, toggleSelect: toggleSelect, apply: apply
  };
  function renderCharts() { window.planlaborCharts.render(S, { passes: passes, valsOf: valsOf, periodOf: periodOf, layerIndicators: layerIndicators,
    changeValues: changeValues, divergingColors: divergingColors, tt: tt, has: has, apply: apply, selected: selected }); }
})();
