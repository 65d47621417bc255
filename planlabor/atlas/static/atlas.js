/* planlabor Sozialatlas. One script for the server (data from api/atlas/…) and the static build
   (data from data/*.js, so that the atlas also opens from disk). No framework, no build step. */
(function () {
  "use strict";

  var modeTag = document.querySelector('meta[name="planlabor-mode"]');  // no inline script (CSP)
  var MODE = modeTag && modeTag.getAttribute("content") === "static" ? "static" : "server";

  // ------------------------------------------------------------------ texts
  var I18N = {
    de: {
      skip: "Zum Inhalt springen", views: "Ansichten", view_map: "Karte", view_table: "Tabelle",
      view_compare: "Vergleich", view_matrix: "Matrix", language: "Sprache", print: "Drucken",
      view_planning: "Planung", measures_all: "Maßnahmen", actionplan: "Aktionsplan UN-BRK", controlling: "Controlling: Soll und Ist",
      field: "Handlungsfeld", done: "umgesetzt", total: "gesamt", overdue: "überfällig", target: "Soll", actual: "Ist",
      status_light: "Ampel", trend: "Trend", areas_n: "Gebiete", runtime: "Laufzeit", theme_col: "Thema",
      selection: "Auswahl", theme: "Wählen Sie ein Fachthema", indicator: "Indikator", layer: "Raumebene",
      period: "Zeitraum", method: "Klassenbildung", classes: "Klassen", m_quantile: "Quantile",
      m_equal: "Gleiche Abstände", m_jenks: "Natürliche Brüche", search: "Gebiet suchen",
      search_ph: "Name oder Schlüssel", definition: "Definition", source: "Quelle", downloads: "Herunterladen",
      dl_hint: "Genau die angezeigten Werte, mit Definition und Quelle.", map_label: "Karte der Gebiete",
      filter: "Filtern", compare_empty: "Fügen Sie Gebiete aus dem Profil zum Vergleich hinzu.",
      add_compare: "Zum Vergleich hinzufügen", remove_compare: "Aus dem Vergleich entfernen",
      peers: "Ähnliche Gebiete vergleichen", measures: "Maßnahmen in diesem Gebiet",
      all_indicators: "Alle Indikatoren", area: "Gebiet", parent: "Obergebiet", city: "Gesamt", rank: "Rang",
      spine: "Einordnung", close: "Profil schließen", key: "Schlüssel", name: "Name", value: "Wert",
      cls: "Klasse", no_value: "keine Angabe", of: "von", with_value: "mit Wert", not_found: "Kein Gebiet gefunden", showing: "Karte zeigt", loading: "Lade Daten …",
      areas: "Gebiete", series: "Zeitreihe", range: "Spannweite", median: "Median", status_matrix: "Status",
      dynamics: "Dynamik",
      generated: "Stand", spine_label: "Wert {v}, Stadt {c}, Spannweite {min} bis {max}",
      internal: "Interne Ansicht", login: "Anmelden", logout: "Abmelden"
    },
    en: {
      skip: "Skip to content", views: "Views", view_map: "Map", view_table: "Table", view_compare: "Compare",
      view_matrix: "Matrix", language: "Language", print: "Print", selection: "Selection",
      view_planning: "Planning", measures_all: "Measures", actionplan: "Action plan (UN CRPD)", controlling: "Controlling: targets and actuals",
      field: "Field of action", done: "done", total: "total", overdue: "overdue", target: "Target", actual: "Actual",
      status_light: "Status", trend: "Trend", areas_n: "Areas", runtime: "Period", theme_col: "Theme",
      theme: "Choose a theme", indicator: "Indicator", layer: "Area level", period: "Period",
      method: "Classification", classes: "Classes", m_quantile: "Quantiles", m_equal: "Equal intervals",
      m_jenks: "Natural breaks", search: "Find area", search_ph: "Name or key", definition: "Definition",
      source: "Source", downloads: "Download", dl_hint: "Exactly the values shown, with definition and source.",
      map_label: "Map of the areas", filter: "Filter", compare_empty: "Add areas from the profile to compare them.",
      add_compare: "Add to comparison", remove_compare: "Remove from comparison", peers: "Compare with similar areas", measures: "Measures in this area", all_indicators: "All indicators",
      area: "Area", parent: "Parent", city: "Total", rank: "Rank", spine: "Position", close: "Close profile",
      key: "Key", name: "Name", value: "Value", cls: "Class", no_value: "no value", of: "of", with_value: "with a value", not_found: "No area found",
      showing: "Map shows", loading: "Loading data …", areas: "areas", series: "Time series", range: "Range",
      median: "Median", status_matrix: "Status", dynamics: "Dynamics",
      generated: "As of",
      spine_label: "Value {v}, city {c}, range {min} to {max}",
      internal: "Internal view", login: "Log in", logout: "Log out"
    }
  };

  var PALETTES = {
    hoch_ist_schlecht: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
    hoch_ist_gut: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
    neutral: ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"]
  };
  var NO_DATA = "#d0d0d0";

  var state = { theme: null, ind: null, layer: null, period: null, method: "quantile", k: 5,
                area: null, view: "map", compare: [], lang: "de" };
  var META = null, GEO = {}, TILES = {}, VALUES = {}, map = null, mapLoaded = false, shownLayer = null;
  var classes = null; // {breaks, colors, cls: [] per area}
  var callbacks = {};
  function X() { return window.planlaborAnalysis || null; }  // charts, filters, facilities (atlas-analysis.js)

  function t(key) { return (I18N[state.lang] || I18N.de)[key] || I18N.de[key] || (X() && X().text(key, state.lang)) || key; }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "class") e.className = attrs[k];
      else if (k === "style") e.style.cssText = attrs[k];  // CSSOM: allowed by the server's CSP
      else e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------------ data
  window.planlaborData = function (name, payload) {
    var cb = callbacks[name];
    if (cb) { delete callbacks[name]; cb(payload); }
  };
  function load(name) {
    if (MODE === "static") {
      return new Promise(function (resolve, reject) {
        callbacks[name] = resolve;
        var s = document.createElement("script");
        s.src = "data/" + name.replace("/", "_") + ".js";
        s.onerror = function () { reject(new Error("Daten fehlen: " + name)); };
        document.head.appendChild(s);
      });
    }
    return fetch("api/atlas/" + name, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status + " für " + name);
      return r.json();
    });
  }
  var pending = {};
  function loadOnce(name) { // one request per payload, however many parts of the page ask for it
    if (!pending[name]) pending[name] = load(name).catch(function (e) { delete pending[name]; throw e; });
    return pending[name];
  }
  function layerData(layer) {
    var jobs = [valuesOnly(layer)], raw = null;
    if (tiled(layer)) jobs.push(loadOnce("tiles/" + layer).then(function (ix) { TILES[layer] = ix; mark("planlabor-geo"); preloadTiles(layer); }));
    else if (!GEO[layer]) jobs.push(loadOnce("geo/" + layer).then(function (g) { raw = g; mark("planlabor-geo"); }));
    return Promise.all(jobs).then(function () {
      if (raw && !GEO[layer]) { GEO[layer] = decodeGeo(raw, VALUES[layer]); mark("planlabor-decoded"); }
    });
  }
  // Prebuilt vector tiles of a large layer's overview zooms (planlabor/atlas/tiles.py): "tiles/<layer>" is the
  // index, "tiles/<layer>/<z>" one zoom's tiles (base64 MVT), handed to MapLibre by the planlabor:// protocol.
  function tiled(layer) { var m = META && layerMeta(layer); return !!(m && m.tiles); }
  function tileProtocol(params) {
    var m = /^planlabor:\/\/([^/]+)\/(\d+)\/(\d+)\/(\d+)/.exec(params.url);
    if (!m) return Promise.reject(new Error("Unbekannte Kachel: " + params.url));
    mark("planlabor-tilereq");
    return loadOnce("tiles/" + m[1] + "/" + m[2]).then(function (p) {
      mark("planlabor-tiledata");
      var b64 = p.t[m[3] + "/" + m[4]];
      if (!b64) return { data: new ArrayBuffer(0) };
      var bin = atob(b64), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      if (!p.gz) return { data: bytes.buffer };
      // packed with gzip when built (planlabor/atlas/tiles.py): unpacked by the browser itself
      var raw = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(raw).arrayBuffer().then(function (buf) { return { data: buf }; });
    });
  }
  function geoOf(layer) { // the GeoJSON of a layer (a tiled layer loads it only when asked, e.g. for the download)
    if (GEO[layer]) return Promise.resolve(GEO[layer]);
    return valuesOnly(layer).then(function () { return loadOnce("geo/" + layer); }).then(function (raw) {
      GEO[layer] = GEO[layer] || decodeGeo(raw, VALUES[layer]); return GEO[layer];
    });
  }
  function valuesOnly(layer) {
    if (!layer || VALUES[layer]) return Promise.resolve();
    return loadOnce("values/" + layer).then(function (v) { VALUES[layer] = VALUES[layer] || expandIndex(v); mark("planlabor-index"); });
  }
  function expandIndex(v) { // a large layer's index written compactly (planlabor/atlas/large.py compact_index)
    if (v.ak !== undefined) {
      var before = "";
      v.areas = v.ak.split(",").map(function (p) { before = before.slice(0, parseInt(p[0], 36)) + p.slice(1); return before; });
      delete v.ak;
    }
    if (v.an !== undefined) { v.names = v.an.split("|"); delete v.an; }
    if (v.ap !== undefined) {
      v.parents = v.ap.map(function (p, i) { return typeof p === "number" ? v.areas[i].slice(0, p) : p; });
      delete v.ap;
    }
    return v;
  }
  // Large layers (planlabor/atlas/large.py, e.g. 10.978 Gemeinden): the values index has "parts"
  // (indicator -> periods) and every indicator x period is loaded on demand; the geometry comes
  // delta-encoded, coarse first and detailed from zoom "fine_zoom" on.
  function isLarge(layer) { return !!(VALUES[layer] && VALUES[layer].parts); }
  function part(layer, ind, period) {
    var v = VALUES[layer];
    if (!v || !v.parts || !v.parts[ind] || v.parts[ind].indexOf(period) < 0) return Promise.resolve();
    if (v.indicators[ind] && v.indicators[ind][period]) return Promise.resolve();
    return loadOnce("values/" + layer + "/" + ind + "/" + period).then(function (p) {
      var f = p.f || null;
      if (p.fd) { // one flag for most cells: "f" holds the exceptions ("" = no flag)
        var all = {};
        for (var i = 0; i < p.v.length; i++) {
          var k = String(i);
          if (f && k in f) { if (f[k]) all[k] = f[k]; } else if (p.v[i] !== null) all[k] = p.fd;
        }
        f = all;
      }
      v.indicators[ind] = v.indicators[ind] || {};
      v.indicators[ind][period] = f && Object.keys(f).length ? { v: p.v, f: f } : { v: p.v };
    });
  }
  function allParts(layer) {
    var v = VALUES[layer], jobs = [];
    if (!isLarge(layer)) return Promise.resolve();
    Object.keys(v.parts).forEach(function (ind) { v.parts[ind].forEach(function (p) { jobs.push(part(layer, ind, p)); }); });
    return Promise.all(jobs);
  }
  function neededParts(layer, chain) {
    // map and table need the shown indicator and period; profile, comparison, charts, matrix and
    // filters everything of the layer; the layers above the shown indicator's periods
    var jobs = [];
    chain.filter(isLarge).forEach(function (up) {
      (VALUES[up].parts[state.ind] || []).forEach(function (p) { jobs.push(part(up, state.ind, p)); });
    });
    if (!isLarge(layer)) return Promise.all(jobs);
    jobs.push(wantsAll() ? allParts(layer) : part(layer, state.ind, state.period));
    return Promise.all(jobs);
  }
  function wantsAll() { return !!(state.area || ["map", "table"].indexOf(state.view) < 0 || (X() && X().hashParts().length)); }
  function decodeGeo(raw, v) {
    if (raw.type !== "planlabor-delta") return raw;
    if (raw.n !== v.areas.length) throw new Error("Geometrie und Werte der Ebene " + raw.name + " passen nicht zusammen.");
    var q = raw.q, feats = [];
    function ring(d) {
      var out = [], x = 0, y = 0;
      for (var k = 0; k < d.length; k += 2) { x += d[k]; y += d[k + 1]; out.push([x / q, y / q]); }
      out.push(out[0]);
      return out;
    }
    raw.g.forEach(function (polys, i) {
      if (!polys) return;
      var c = polys.map(function (rings) { return rings.map(ring); });
      feats.push({ type: "Feature", id: v.areas[i], properties: { id: v.areas[i], name: v.names[i], parent: v.parents[i] },
        geometry: c.length === 1 ? { type: "Polygon", coordinates: c[0] } : { type: "MultiPolygon", coordinates: c } });
    });
    return { type: "FeatureCollection", name: raw.name, features: feats, fine_zoom: raw.fine_zoom };
  }
  var fine = {};  // per large layer: 1 while its detailed GeoJSON loads, 2 once GEO holds it
  function wantFine(layer) { var g = TILES[layer] || GEO[layer]; return !!(g && g.fine_zoom && map.getZoom() >= g.fine_zoom); }
  function fineGeometry() { // zoomed in to "fine_zoom": the detailed level; a tiled layer zoomed out again: its tiles
    var layer = shownLayer;
    if (!layer || !(TILES[layer] || GEO[layer])) return;
    var want = wantFine(layer);
    if (fine[layer] === 2) { if (TILES[layer] && shownTiles === want) switchSource(); return; }
    if (!want || fine[layer]) return;
    fine[layer] = 1;
    loadOnce("geofine/" + layer).then(function (raw) {
      GEO[layer] = decodeGeo(raw, VALUES[layer]); fine[layer] = 2;
      if (shownLayer !== layer) return;
      if (TILES[layer]) { fineGeometry(); return; }  // tiles -> GeoJSON, if still zoomed in
      map.getSource("areas").setData(GEO[layer]); painted = null; paintMap();
    }).catch(function (e) { fine[layer] = 0; announce(e.message); });
  }
  function switchSource() { // between a large layer's tiles and its detailed GeoJSON, keeping the view
    shownLayer = null; ensureMapLayer(true); paintMap();
  }

  // ------------------------------------------------------------------ formatting
  var fmtCache = {};
  function fmt(v, decimals) {
    if (v === null || v === undefined || isNaN(v)) return "";
    var key = state.lang + decimals;
    if (!fmtCache[key]) fmtCache[key] = new Intl.NumberFormat(state.lang === "en" ? "en-GB" : "de-DE",
      { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    return fmtCache[key].format(v).replace(/^[-\u2212](0([.,]0+)?)$/, "$1");  // no "-0,0"
  }
  function indMeta(id) { return META.indicators[id]; }
  function fmtInd(v, id) { return fmt(v, indMeta(id).decimals); }
  function flagSign(flag) { return flag && META.flags[flag] ? META.flags[flag].sign : ""; }
  function flagText(flag) { return flag && META.flags[flag] ? META.flags[flag].text : ""; }
  function dateLabel(iso) { // 2026-11-30T… → 30.11.2026 (English: 30 Nov 2026)
    var d = new Date(iso.slice(0, 10) + "T12:00:00Z");
    return state.lang === "en" ? d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" })
      : iso.slice(8, 10) + "." + iso.slice(5, 7) + "." + iso.slice(0, 4);
  }
  function unranked(ind) { var u = indMeta(ind).unit; return u === "Klasse" || u === "Code" || u === "Typ"; } // codes have no order
  function layerOne(id) { var m = layerMeta(id); return (m && (m.singular || m.name)) || id; }
  function periodLabel(p) { return (META.periods && META.periods[p]) || p; }
  function layerMeta(id) { for (var i = 0; i < META.layers.length; i++) if (META.layers[i].id === id) return META.layers[i]; return null; }

  function cell(layer, ind, period, idx) {
    var v = VALUES[layer] && VALUES[layer].indicators[ind] && VALUES[layer].indicators[ind][period];
    if (!v) return { v: null, f: null };
    return { v: v.v[idx], f: v.f ? v.f[String(idx)] || null : null };
  }
  function series(layer, ind, period) {
    var v = VALUES[layer] && VALUES[layer].indicators[ind] && VALUES[layer].indicators[ind][period];
    return v ? v.v : null;
  }
  var areaIdx = { areas: null, pos: null };  // key → position, for the areas array last asked about
  function areaIndex(layer, id) {
    var v = VALUES[layer]; if (!v) return -1;
    if (areaIdx.areas !== v.areas) {
      var pos = new Map(); v.areas.forEach(function (a, i) { if (!pos.has(a)) pos.set(a, i); });
      areaIdx = { areas: v.areas, pos: pos };
    }
    var i = areaIdx.pos.get(id); return i === undefined ? -1 : i;
  }

  // ------------------------------------------------------------------ classification
  function quantileBreaks(vals, k) {
    var s = vals.slice().sort(function (a, b) { return a - b; }), out = [];
    for (var i = 1; i < k; i++) {
      var h = (s.length - 1) * i / k, lo = Math.floor(h);
      out.push(s[lo] + (h - lo) * ((s[lo + 1] !== undefined ? s[lo + 1] : s[lo]) - s[lo]));
    }
    return out;
  }
  function equalBreaks(vals, k) {
    var min = Math.min.apply(null, vals), max = Math.max.apply(null, vals), out = [];
    for (var i = 1; i < k; i++) out.push(min + (max - min) * i / k);
    return out;
  }
  function jenksBreaks(vals, k) { // Fisher's exact optimal partition (Jenks natural breaks)
    var s = vals.slice().sort(function (a, b) { return a - b; }), n = s.length;
    if (n <= k) return s.slice(0, -1);
    var pre = [0], pre2 = [0];
    for (var i = 0; i < n; i++) { pre.push(pre[i] + s[i]); pre2.push(pre2[i] + s[i] * s[i]); }
    function ssd(a, b) { var m = b - a + 1, sum = pre[b + 1] - pre[a]; return pre2[b + 1] - pre2[a] - sum * sum / m; }
    var cost = [], back = [];
    for (var j = 0; j < n; j++) { cost.push([ssd(0, j)]); back.push([0]); }
    for (var c = 1; c < k; c++) {
      for (j = n - 1; j >= c; j--) {
        var best = Infinity, arg = c;
        for (var m = c; m <= j; m++) {
          var v = cost[m - 1][c - 1] + ssd(m, j);
          if (v < best) { best = v; arg = m; }
        }
        cost[j][c] = best; back[j][c] = arg;
      }
    }
    var out = [], end = n - 1;
    for (c = k - 1; c > 0; c--) { var st = back[end][c]; out.unshift(s[st - 1]); end = st - 1; }
    return out;
  }
  function classify(vals, method, k) {
    var present = vals.filter(function (v) { return v !== null && v !== undefined && !isNaN(v); });
    var distinct = new Set(present).size;  // was indexOf per value: quadratic, ~0.2 s for 10.978 Gemeinden
    k = Math.max(1, Math.min(k, distinct));
    var breaks = k <= 1 ? [] : method === "equal" ? equalBreaks(present, k)
      : method === "jenks" ? jenksBreaks(present, k) : quantileBreaks(present, k);
    breaks = breaks.filter(function (b, i, a) { return i === 0 || b > a[i - 1]; });
    var cls = vals.map(function (v) {
      if (v === null || v === undefined || isNaN(v)) return -1;
      for (var i = 0; i < breaks.length; i++) if (v <= breaks[i]) return i;
      return breaks.length;
    });
    return { breaks: breaks, cls: cls, min: Math.min.apply(null, present), max: Math.max.apply(null, present), n: present.length };
  }
  function colorsFor(ind, k) {
    var pal = PALETTES[indMeta(ind).polarity] || PALETTES.neutral, out = [];
    for (var i = 0; i < k; i++) out.push(pal[k === 1 ? 3 : Math.round(i * (pal.length - 1) / (k - 1))]);
    return out;
  }

  // ------------------------------------------------------------------ state and URL
  function readHash() {
    var h = location.hash.replace(/^#/, "");
    h.split("&").forEach(function (part) {
      var kv = part.split("="), k = kv[0], v = decodeURIComponent(kv[1] || "");
      if (!v) return;
      if (k === "t") state.theme = v; else if (k === "i") state.ind = v; else if (k === "l") state.layer = v;
      else if (k === "p") state.period = v; else if (k === "c") state.method = v; else if (k === "k") state.k = +v || 5;
      else if (k === "a") state.area = v; else if (k === "v") state.view = v; else if (k === "lang") state.lang = v;
      else if (k === "cmp") state.compare = v.split(",").filter(Boolean);
      else if (X()) X().readKey(k, v);
    });
  }
  function writeHash() {
    var parts = ["t=" + encodeURIComponent(state.theme), "i=" + state.ind, "l=" + state.layer, "p=" + state.period,
      "c=" + state.method, "k=" + state.k, "v=" + state.view];
    if (state.area) parts.push("a=" + encodeURIComponent(state.area));
    if (state.compare.length) parts.push("cmp=" + state.compare.map(encodeURIComponent).join(","));
    if (state.lang !== "de") parts.push("lang=" + state.lang);
    if (X()) parts = parts.concat(X().hashParts());
    history.replaceState(null, "", "#" + parts.join("&"));
  }
  function fixState() {
    var themes = META.themes;
    if (!themes.some(function (th) { return th.name === state.theme; })) state.theme = themes[0].name;
    var theme = themes.filter(function (th) { return th.name === state.theme; })[0];
    if (theme.indicators.indexOf(state.ind) < 0) {
      if (META.indicators[state.ind]) state.theme = META.indicators[state.ind].theme, theme = themes.filter(function (th) { return th.name === state.theme; })[0];
      else state.ind = theme.indicators[0];
    }
    var layers = Object.keys(indMeta(state.ind).layers);
    var ordered = META.layers.map(function (l) { return l.id; }).filter(function (l) { return layers.indexOf(l) >= 0; });
    if (ordered.indexOf(state.layer) < 0) state.layer = ordered[0];
    var periods = indMeta(state.ind).layers[state.layer];
    if (periods.indexOf(state.period) < 0) {
      var obs = periods.filter(function (p) { return p <= new Date().toISOString().slice(0, 10); });
      state.period = obs.length ? obs[obs.length - 1] : periods[periods.length - 1];
    }
    if (["quantile", "equal", "jenks"].indexOf(state.method) < 0) state.method = "quantile";
    state.k = Math.max(3, Math.min(7, state.k));
  }

  // ------------------------------------------------------------------ controls
  function fillSelect(sel, items, value) {
    sel.innerHTML = "";
    items.forEach(function (it) { var o = el("option", { value: it[0] }, it[1]); sel.appendChild(o); });
    sel.value = value;
  }
  function renderControls() {
    fillSelect($("theme"), META.themes.map(function (th) { return [th.name, th.name]; }), state.theme);
    var theme = META.themes.filter(function (th) { return th.name === state.theme; })[0];
    fillSelect($("indicator"), theme.indicators.map(function (i) { return [i, indMeta(i).name]; }), state.ind);
    var layers = indMeta(state.ind).layers;
    fillSelect($("layer"), META.layers.filter(function (l) { return layers[l.id]; }).map(function (l) {
      return [l.id, l.name]; }), state.layer);
    fillSelect($("period"), layers[state.layer].slice().reverse().map(function (p) { return [p, periodLabel(p)]; }), state.period);
    $("method").value = state.method; $("classes").value = String(state.k); $("lang").value = state.lang;
    var m = indMeta(state.ind);
    $("def-text").textContent = (m.description || m.name) + (m.harmonisation ? " Harmonisierung: " + m.harmonisation : "");
    $("def-source").textContent = m.source || "–";
  }
  function applyTexts() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach(function (e) { e.textContent = t(e.getAttribute("data-i18n")); });
    document.querySelectorAll("[data-i18n-aria]").forEach(function (e) { e.setAttribute("aria-label", t(e.getAttribute("data-i18n-aria"))); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (e) { e.setAttribute("placeholder", t(e.getAttribute("data-i18n-placeholder"))); });
    $("foot-text").textContent = META ? (META.title + " · " + t("generated") + " " + dateLabel(META.generated)) : "";
  }

  // ------------------------------------------------------------------ map
  function initMap() {
    // vector tiles are laid out by all of MapLibre's workers, GeoJSON by one: two even on two cores (default 1)
    if (META.layers.some(function (l) { return l.tiles; }) && maplibregl.getWorkerCount() < 2) maplibregl.setWorkerCount(2);
    map = new maplibregl.Map({
      container: "map",
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] },
      center: [13.4, 52.5], zoom: 9, attributionControl: false, dragRotate: false, pitchWithRotate: false,
      boxZoom: false,  // Umschalt + Klick wählt Gebiete aus (atlas-analysis.js), statt ein Zoomrechteck aufzuziehen
      fadeDuration: 0
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    if (META.basemap) { // a local basemap from the workspace folder basemap/, never from the internet
      map.on("load", function () {
        map.addSource("basemap", { type: "raster", tiles: [new URL(META.basemap.tiles, location.href).href.replace(/%7B/g, "{").replace(/%7D/g, "}")],
          tileSize: 256, minzoom: META.basemap.minzoom, maxzoom: META.basemap.maxzoom, attribution: META.basemap.attribution });
        map.addLayer({ id: "basemap", type: "raster", source: "basemap" }, map.getLayer("areas-fill") ? "areas-fill" : undefined);
      });
      map.addControl(new maplibregl.AttributionControl({ compact: true }), "bottom-right");
    }
    map.touchZoomRotate.disableRotation();
    map.on("load", function () { mapLoaded = true; mark("planlabor-mapload"); render(); });
    map.on("zoomend", fineGeometry);
    map.on("mousemove", "areas-fill", function (e) {
      var f = e.features[0]; if (!f) return;
      map.getCanvas().style.cursor = "pointer";
      showTooltip(keyOf(f), e.point);
    });
    map.on("mouseleave", "areas-fill", function () { map.getCanvas().style.cursor = ""; $("tooltip").hidden = true; });
    map.on("click", "areas-fill", function (e) {
      var f = e.features[0]; if (!f) return;
      var id = keyOf(f);
      if (X() && X().onAreaClick(id, e)) return;  // shift-click: spatial selection
      openProfile(id);
    });
  }
  function showTooltip(id, pt) {
    var idx = areaIndex(state.layer, id); if (idx < 0) return;
    var c = cell(state.layer, state.ind, state.period, idx), tip = $("tooltip");
    var txt = c.v === null ? (flagSign(c.f) || "–") + " " + (flagText(c.f) || t("no_value")) : fmtInd(c.v, state.ind) + " " + indMeta(state.ind).unit;
    tip.innerHTML = "";
    tip.appendChild(el("strong", null, VALUES[state.layer].names[idx]));
    tip.appendChild(el("div", null, indMeta(state.ind).name + ": " + txt));
    if (X()) X().tooltipLines(id).forEach(function (line) { tip.appendChild(el("div", null, line)); });
    tip.style.left = (pt.x + 14) + "px"; tip.style.top = (pt.y + 14) + "px"; tip.hidden = false;
  }
  function ensureMapLayer(keepView) {
    if (shownLayer === state.layer) return;
    ["areas-sel", "areas-fill"].forEach(function (id) { if (map.getLayer(id)) map.removeLayer(id); });
    if (map.getSource("areas")) map.removeSource("areas");
    var ix = TILES[state.layer];
    var b = ix ? [[ix.bounds[0], ix.bounds[1]], [ix.bounds[2], ix.bounds[3]]] : bounds(GEO[state.layer]);
    if (b && !keepView) map.fitBounds(b, { padding: 20, duration: 0 });  // before the source: no tiles for the old view
    shownTiles = !!(ix && !(fine[state.layer] === 2 && wantFine(state.layer)));  // zoomed in: the detailed GeoJSON
    if (shownTiles) addTileSource(ix); else addGeoSource();
    painted = null;
    var seen = {};  // for bench/: when the source's metadata is there, when the first tile is laid out
    map.on("sourcedata", function onData(e) {
      if (e.sourceId !== "areas") return;
      if (e.sourceDataType === "metadata" && !seen.m) { seen.m = true; mark("planlabor-indexed"); }
      if (e.tile && !seen.t) { seen.t = true; mark("planlabor-tile"); map.off("sourcedata", onData); }
    });
    map.addLayer(areaLayer({ id: "areas-fill", type: "fill", source: "areas", paint: {
      "fill-color": ["coalesce", ["feature-state", "color"], NO_DATA], "fill-outline-color": "#ffffff",
      "fill-opacity": ["case", ["boolean", ["feature-state", "out"], false], 0.15, META.basemap ? 0.7 : 0.85] } }));
    shownLayer = state.layer;
    fineGeometry();
    if (X()) X().onAreasLayer();
  }
  var shownTiles = false;  // the shown layer comes from prebuilt vector tiles (source layer "areas")
  function areaLayer(def) { if (shownTiles) def["source-layer"] = "areas"; return def; }
  // a tile's feature id is the area's position in VALUES[layer].areas plus one (planlabor/atlas/tiles.py)
  function featureOf(id, i) {
    if (!shownTiles) return { source: "areas", id: id };
    return { source: "areas", sourceLayer: "areas", id: (i === undefined ? areaIndex(state.layer, id) : i) + 1 };
  }
  function keyOf(f) { return shownTiles ? VALUES[state.layer].areas[f.id - 1] : f.properties.id; }
  function tileUrl(layer, ix) { // the server's tiles under their build's version (cached by the browser for a year)
    var u = new URL("api/atlas/tiles/" + layer + "/" + ix.version + "/{z}/{x}/{y}", location.href).href;
    return u.replace(/%7B/g, "{").replace(/%7D/g, "}");
  }
  function addTileSource(ix) {
    var byScript = MODE === "static" || !ix.version, url = byScript ? "planlabor://" + state.layer + "/{z}/{x}/{y}" : tileUrl(state.layer, ix);
    if (byScript && !tileProtocolAdded) { maplibregl.addProtocol("planlabor", tileProtocol); tileProtocolAdded = true; }
    map.addSource("areas", { type: "vector", tiles: [url], minzoom: ix.minzoom, maxzoom: ix.maxzoom, bounds: ix.bounds });
  }
  var tileProtocolAdded = false, preloaded = {};
  function preloadTiles(layer) { // the tiles the fitted view asks for first: loaded now, not when MapLibre asks
    var ix = TILES[layer], b = ix && map && ix.bounds, cam = b && map.cameraForBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 20 });
    if (!cam || shownLayer === layer) return;
    var z = Math.min(ix.maxzoom, Math.max(ix.minzoom, Math.floor(cam.zoom)));
    if (MODE === "static" || !ix.version) { loadOnce("tiles/" + layer + "/" + z).catch(function () { /* the protocol says it */ }); return; }
    if (preloaded[layer + "/" + z]) return;
    preloaded[layer + "/" + z] = true;
    (ix.tiles[String(z)] || []).forEach(function (xy) { // into the browser's cache, where MapLibre's request finds them
      fetch(tileUrl(layer, ix).replace("{z}/{x}/{y}", z + "/" + xy), { credentials: "same-origin" }).catch(function () { /* asked again by MapLibre */ });
    });
  }
  function addGeoSource() {    // tolerance 2 (default 0.375) and buffer 32 (default 128): MapLibre's worker simplifies and clips less
    // finely; the borders come from the fill's outline (no line layer of their own), the selection's
    // outline layer is added at the first selection: one line layer less to lay out before the first
    // paint (10.978 Gemeinden: first paint and indicator switch measured in docs/benchmarks.md)
    map.addSource("areas", { type: "geojson", data: GEO[state.layer], promoteId: "id", tolerance: 2, buffer: 32 });
  }
  function bounds(geo) {
    var minx = 180, miny = 90, maxx = -180, maxy = -90;
    function walk(c) { if (typeof c[0] === "number") { minx = Math.min(minx, c[0]); maxx = Math.max(maxx, c[0]); miny = Math.min(miny, c[1]); maxy = Math.max(maxy, c[1]); } else c.forEach(walk); }
    geo.features.forEach(function (f) { walk(f.geometry.coordinates); });
    return minx <= maxx ? [[minx, miny], [maxx, maxy]] : null;
  }
  function computeClasses() {
    var alt = X() ? X().mapSeries() : null;  // e.g. the change between two periods
    var vals = alt ? alt.vals : series(state.layer, state.ind, state.period) || [];
    classes = classify(vals, state.method, state.k);
    classes.colors = alt && alt.colors ? alt.colors(classes) : colorsFor(state.ind, classes.breaks.length + 1);
    classes.title = alt ? alt.title : null;
    return classes;
  }
  // Colours, filter and selection are feature states, set only for the areas whose state changed since
  // the last paint.  Measured against one data-driven ["match", ["get", "id"], …] expression per change
  // (docs/architektur.md): a changed data-driven paint property makes MapLibre lay out every tile
  // again in its worker, 5–7 s for the 10.978 Gemeinden against ~1 s for the feature states.
  var painted = null;  // per area the state last set: {color: [], out: [], sel: []}
  function filterState() { // per area: in the selection / outside the filters
    var ids = VALUES[state.layer].areas, ext = X(), sel = new Array(ids.length), out = new Array(ids.length);
    var ok = ext ? ext.passAll() : null;
    for (var i = 0; i < ids.length; i++) {
      sel[i] = ids[i] === state.area || (ext ? ext.selected(ids[i]) : false);
      out[i] = !!(ok && !ok[i]);
    }
    return { sel: sel, out: out };
  }
  function paintStates(colors) { // colors: per area, or null to keep the colours
    var ids = VALUES[state.layer].areas, fs = filterState(), n = 0;
    if (!painted || painted.sel.length !== ids.length) painted = { color: [], out: [], sel: [] };
    for (var i = 0; i < ids.length; i++) {
      var st = {}, any = false;
      if (colors && colors[i] !== painted.color[i]) { st.color = painted.color[i] = colors[i]; any = true; }
      if (fs.sel[i] !== painted.sel[i]) { st.sel = painted.sel[i] = fs.sel[i]; any = true; }
      if (fs.out[i] !== painted.out[i]) { st.out = painted.out[i] = fs.out[i]; any = true; }
      if (any) { map.setFeatureState(featureOf(ids[i], i), st); n++; }
      if (fs.sel[i] && !map.getLayer("areas-sel")) map.addLayer(areaLayer({ id: "areas-sel", type: "line", source: "areas", paint: {
        "line-color": "#1a1a1a", "line-width": ["case", ["boolean", ["feature-state", "sel"], false], 3, 0] } }));
    }
    return n;
  }
  function paintMap() {
    computeClasses();
    paintStates(classes.cls.map(function (c) { return c < 0 ? NO_DATA : classes.colors[c]; }));
    renderLegend();
  }
  function paintFilter() { // after a filter or selection change: only the areas whose state changed
    if (!painted || painted.sel.length !== VALUES[state.layer].areas.length) return paintMap();
    paintStates(null);
  }
  function areaState(id) { // what the map holds for one area (for tests): {color, out, sel}
    var s = map.getFeatureState(featureOf(id)) || {};
    return { color: s.color, out: !!s.out, sel: !!s.sel };
  }
  function renderLegend() {
    var m = indMeta(state.ind), ul = $("legend-items");
    $("legend-title").textContent = classes.title || m.name + (m.unit ? " (" + m.unit + ")" : "") + ", " + periodLabel(state.period);
    ul.innerHTML = "";
    var b = classes.breaks, counts = [];
    classes.cls.forEach(function (c) { counts[c + 1] = (counts[c + 1] || 0) + 1; });
    for (var i = 0; i <= b.length; i++) {
      var lo = i === 0 ? classes.min : b[i - 1], hi = i === b.length ? classes.max : b[i];
      var li = el("li");
      li.appendChild(el("span", { "class": "swatch", style: "background:" + classes.colors[i], "aria-hidden": "true" }));
      li.appendChild(el("span", null, (i === 0 ? "" : "> ") + fmtInd(lo, state.ind) + " – " + fmtInd(hi, state.ind) + " (" + (counts[i + 1] || 0) + ")"));
      ul.appendChild(li);
    }
    if (counts[0]) {
      var nd = el("li");
      nd.appendChild(el("span", { "class": "swatch", style: "background:" + NO_DATA, "aria-hidden": "true" }));
      nd.appendChild(el("span", null, t("no_value") + " (" + counts[0] + ")"));
      ul.appendChild(nd);
    }
  }

  // ------------------------------------------------------------------ table view
  var sortKey = "value", sortDir = -1;
  function renderTable() {
    var v = VALUES[state.layer], vals = series(state.layer, state.ind, state.period) || [], m = indMeta(state.ind);
    var ranks = rankOf(vals);
    var head = $("data-table").querySelector("thead tr"); head.innerHTML = "";
    [["id", t("key")], ["name", t("name")], ["value", t("value") + (m.unit ? " (" + m.unit + ")" : "")], ["cls", t("cls")], ["rank", t("rank")]].forEach(function (c) {
      var th = el("th", { scope: "col", "class": c[0] === "value" || c[0] === "rank" || c[0] === "cls" ? "num" : "",
        "aria-sort": sortKey === c[0] ? (sortDir > 0 ? "ascending" : "descending") : "none" });
      var btn = el("button", { type: "button" }, c[1]);
      btn.addEventListener("click", function () { sortDir = sortKey === c[0] ? -sortDir : 1; sortKey = c[0]; renderTable(); });
      th.appendChild(btn); head.appendChild(th);
    });
    var extra = X() ? X().tableColumns() : [];  // e.g. facilities per area
    extra.forEach(function (c) { head.appendChild(el("th", { scope: "col", "class": "num" }, c.label)); });
    var filter = $("table-filter").value.toLowerCase();
    var rows = v.areas.map(function (id, i) { return { i: i, id: id, name: v.names[i], value: vals[i], cls: classes ? classes.cls[i] + 1 : 0, rank: ranks[i] }; })
      .filter(function (r) { return !filter || r.name.toLowerCase().indexOf(filter) >= 0 || r.id.indexOf(filter) >= 0; })
      .filter(function (r) { return !X() || X().passes(r.i); });
    rows.sort(function (a, b) {
      var x = a[sortKey], y = b[sortKey];
      if (x === null || x === undefined) return 1; if (y === null || y === undefined) return -1;
      return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
    });
    var body = $("data-table").querySelector("tbody"); body.innerHTML = "";
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", null, r.id));
      var td = el("td"), b = el("button", { type: "button", "class": "linkish" }, r.name);
      b.addEventListener("click", function () { openProfile(r.id); });
      td.appendChild(b); tr.appendChild(td);
      var c = cell(state.layer, state.ind, state.period, r.i);
      tr.appendChild(el("td", { "class": "num", title: flagText(c.f) }, c.v === null ? flagSign(c.f) || "–" : fmtInd(c.v, state.ind)));
      tr.appendChild(el("td", { "class": "num" }, r.cls > 0 ? String(r.cls) : "–"));
      tr.appendChild(el("td", { "class": "num" }, r.rank && !unranked(state.ind) ? String(r.rank) : "–"));
      extra.forEach(function (c) { tr.appendChild(el("td", { "class": "num" }, c.value(r.id))); });
      body.appendChild(tr);
    });
    $("table-caption").textContent = m.name + ", " + layerMeta(state.layer).name + ", " + periodLabel(state.period) + " – " + rows.length + " " + t("areas");
  }
  function rankOf(vals) { // 1 = highest value, ties share the rank of the first
    var idx = vals.map(function (v, i) { return i; }).filter(function (i) { return vals[i] !== null && vals[i] !== undefined; });
    idx.sort(function (a, b) { return vals[b] - vals[a]; });
    var out = vals.map(function () { return null; });
    idx.forEach(function (i, r) { out[i] = r > 0 && vals[i] === vals[idx[r - 1]] ? out[idx[r - 1]] : r + 1; });
    return out;
  }

  // ------------------------------------------------------------------ profile
  function chainOf(layer) {
    var out = [], l = layerMeta(layer);
    while (l && l.parent && layerMeta(l.parent) && out.indexOf(l.parent) < 0) { out.push(l.parent); l = layerMeta(l.parent); }
    return out;
  }
  function openProfile(id) {
    state.area = id; writeHash();
    var chain = chainOf(state.layer);
    return Promise.all(chain.map(valuesOnly)).then(function () { return neededParts(state.layer, chain); }).then(function () {
      var wasHidden = $("profile").hidden;
      renderProfile();
      if (mapLoaded && shownLayer) { if (wasHidden) map.resize(); paintMap(); }
      $("profile").focus({ preventScroll: true });
    });
  }
  function periodFor(layer, ind) {
    var ps = META.indicators[ind].layers[layer]; if (!ps) return null;
    if (ps.indexOf(state.period) >= 0) return state.period;
    var before = ps.filter(function (p) { return p <= state.period; });
    return before.length ? before[before.length - 1] : ps[ps.length - 1];
  }
  function renderProfile() {
    var layer = state.layer, idx = areaIndex(layer, state.area), pane = $("profile");
    if (idx < 0) { pane.hidden = true; return; }
    var v = VALUES[layer], chain = chainOf(layer), parentLayer = chain[0], cityLayer = chain[chain.length - 1];
    var parentId = v.parents[idx], parentIdx = parentLayer ? areaIndex(parentLayer, parentId) : -1;
    var cityIdx = cityLayer && VALUES[cityLayer] && VALUES[cityLayer].areas.length === 1 ? 0 : -1;
    pane.hidden = false;
    $("profile-title").textContent = v.names[idx];
    $("profile-sub").textContent = layerOne(layer) + " " + state.area +
      (parentIdx >= 0 ? " · " + layerOne(parentLayer) + ": " + VALUES[parentLayer].names[parentIdx] : "");
    var inCmp = state.compare.indexOf(state.area) >= 0;
    $("profile-compare").textContent = inCmp ? t("remove_compare") : t("add_compare");
    // the current indicator: value, class, rank, series
    var cur = $("profile-current"); cur.innerHTML = "";
    var c = cell(layer, state.ind, state.period, idx), vals = series(layer, state.ind, state.period) || [];
    var rank = rankOf(vals)[idx], n = vals.filter(function (x) { return x !== null; }).length;
    var kpi = el("div", { "class": "kpi", id: "profile-kpi" });
    function box(label, value, extraId) { var d = el("div"); d.appendChild(el("span", null, label)); var b = el("b", extraId ? { id: extraId } : null, value); d.appendChild(b); kpi.appendChild(d); }
    box(indMeta(state.ind).name, c.v === null ? (flagSign(c.f) || "–") : fmtInd(c.v, state.ind) + " " + indMeta(state.ind).unit, "profile-value");
    box(t("rank"), rank && !unranked(state.ind) ? rank + " " + t("of") + " " + n : "–", "profile-rank");
    box(t("cls"), classes && classes.cls[idx] >= 0 ? String(classes.cls[idx] + 1) + " " + t("of") + " " + (classes.breaks.length + 1) : "–", "profile-class");
    cur.appendChild(kpi);
    $("profile-series").innerHTML = "";
    $("profile-series").appendChild(seriesChart(layer, idx, parentLayer, parentIdx, cityLayer, cityIdx));
    renderMeasures(layer, state.area);
    if (X()) X().profileExtras(idx);
    // all indicators of all themes; the comparison column is named after the real top area
    var topHead = $("profile-table").querySelector('[data-i18n="city"]');
    if (topHead) topHead.textContent = cityIdx >= 0 ? VALUES[cityLayer].names[0] : t("city");
    var body = $("profile-table").querySelector("tbody"); body.innerHTML = "";
    META.themes.forEach(function (th) {
      var rows = th.indicators.filter(function (i) { return META.indicators[i].layers[layer]; });
      if (!rows.length) return;
      var tr = el("tr", { "class": "theme-row" }); tr.appendChild(el("th", { colspan: "6", scope: "colgroup" }, th.name)); body.appendChild(tr);
      rows.forEach(function (ind) {
        var p = periodFor(layer, ind), a = cell(layer, ind, p, idx);
        var pv = parentIdx >= 0 ? cell(parentLayer, ind, periodFor(parentLayer, ind) === p ? p : null, parentIdx) : { v: null };
        var cv = cityIdx >= 0 ? cell(cityLayer, ind, p, 0) : { v: null };
        var all = series(layer, ind, p) || [], rk = rankOf(all)[idx];
        var row = el("tr", { "data-indicator": ind });
        var th2 = el("th", { scope: "row" }); th2.appendChild(document.createTextNode(META.indicators[ind].name));
        th2.appendChild(el("div", { "class": "source" }, periodLabel(p) + (META.indicators[ind].unit ? " · " + META.indicators[ind].unit : "")));
        row.appendChild(th2);
        row.appendChild(el("td", { "class": "num", title: flagText(a.f) }, a.v === null ? (flagSign(a.f) || "–") : fmtInd(a.v, ind)));
        row.appendChild(el("td", { "class": "num" }, pv.v === null ? "–" : fmtInd(pv.v, ind)));
        row.appendChild(el("td", { "class": "num" }, cv.v === null ? "–" : fmtInd(cv.v, ind)));
        row.appendChild(el("td", { "class": "num" }, rk && !unranked(ind) ? rk + "/" + all.filter(function (x) { return x !== null; }).length : "–"));
        var sp = el("td"); sp.appendChild(spine(all, a.v, cv.v, ind)); row.appendChild(sp);
        body.appendChild(row);
      });
    });
  }
  function renderMeasures(layer, id) { // registered measures in this area, with their effect estimate
    var box = $("profile-measures"); box.innerHTML = "";
    var here = (META.measures || []).filter(function (m) { return m.layer === layer && m.areas.indexOf(id) >= 0; });
    if (!here.length) return;
    box.appendChild(el("h3", null, t("measures")));
    var ul = el("ul", { "class": "measures" });
    here.forEach(function (m) {
      var li = el("li");
      li.appendChild(el("b", null, m.name));
      li.appendChild(el("div", { "class": "source" }, (m.theme ? m.theme + " · " : "") + (m.start || "?") + " – " + (m.end || "")));
      if (m.effect) { li.appendChild(el("p", null, m.effect.statement)); li.appendChild(el("p", { "class": "source" }, m.effect.verdict)); }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
  function svg(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function spine(all, value, city, ind) { // InstantAtlas-style spine: range, middle half, city line, area dot
    var vals = all.filter(function (x) { return x !== null && x !== undefined; }).sort(function (a, b) { return a - b; });
    var w = 110, h = 16, s = svg("svg", { height: h, role: "img", viewBox: "0 0 " + w + " " + h, preserveAspectRatio: "none" });
    if (!vals.length) return s;
    var min = vals[0], max = vals[vals.length - 1], q1 = vals[Math.floor((vals.length - 1) * 0.25)], q3 = vals[Math.floor((vals.length - 1) * 0.75)];
    var flip = META.indicators[ind].polarity === "hoch_ist_schlecht";
    function x(v) { var r = max > min ? (v - min) / (max - min) : 0.5; return 4 + (flip ? 1 - r : r) * (w - 8); }
    s.setAttribute("aria-label", t("spine_label").replace("{v}", value === null ? "–" : fmtInd(value, ind))
      .replace("{c}", city === null ? "–" : fmtInd(city, ind)).replace("{min}", fmtInd(min, ind)).replace("{max}", fmtInd(max, ind)));
    s.appendChild(svg("rect", { x: 4, y: 5, width: w - 8, height: 6, fill: "#dde3ea" }));
    s.appendChild(svg("rect", { x: Math.min(x(q1), x(q3)), y: 5, width: Math.abs(x(q3) - x(q1)), height: 6, fill: "#9fb3c8" }));
    if (city !== null && city !== undefined) s.appendChild(svg("line", { x1: x(city), x2: x(city), y1: 1, y2: 15, stroke: "#1a1a1a", "stroke-width": 2 }));
    if (value !== null && value !== undefined) s.appendChild(svg("circle", { cx: x(value), cy: 8, r: 4, fill: "#b34700", stroke: "#fff" }));
    return s;
  }
  function seriesChart(layer, idx, parentLayer, parentIdx, cityLayer, cityIdx) {
    var ind = state.ind, periods = META.indicators[ind].layers[layer] || [];
    var lines = [{ label: VALUES[layer].names[idx], layer: layer, i: idx, color: "#b34700" }];
    // a count of the area is not comparable with the city's total on one axis (it would be a flat line)
    var count = indMeta(ind).kind === "anzahl";
    if (parentIdx >= 0 && !count) lines.push({ label: VALUES[parentLayer].names[parentIdx], layer: parentLayer, i: parentIdx, color: "#004f9f" });
    if (cityIdx >= 0 && cityLayer !== parentLayer && !count) lines.push({ label: VALUES[cityLayer].names[0], layer: cityLayer, i: 0, color: "#4a4a4a" });
    var w = 420, h = 150, L = 52, R = 10, T = 10, B = 34, pts = [];
    lines.forEach(function (ln) { ln.pts = periods.map(function (p) { return cell(ln.layer, ind, p, ln.i).v; }); pts = pts.concat(ln.pts.filter(function (v) { return v !== null; })); });
    var fig = el("figure", { "class": "series" });
    fig.appendChild(el("figcaption", null, t("series") + ": " + indMeta(ind).name));
    if (!pts.length || periods.length < 2) return fig;
    var min = Math.min.apply(null, pts), max = Math.max.apply(null, pts); if (max === min) { max += 1; min -= 1; }
    L = 10 + 6.2 * Math.max.apply(null, [min, (min + max) / 2, max].map(function (v) { return fmtInd(v, ind).length; }));
    var s = svg("svg", { viewBox: "0 0 " + w + " " + h, width: "100%", role: "img",
      "aria-label": t("series") + " " + indMeta(ind).name + ": " + lines.map(function (ln) { return ln.label; }).join(", ") });
    function X(i) { return L + i * (w - L - R) / (periods.length - 1); }
    function Y(v) { return T + (1 - (v - min) / (max - min)) * (h - T - B); }
    [min, (min + max) / 2, max].forEach(function (v) {
      s.appendChild(svg("line", { x1: L, x2: w - R, y1: Y(v), y2: Y(v), stroke: "#e3e7ec" }));
      var tx = svg("text", { x: L - 4, y: Y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#4a4a4a" }); tx.textContent = fmtInd(v, ind); s.appendChild(tx);
    });
    [0, periods.length - 1].forEach(function (i) {
      var tx = svg("text", { x: X(i), y: h - 18, "text-anchor": i ? "end" : "start", "font-size": 10, fill: "#4a4a4a" }); tx.textContent = periodLabel(periods[i]); s.appendChild(tx);
    });
    lines.forEach(function (ln, k) {
      var d = "", started = false;
      ln.pts.forEach(function (v, i) { if (v === null) { started = false; return; } d += (started ? "L" : "M") + X(i).toFixed(1) + " " + Y(v).toFixed(1); started = true; });
      s.appendChild(svg("path", { d: d, fill: "none", stroke: ln.color, "stroke-width": k ? 1.5 : 2.5 }));
      var lg = svg("text", { x: 4 + k * 138, y: h - 4, "font-size": 10, fill: ln.color }); lg.textContent = "■ " + ln.label; s.appendChild(lg);
    });
    fig.appendChild(s);
    return fig;
  }

  // ------------------------------------------------------------------ comparison and matrix
  function renderCompare() {
    var tbl = $("compare-table"), head = tbl.querySelector("thead"), body = tbl.querySelector("tbody");
    head.innerHTML = ""; body.innerHTML = "";
    var ids = state.compare.filter(function (a) { return areaIndex(state.layer, a) >= 0; });
    $("compare-empty").hidden = ids.length > 0; tbl.hidden = !ids.length;
    if (!ids.length) return;
    var tr = el("tr"); tr.appendChild(el("th", { scope: "col" }, t("indicator")));
    ids.forEach(function (a) {
      var th = el("th", { scope: "col", "class": "num" }, VALUES[state.layer].names[areaIndex(state.layer, a)]);
      var rm = el("button", { type: "button", "class": "linkish", "aria-label": t("remove_compare") }, " ×");
      rm.addEventListener("click", function () { state.compare = state.compare.filter(function (x) { return x !== a; }); writeHash(); renderCompare(); });
      th.appendChild(rm); tr.appendChild(th);
    });
    head.appendChild(tr);
    var theme = META.themes.filter(function (th) { return th.name === state.theme; })[0];
    theme.indicators.filter(function (i) { return META.indicators[i].layers[state.layer]; }).forEach(function (ind) {
      var p = periodFor(state.layer, ind), row = el("tr");
      row.appendChild(el("th", { scope: "row" }, META.indicators[ind].name + " (" + periodLabel(p) + ")"));
      ids.forEach(function (a) { var c = cell(state.layer, ind, p, areaIndex(state.layer, a)); row.appendChild(el("td", { "class": "num" }, c.v === null ? (flagSign(c.f) || "–") : fmtInd(c.v, ind))); });
      body.appendChild(row);
    });
    $("compare-caption").textContent = t("view_compare") + ": " + state.theme + ", " + layerMeta(state.layer).name;
  }
  function hasPlanning() {
    return (META.measures || []).length > 0 || !!META.actionplan || (META.controlling || []).length > 0;
  }
  function table(headers, rows, caption) {
    var tbl = el("table", { "class": "data" });
    if (caption) tbl.appendChild(el("caption", null, caption));
    var tr = el("tr"); headers.forEach(function (h) { tr.appendChild(el("th", { scope: "col" }, h)); });
    var head = el("thead"); head.appendChild(tr); tbl.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (r) { var row = el("tr"); r.forEach(function (c) { row.appendChild(el("td", null, c === null || c === undefined ? "–" : String(c))); }); body.appendChild(row); });
    tbl.appendChild(body);
    return tbl;
  }
  function renderPlanning() { // measures with their effect, the action plan's progress, Soll/Ist (internal)
    var box = $("planning"); box.innerHTML = "";
    var ms = META.measures || [];
    if (ms.length) {
      box.appendChild(el("h3", null, t("measures_all")));
      box.appendChild(table([t("measures_all"), t("theme_col"), t("areas_n"), t("runtime"), ""], ms.map(function (m) {
        return [m.name, m.theme, m.areas.length + " (" + m.layer + ")", (m.start || "?") + " – " + (m.end || ""), m.effect ? m.effect.statement : ""];
      })));
    }
    var ap = META.actionplan;
    if (ap) {
      box.appendChild(el("h3", null, t("actionplan")));
      box.appendChild(el("p", null, ap.items + " · " + fmt(ap.share_done, 1) + " % " + t("done") + " · " + ap.overdue.length + " " + t("overdue")));
      box.appendChild(table([t("field"), t("done"), t("total"), t("overdue")], ap.fields.map(function (f) {
        return [f.handlungsfeld, f.umgesetzt, f.gesamt, f.ueberfaellig];
      })));
    }
    var ct = META.controlling || [];
    if (ct.length) {
      var words = { gruen: "● im Soll", gelb: "● Toleranz", rot: "● verfehlt", offen: "○ offen" };
      box.appendChild(el("h3", null, t("controlling")));
      box.appendChild(table(["", "", "", t("target"), t("actual"), t("status_light"), t("trend")], ct.map(function (c) {
        return [c.product, c.kennzahl, c.period, fmt(c.soll, 0), c.ist === null ? "–" : fmt(c.ist, 0), words[c.ampel], c.trend];
      })));
    }
  }
  function matrices() {
    return (META.matrices || []).filter(function (m) { return m.layer === state.layer && META.indicators[m.id]; });
  }
  function matrixIndicators() { return matrices().map(function (m) { return m.id; }); }
  function renderMatrix() { // status classes (rows) × dynamics classes (columns), areas per cell
    var tbl = $("matrix-table"), head = tbl.querySelector("thead"), body = tbl.querySelector("tbody");
    head.innerHTML = ""; body.innerHTML = "";
    var list = $("matrix-areas"); if (list) list.remove();
    var mx = matrices()[0]; if (!mx) return;
    var p = periodFor(state.layer, mx.id), rows = series(state.layer, mx.rows.indicator, p) || [],
        cols = series(state.layer, mx.cols.indicator, p) || [], names = VALUES[state.layer].names, ids = VALUES[state.layer].areas;
    var tr = el("tr"); tr.appendChild(el("th", { scope: "col" }, mx.rows.name + " \u2193 / " + mx.cols.name + " \u2192"));
    mx.cols.classes.forEach(function (c) { tr.appendChild(el("th", { scope: "col", "class": "num" }, c[1] + (c[2] ? " (" + c[2] + ")" : ""))); });
    head.appendChild(tr);
    mx.rows.classes.forEach(function (r) {
      var row = el("tr"); row.appendChild(el("th", { scope: "row" }, r[0] + " " + r[1]));
      mx.cols.classes.forEach(function (c) {
        var members = ids.map(function (id, i) { return i; }).filter(function (i) { return rows[i] === r[0] && cols[i] === c[0]; });
        var td = el("td", { "class": "num" });
        var b = el("button", { type: "button", "class": "linkish", "data-cell": r[0] + "" + c[0],
          "aria-label": r[1] + ", " + c[1] + ": " + members.length + " " + t("areas") }, String(members.length));
        b.addEventListener("click", function () {
          var old = $("matrix-areas"); if (old) old.remove();
          var box = el("div", { id: "matrix-areas" });
          box.appendChild(el("h3", null, r[1] + " × " + c[1] + " (" + members.length + ")"));
          var ul = el("ul");
          members.forEach(function (i) { var li = el("li"), a = el("button", { type: "button", "class": "linkish" }, names[i] + " (" + ids[i] + ")");
            a.addEventListener("click", function () { openProfile(ids[i]); }); li.appendChild(a); ul.appendChild(li); });
          box.appendChild(ul); $("view-matrix").appendChild(box);
        });
        td.appendChild(b); row.appendChild(td);
      });
      body.appendChild(row);
    });
    $("matrix-caption").textContent = mx.name + ", " + layerMeta(state.layer).name + ", " + periodLabel(p);
  }

  // ------------------------------------------------------------------ downloads
  function shownRows() {
    var v = VALUES[state.layer], rows = [];
    v.areas.forEach(function (id, i) { var c = cell(state.layer, state.ind, state.period, i); rows.push({ id: id, name: v.names[i], v: c.v, f: c.f }); });
    return rows;
  }
  function save(name, type, text) {
    var blob = new Blob([text], { type: type }), a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a); a.click(); setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }
  function fileBase() { return state.ind + "_" + state.layer + "_" + state.period; }
  function downloadCsv() {
    // text that a spreadsheet would run as a formula gets an apostrophe (CSV injection); keys are
    // written as text formulas ="01100101" so that Excel and LibreOffice keep the leading zeros
    var m = indMeta(state.ind), q = function (s) { return '"' + String(s).replace(/"/g, '""') + '"'; },
        safe = function (s) { s = String(s); return /^[=+\-@\t\r]/.test(s) && !/^[-+]?[\d.,]+$/.test(s) ? "'" + s : s; },
        key = function (s) { return q('="' + String(s).replace(/"/g, '""') + '"'); };
    var lines = ["# " + m.name + (m.unit ? " (" + m.unit + ")" : "") + ", " + layerMeta(state.layer).name + ", " + periodLabel(state.period),
      "# Definition: " + (m.description || m.name), "# Quelle: " + (m.source || "–"),
      "# " + (META.public ? "öffentliche Fassung: kleine Fallzahlen gesperrt (•)" : "interne Fassung"),
      ["Schluessel", "Name", safe(m.name), "Kennung"].map(q).join(";")];
    shownRows().forEach(function (r) { lines.push([key(r.id), q(safe(r.name)), r.v === null ? flagSign(r.f) : fmt(r.v, m.decimals + 2).replace(/\./g, ""), r.f || ""].join(";")); });
    save(fileBase() + ".csv", "text/csv;charset=utf-8", "\ufeff" + lines.join("\r\n") + "\r\n");
  }
  function downloadGeojson() {
    if (!GEO[state.layer]) return geoOf(state.layer).then(downloadGeojson).catch(function (e) { announce(e.message); });
    var m = indMeta(state.ind), byId = {};
    shownRows().forEach(function (r) { byId[r.id] = r; });
    var out = { type: "FeatureCollection", name: fileBase(), metadata: { indicator: state.ind, name: m.name, unit: m.unit,
      period: state.period, layer: state.layer, definition: m.description, source: m.source, public: META.public },
      features: GEO[state.layer].features.map(function (f) { var r = byId[f.properties.id] || {};
        return { type: "Feature", properties: { id: f.properties.id, name: f.properties.name, value: r.v === undefined ? null : r.v, flag: r.f || null }, geometry: f.geometry }; }) };
    save(fileBase() + ".geojson", "application/geo+json", JSON.stringify(out));
  }
  // minimal XLSX (Office Open XML): a stored (uncompressed) ZIP of five XML parts, inline strings
  var CRC = (function () { var c, table = []; for (var n = 0; n < 256; n++) { c = n; for (var k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1; table[n] = c >>> 0; } return table; })();
  function crc32(bytes) { var c = 0xFFFFFFFF; for (var i = 0; i < bytes.length; i++) c = CRC[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8); return (c ^ 0xFFFFFFFF) >>> 0; }
  function zip(files) { // files: [[name, Uint8Array]]
    var enc = new TextEncoder(), parts = [], central = [], offset = 0;
    function u16(v) { return [v & 255, (v >>> 8) & 255]; }
    function u32(v) { return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]; }
    files.forEach(function (f) {
      var name = enc.encode(f[0]), data = f[1], crc = crc32(data);
      var head = [].concat([0x50, 0x4b, 3, 4], u16(20), u16(0x0800), u16(0), u16(0), u16(0x21), u32(crc), u32(data.length), u32(data.length), u16(name.length), u16(0));
      parts.push(new Uint8Array(head), name, data);
      central.push(new Uint8Array([].concat([0x50, 0x4b, 1, 2], u16(20), u16(20), u16(0x0800), u16(0), u16(0), u16(0x21), u32(crc), u32(data.length), u32(data.length), u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset))), name);
      offset += head.length + name.length + data.length;
    });
    var size = central.reduce(function (a, b) { return a + b.length; }, 0);
    var end = new Uint8Array([].concat([0x50, 0x4b, 5, 6], u16(0), u16(0), u16(files.length), u16(files.length), u32(size), u32(offset), u16(0)));
    return new Blob(parts.concat(central, [end]), { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" });
  }
  function xmlEsc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }
  function sheetXml(rows) {
    function col(i) { var s = ""; i++; while (i > 0) { var m = (i - 1) % 26; s = String.fromCharCode(65 + m) + s; i = Math.floor((i - 1) / 26); } return s; }
    var out = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>';
    rows.forEach(function (r, ri) {
      out += '<row r="' + (ri + 1) + '">';
      r.forEach(function (v, ci) {
        var ref = col(ci) + (ri + 1);
        if (typeof v === "number" && isFinite(v)) out += '<c r="' + ref + '"><v>' + v + "</v></c>";
        else if (v !== null && v !== undefined && v !== "") out += '<c r="' + ref + '" t="inlineStr"><is><t>' + xmlEsc(v) + "</t></is></c>";
      });
      out += "</row>";
    });
    return out + "</sheetData></worksheet>";
  }
  function xlsxBlob(sheets) { // sheets: [[name, rows]]
    var enc = new TextEncoder(), ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
    var over = "", list = "", rels = "";
    sheets.forEach(function (sh, i) {
      var n = i + 1;
      over += '<Override PartName="/xl/worksheets/sheet' + n + '.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>';
      list += '<sheet name="' + xmlEsc(sh[0]) + '" sheetId="' + n + '" r:id="rId' + n + '"/>';
      rels += '<Relationship Id="rId' + n + '" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet' + n + '.xml"/>';
    });
    var files = [
      ["[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' + over + '</Types>'],
      ["_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'],
      ["xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook ' + ns + '><sheets>' + list + '</sheets></workbook>'],
      ["xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + rels + '</Relationships>']
    ].concat(sheets.map(function (sh, i) { return ["xl/worksheets/sheet" + (i + 1) + ".xml", sheetXml(sh[1])]; }))
      .map(function (f) { return [f[0], enc.encode(f[1])]; });
    return zip(files);
  }
  function saveBlob(name, blob) {
    var a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a); a.click(); setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }
  function downloadXlsx() {
    if (MODE === "server") {
      location.href = "api/download?format=xlsx&layer=" + encodeURIComponent(state.layer) + "&indicator=" +
        encodeURIComponent(state.ind) + "&period=" + encodeURIComponent(state.period);
      return;
    }
    var m = indMeta(state.ind), enc = new TextEncoder();
    var data = [["Schluessel", "Name", m.name + (m.unit ? " (" + m.unit + ")" : ""), "Kennung"]];
    shownRows().forEach(function (r) { data.push([r.id, r.name, r.v === null ? flagSign(r.f) : r.v, r.f || ""]); });
    var meta = [["Indikator", m.name], ["ID", state.ind], ["Einheit", m.unit], ["Raumebene", layerMeta(state.layer).name],
      ["Zeitraum", periodLabel(state.period)], ["Definition", m.description], ["Quelle", m.source],
      ["Fassung", META.public ? "öffentlich: kleine Fallzahlen gesperrt (•)" : "intern"], ["Stand", META.generated]];
    var ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
    var files = [
      ["[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'],
      ["_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'],
      ["xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook ' + ns + '><sheets><sheet name="Werte" sheetId="1" r:id="rId1"/><sheet name="Metadaten" sheetId="2" r:id="rId2"/></sheets></workbook>'],
      ["xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>'],
      ["xl/worksheets/sheet1.xml", sheetXml(data)],
      ["xl/worksheets/sheet2.xml", sheetXml(meta)]
    ].map(function (f) { return [f[0], enc.encode(f[1])]; });
    var a = el("a", { href: URL.createObjectURL(zip(files)), download: fileBase() + ".xlsx" });
    document.body.appendChild(a); a.click(); setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  // ------------------------------------------------------------------ render
  function announce(msg) { $("status").textContent = msg; }
  function setView(view) {
    state.view = view;
    document.querySelectorAll(".views button").forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-view") === view)); });
    ["map", "table", "compare", "matrix", "planning", "charts"].forEach(function (v) { $("view-" + v).hidden = v !== view; });
    if (view === "map" && map) map.resize();
  }
  var renderToken = 0;
  function render() {
    fixState(); renderControls(); writeHash(); setView(state.view);
    var token = ++renderToken, chain = chainOf(state.layer);
    announce(t("loading"));
    return layerData(state.layer).then(function () {
      // the layers above serve the profile and the comparison; a large layer's map waits only for its own data
      var up = isLarge(state.layer) && !wantsAll() ? [] : chain;
      return Promise.all(up.map(valuesOnly)).then(function () { return neededParts(state.layer, up); });
    }).then(function () {
      if (token !== renderToken) return;
      mark("planlabor-data");
      if (isLarge(state.layer)) { $("area-list").innerHTML = ""; listFor = null; } else fillAreaList();  // large: on focus
      if (mapLoaded) { ensureMapLayer(); paintMap(); } else computeClasses();
      if (X()) X().afterRender();
      document.querySelector('[data-view="matrix"]').hidden = !matrixIndicators().length;
      document.querySelector('[data-view="planning"]').hidden = !hasPlanning();
      if (state.view === "planning") renderPlanning();
      if (state.view === "table") renderTable();
      if (state.view === "compare") renderCompare();
      if (state.view === "matrix") renderMatrix();
      if (state.view === "charts" && X()) X().renderCharts();
      if (state.area) renderProfile();
      var m = indMeta(state.ind);
      var total = VALUES[state.layer].areas.length;
      announce(t("showing") + ": " + m.name + ", " + layerMeta(state.layer).name + ", " + periodLabel(state.period) +
        " – " + total + " " + t("areas") + (classes.n < total ? " (" + classes.n + " " + t("with_value") + ")" : ""));
      mark("planlabor-rendered");
      likelyNext(state.layer);  // while MapLibre's worker cuts the geometry into tiles
      if (mapLoaded) map.once("idle", function () {
        mark("planlabor-idle");
        window.__atlasPainted = { ind: state.ind, layer: state.layer, period: state.period, t: performance.now(),
          loaded: ["meta"].concat(Object.keys(pending)) };  // payloads requested so far
        prefetch(state.layer);
      });
    }).catch(function (e) { announce(e.message); });
  }

  var listFor = null;
  function fillAreaList() { // the search suggestions of the shown layer
    if (listFor === state.layer || !VALUES[state.layer]) return;
    var list = $("area-list"), v = VALUES[state.layer], frag = document.createDocumentFragment();
    list.innerHTML = "";
    v.areas.forEach(function (id, i) { frag.appendChild(el("option", { value: v.names[i] + " (" + id + ")" })); });
    list.appendChild(frag); listFor = isLarge(state.layer) ? state.layer : null;
  }
  function mark(name) { if (window.performance && performance.mark) performance.mark(name); }  // for bench/
  // What an indicator switch most likely asks for next, loaded right after the values arrive (before the
  // map is idle: the main thread waits for MapLibre's worker then): the shown indicator's previous period,
  // its neighbours in the theme's list and the indicator a change of theme lands on (each theme's first
  // on this layer), latest period.  One after the other, so the pieces do not compete with the paint.
  function likelyNext(layer) {
    var v = VALUES[layer];
    if (!isLarge(layer) || v.likely === state.ind + "/" + state.period) return;
    v.likely = state.ind + "/" + state.period;
    var todo = [], ps = v.parts[state.ind] || [], at = ps.indexOf(state.period);
    function latest(ind) { var q = v.parts[ind]; if (q && q.length && ind !== state.ind) todo.push([ind, q[q.length - 1]]); }
    if (at > 0) todo.push([state.ind, ps[at - 1]]);
    if (at >= 0 && at < ps.length - 1) todo.push([state.ind, ps[at + 1]]);
    META.themes.forEach(function (th) {
      var here = th.indicators.filter(function (i) { return v.parts[i]; }), k = here.indexOf(state.ind);
      if (k >= 0) { latest(here[k + 1]); latest(here[k - 1]); } else latest(here[0]);
    });
    todo.reduce(function (chain, job) {
      return chain.then(function () { return part(layer, job[0], job[1]); }).catch(function () { /* loaded on demand */ });
    }, Promise.resolve());
  }
  function prefetch(layer) { // after the first paint of a large layer: the rest of its values, for filters and charts
    if (!isLarge(layer) || VALUES[layer].prefetched) return;
    VALUES[layer].prefetched = true;
    // one part at a time while the page is idle: all ~26 parts at once kept the main thread busy
    // parsing for a second, and an indicator switch waited for it.  First what a switch needs (every
    // other indicator's latest period), then the shown indicator's periods, newest first, then the rest
    var v = VALUES[layer], todo = [], seen = {};
    function add(ind, p) { if (p && !seen[ind + "/" + p]) { seen[ind + "/" + p] = true; todo.push([ind, p]); } }
    var inds = Object.keys(v.parts);
    inds.forEach(function (ind) { if (ind !== state.ind) add(ind, v.parts[ind][v.parts[ind].length - 1]); });
    (v.parts[state.ind] || []).slice().reverse().forEach(function (p) { add(state.ind, p); });
    inds.forEach(function (ind) { v.parts[ind].slice().reverse().forEach(function (p) { add(ind, p); }); });
    var later = window.requestIdleCallback || function (f) { return setTimeout(f, 50); };
    function next() {
      var job = todo.shift();
      if (!job) { if (X() && X().hashParts().length && state.layer === layer) render(); return; }
      part(layer, job[0], job[1]).then(function () { later(next, { timeout: 2000 }); }, function () { later(next); });
    }
    setTimeout(function () { later(next, { timeout: 2000 }); }, 300);
  }
  function bind() {
    $("theme").addEventListener("change", function () { state.theme = this.value; state.ind = null; render(); });
    $("indicator").addEventListener("change", function () { state.ind = this.value; render(); });
    $("layer").addEventListener("change", function () { state.layer = this.value; state.area = null; $("profile").hidden = true; render(); });
    $("period").addEventListener("change", function () { state.period = this.value; render(); });
    $("method").addEventListener("change", function () { state.method = this.value; render(); });
    $("classes").addEventListener("change", function () { state.k = +this.value; render(); });
    $("lang").addEventListener("change", function () { state.lang = this.value; fmtCache = {}; applyTexts(); render(); });
    $("print").addEventListener("click", function () { window.print(); });
    $("table-filter").addEventListener("input", renderTable);
    function findArea(text) { // "Name (key)", a key, a name, or the first name or key containing the text
      var m = /\(([^)]+)\)\s*$/.exec(text), v = VALUES[state.layer], q = text.trim().toLowerCase();
      if (m && areaIndex(state.layer, m[1]) >= 0) return m[1];
      if (!v || !q) return null;
      var lower = v.names.map(function (n) { return n.toLowerCase(); });
      var i = v.areas.indexOf(text.trim());
      if (i < 0) i = lower.indexOf(q);
      if (i < 0) i = lower.findIndex(function (n) { return n.indexOf(q) === 0; });
      if (i < 0) i = lower.findIndex(function (n) { return n.indexOf(q) >= 0; });
      if (i < 0) i = v.areas.findIndex(function (a) { return a.indexOf(q) === 0; });
      return i >= 0 ? v.areas[i] : null;
    }
    function search(e) {
      var id = findArea($("search").value);
      if (id) { if (e) e.preventDefault(); openProfile(id); } else if (e) announce(t("not_found") + ": " + $("search").value);
    }
    $("search").addEventListener("focus", fillAreaList);
    $("search").addEventListener("change", function () { search(null); });
    $("search").addEventListener("keydown", function (e) { if (e.key === "Enter") search(e); });
    document.querySelectorAll(".views button").forEach(function (b) { b.addEventListener("click", function () { state.view = b.getAttribute("data-view"); render(); }); });
    $("profile-close").addEventListener("click", closeProfile);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !$("profile").hidden) closeProfile(); });
    $("profile-compare").addEventListener("click", function () {
      var i = state.compare.indexOf(state.area);
      if (i >= 0) state.compare.splice(i, 1); else state.compare.push(state.area);
      writeHash(); renderProfile();
    });
    $("profile-peers").addEventListener("click", function () {
      state.compare = [state.area].concat(peersOf(state.layer, state.area));
      state.view = "compare"; render();
    });
    $("dl-csv").addEventListener("click", downloadCsv);
    $("dl-geojson").addEventListener("click", downloadGeojson);
    $("dl-xlsx").addEventListener("click", downloadXlsx);
    window.addEventListener("hashchange", function () { readHash(); if (META) render(); });  // before meta: the first render reads the hash
  }
  function topOf(layer, id) { // the area of the top layer above ``id`` (country for NUTS 3)
    var chain = chainOf(layer), cur = id, lay = layer;
    chain.forEach(function (up) {
      var i = areaIndex(lay, cur); if (i < 0 || !VALUES[lay]) return;
      cur = VALUES[lay].parents[i]; lay = up;
    });
    return chain.length ? cur : null;
  }
  function peersOf(layer, id) {
    // nearest areas on the z-standardised indicators of the current theme (Euclidean distance, over
    // the areas with every value; counts measure size, not structure, and are left out). With
    // several top areas (countries) the two nearest of each, so peers cross the borders; each
    // indicator then uses the latest period up to the chosen one in which every country has values.
    // The same rule as 'planlabor compare --je-land 2'.
    var theme = META.themes.filter(function (th) { return th.name === state.theme; })[0];
    var v = VALUES[layer], target = areaIndex(layer, id);
    var groupOf = v.areas.map(function (a) { return topOf(layer, a); });
    var groups = groupOf.filter(function (g, i, a) { return g !== null && a.indexOf(g) === i; });
    function has(x) { return x !== null && x !== undefined; }
    function periodAll(ind) {
      var ps = (META.indicators[ind].layers[layer] || []).filter(function (p) { return p <= state.period; });
      for (var k = ps.length - 1; k >= 0; k--) {
        var vals = series(layer, ind, ps[k]) || [];
        if (!has(vals[target])) continue;
        var ok = groups.every(function (g) { return vals.some(function (x, i) { return has(x) && groupOf[i] === g; }); });
        if (ok || groups.length < 2) return ps[k];
      }
      return periodFor(layer, ind);
    }
    var cols = theme.indicators.filter(function (i) { return META.indicators[i].layers[layer] && META.indicators[i].kind !== "anzahl"; })
      .map(function (ind) { return series(layer, ind, periodAll(ind)) || []; })
      .filter(function (c) { return has(c[target]); });
    var complete = v.areas.map(function (a, i) { return cols.length > 0 && cols.every(function (c) { return has(c[i]); }); });
    var z = cols.map(function (c) {
      var ok = c.filter(function (x, i) { return complete[i]; });
      var mean = ok.reduce(function (a, b) { return a + b; }, 0) / ok.length;
      var sd = Math.sqrt(ok.reduce(function (a, b) { return a + (b - mean) * (b - mean); }, 0) / ok.length) || 1;
      return c.map(function (x) { return has(x) ? (x - mean) / sd : null; });
    });
    var cand = [];
    v.areas.forEach(function (a, i) {
      if (i === target || !complete[i]) return;
      var d = 0;
      z.forEach(function (c) { d += (c[i] - c[target]) * (c[i] - c[target]); });
      cand.push({ id: a, d: Math.sqrt(d), g: groupOf[i] });
    });
    cand.sort(function (a, b) { return a.d - b.d || (a.id < b.id ? -1 : 1); });
    if (groups.length < 2) return cand.slice(0, 5).map(function (c) { return c.id; });
    var out = [];
    groups.forEach(function (g) { out = out.concat(cand.filter(function (c) { return c.g === g; }).slice(0, 2)); });
    out.sort(function (a, b) { return a.d - b.d; });
    return out.map(function (c) { return c.id; });
  }
  function closeProfile() {
    state.area = null; $("profile").hidden = true; writeHash();
    if (mapLoaded && shownLayer) { map.resize(); paintMap(); }
    $("main").focus({ preventScroll: true });
  }

  // exposed for tests and the print view
  window.planlaborAtlas = { state: state, render: render, openProfile: openProfile, values: VALUES, classify: classify,
    map: function () { return map; }, meta: function () { return META; }, classes: function () { return classes; },
    mapLoaded: function () { return mapLoaded; }, cell: cell, series: series, indMeta: indMeta, fmt: fmt, fmtInd: fmtInd,
    layerMeta: layerMeta, periodLabel: periodLabel, t: t, el: el, svg: svg, load: loadOnce, save: save, saveBlob: saveBlob,
    allParts: allParts, geo: function (layer) { return GEO[layer]; },
    xlsxBlob: xlsxBlob, flagSign: flagSign, flagText: flagText, rankOf: rankOf, chainOf: chainOf, areaIndex: areaIndex,
    writeHash: writeHash, paintMap: function () { if (mapLoaded && shownLayer) paintMap(); }, announce: announce,
    paintFilter: function () { if (mapLoaded && shownLayer) paintFilter(); }, areaState: areaState,
    renderTable: function () { if (state.view === "table") renderTable(); }, palettes: PALETTES, noData: NO_DATA };

  function renderSession() {
    if (MODE !== "server") return;
    fetch("api/session", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      var slot = $("login-slot"); slot.innerHTML = "";
      if (!s.internal_mode) return;
      if (s.user) {
        if (X()) X().onSession(s);
        slot.appendChild(el("span", { "class": "internal-badge", id: "internal-badge" }, t("internal") + ": " + s.user));
        var f = el("form", { method: "post", action: "logout" });
        f.appendChild(el("input", { type: "hidden", name: "csrf", value: s.csrf }));
        f.appendChild(el("button", { type: "submit", id: "logout" }, t("logout")));
        slot.appendChild(f);
      } else {
        slot.appendChild(el("a", { href: "login", id: "login-link" }, t("login")));
      }
    }).catch(function () { /* no session endpoint: public atlas */ });
  }

  readHash();
  bind();
  renderSession();
  if (state.layer && /^[A-Za-z0-9_-]+$/.test(state.layer)) {  // the permalink's layer: its values index and geometry
    var tilesTag = document.querySelector('meta[name="planlabor-tiles"]');  // layers with prebuilt tiles
    var tiledNow = tilesTag && (" " + tilesTag.getAttribute("content") + " ").indexOf(" " + state.layer + " ") >= 0;
    ["values/", tiledNow ? "tiles/" : "geo/"].forEach(function (n) { loadOnce(n + state.layer).catch(function () { /* checked after meta */ }); });
  }  // load while the metadata loads (same payloads, loadOnce: no second request)
  load("meta").then(function (meta) {
    META = meta; applyTexts(); mark("planlabor-meta");
    if (!META.themes || !META.themes.length) {  // a new workspace: nothing computed yet
      announce("Noch keine Indikatoren im Atlas. Legen Sie einen Katalog an (planlabor catalog suggest --apply) " +
        "und rechnen Sie (planlabor compute); danach zeigt der Atlas die Werte.");
      return;
    }
    if (window.maplibregl) initMap();
    return render();
  }).catch(function (e) { announce(e.message); });
})();
