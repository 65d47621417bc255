/* planlabor Sozialatlas: the charts view (issue 19) – histogram with the class breaks, scatter plot
   with regression line and r², ranking bars with the mean, radar of one area against the city or a
   peer group (z-standardised), change between two periods. Plain SVG; every chart has a keyboard
   cursor (arrow keys, Enter opens the area), a data table, and downloads as SVG, PNG, CSV, XLSX. */
(function () {
  "use strict";
  var W = 680, H = 340, L = 64, R = 16, T = 16, B = 46, ACC = "#004f9f", HI = "#b34700";
  var A = function () { return window.planlaborAtlas; };
  var H_ = null, S = null, last = null, cursor = -1;

  function $(id) { return document.getElementById(id); }
  function svg(tag, attrs, text) { var e = A().svg(tag, attrs); if (text !== undefined) e.textContent = text; return e; }
  function st() { return A().state; }
  function V() { return A().values[st().layer]; }
  function f(v, ind) { return A().fmtInd(v, ind || st().ind); }
  function axisY(s, min, max, Y, ind) {
    [min, (min + max) / 2, max].forEach(function (v) {
      s.appendChild(svg("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: "#e3e7ec" }));
      s.appendChild(svg("text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#4a4a4a" }, f(v, ind)));
    });
  }
  function label(s, x, y, text, anchor, color) {
    s.appendChild(svg("text", { x: x, y: y, "text-anchor": anchor || "middle", "font-size": 11, fill: color || "#4a4a4a" }, text));
  }
  function shown(ind, period) { // [{i, id, name, v}] of the areas that pass the filters and have a value
    var v = V(), vals = H_.valsOf(ind, period), out = [];
    for (var i = 0; i < v.areas.length; i++) if (H_.passes(i) && H_.has(vals[i])) out.push({ i: i, id: v.areas[i], name: v.names[i], v: vals[i] });
    return out;
  }
  function mark(el, item) { el.setAttribute("data-item", String(item)); return el; }
  var MANY = 600;  // from this many bars on: one path per colour instead of an element per bar
  function bars(s, out, rows, bw, Y, val, colorOf, text) {
    var many = rows.length > MANY, paths = {}, w = Math.max(0.6, bw - (bw > 3 ? 1 : 0));
    out.bw = bw; out.many = many;
    rows.forEach(function (r, k) {
      var v = val(r), y = Y(Math.max(v, 0)), h = Math.max(0.5, Math.abs(Y(v) - Y(0))), col = colorOf(r), x = L + k * bw;
      var label = text(r, k), el = null;
      if (!many || col === HI || col === "#1a1a1a") {
        el = mark(svg("rect", { x: x.toFixed(2), y: y.toFixed(1), width: w.toFixed(2), height: h.toFixed(1), fill: col, "data-area": r.id }), k);
        el.appendChild(svg("title", {}, label)); s.appendChild(el);
      } else paths[col] = (paths[col] || "") + "M" + x.toFixed(2) + " " + y.toFixed(1) + "h" + w.toFixed(2) + "v" + h.toFixed(1) + "h-" + w.toFixed(2) + "z";
      out.items.push({ label: label, id: r.id, el: el, x: x, w: w });
    });
    Object.keys(paths).forEach(function (col) { s.insertBefore(svg("path", { d: paths[col], fill: col }), s.firstChild.nextSibling); });
  }

  // ------------------------------------------------------------------ the five charts
  function histogram() {
    var ind = st().ind, m = A().indMeta(ind), rows = shown(ind), c = A().classes();
    var out = { title: m.name + ": " + H_.tt("ch_histogram") + ", " + A().periodLabel(st().period), items: [], head: [H_.tt("f_min"), H_.tt("f_max"), H_.tt("bins")], rows: [] };
    if (rows.length < 2) return out;
    var vals = rows.map(function (r) { return r.v; }), min = Math.min.apply(null, vals), max = Math.max.apply(null, vals);
    if (max === min) max = min + 1;
    var nb = Math.min(20, Math.max(5, Math.round(Math.sqrt(rows.length)))), w = (max - min) / nb, counts = [];
    for (var b = 0; b < nb; b++) counts.push(0);
    vals.forEach(function (x) { counts[Math.min(nb - 1, Math.floor((x - min) / w))]++; });
    var top = Math.max.apply(null, counts), s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" });
    function X(x) { return L + (x - min) / (max - min) * (W - L - R); }
    function Y(n) { return T + (1 - n / top) * (H - T - B); }
    [0, top].forEach(function (n) { s.appendChild(svg("line", { x1: L, x2: W - R, y1: Y(n), y2: Y(n), stroke: "#e3e7ec" })); label(s, L - 6, Y(n) + 4, A().fmt(n, 0), "end"); });
    counts.forEach(function (n, k) {
      var lo = min + k * w, hi = lo + w, cls = 0;
      if (c) while (cls < c.breaks.length && (lo + hi) / 2 > c.breaks[cls]) cls++;
      var color = c && c.colors && !S.changeMap ? c.colors[cls] : "#9fb3c8";
      var r = mark(svg("rect", { x: X(lo) + 0.5, y: Y(n), width: Math.max(1, X(hi) - X(lo) - 1), height: H - B - Y(n), fill: color, stroke: "#555", "stroke-width": 0.5 }), out.items.length);
      r.appendChild(svg("title", {}, f(lo) + " – " + f(hi) + ": " + n));
      s.appendChild(r);
      out.items.push({ label: f(lo) + " – " + f(hi) + ": " + A().fmt(n, 0) + " " + H_.tt("bins"), el: r });
      out.rows.push([lo, hi, n]);
    });
    if (c && !S.changeMap) c.breaks.forEach(function (br) {
      if (br <= min || br >= max) return;
      s.appendChild(svg("line", { x1: X(br), x2: X(br), y1: T, y2: H - B, stroke: "#1a1a1a", "stroke-dasharray": "4 3", "class": "class-break" }));
    });
    label(s, L, H - B + 16, f(min), "start"); label(s, W - R, H - B + 16, f(max), "end");
    label(s, (L + W - R) / 2, H - 8, m.name + (m.unit ? " (" + m.unit + ")" : "") + " – gestrichelt: Klassengrenzen");
    var sel = rows.filter(function (r) { return r.id === st().area; })[0];
    if (sel) s.appendChild(svg("path", { d: "M" + X(sel.v) + " " + (T - 2) + "l-6 -10h12z", fill: HI }));
    s.setAttribute("aria-label", out.title + ": " + rows.length + " " + H_.tt("bins") + ", " + f(min) + " bis " + f(max) + (c ? ", Klassengrenzen " + c.breaks.map(function (x) { return f(x); }).join("; ") : ""));
    out.svg = s; out.head = [H_.tt("f_min"), H_.tt("f_max"), H_.tt("bins")];
    return out;
  }
  function regression(xs, ys) {
    var n = xs.length, mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0, i;
    for (i = 0; i < n; i++) { mx += xs[i]; my += ys[i]; } mx /= n; my /= n;
    for (i = 0; i < n; i++) { sxx += (xs[i] - mx) * (xs[i] - mx); sxy += (xs[i] - mx) * (ys[i] - my); syy += (ys[i] - my) * (ys[i] - my); }
    var b = sxx ? sxy / sxx : 0;
    return { a: my - b * mx, b: b, r2: sxx && syy ? sxy * sxy / (sxx * syy) : 0, n: n };
  }
  function scatter() {
    var ind = st().ind, inds = H_.layerIndicators().filter(function (i) { return i !== ind; });
    if (inds.indexOf(S.x) < 0) S.x = inds[0] || null;
    var my = A().indMeta(ind), out = { items: [], rows: [], head: [] };
    if (!S.x) { out.title = my.name; return out; }
    var mx = A().indMeta(S.x), xv = H_.valsOf(S.x), rows = shown(ind).filter(function (r) { return H_.has(xv[r.i]); });
    rows.forEach(function (r) { r.x = xv[r.i]; });
    rows.sort(function (a, b) { return a.x - b.x || a.v - b.v; });
    var reg = regression(rows.map(function (r) { return r.x; }), rows.map(function (r) { return r.v; }));
    out.title = my.name + " (y) und " + mx.name + " (x), " + A().periodLabel(st().period) + ": r² = " + A().fmt(reg.r2, 2) + ", n = " + A().fmt(reg.n, 0);
    out.r2 = reg.r2; out.head = ["Schluessel", "Name", mx.name, my.name];
    if (rows.length < 3) return out;
    var x0 = Math.min.apply(null, rows.map(function (r) { return r.x; })), x1 = Math.max.apply(null, rows.map(function (r) { return r.x; }));
    var y0 = Math.min.apply(null, rows.map(function (r) { return r.v; })), y1 = Math.max.apply(null, rows.map(function (r) { return r.v; }));
    if (x1 === x0) x1 = x0 + 1; if (y1 === y0) y1 = y0 + 1;
    function X(x) { return L + (x - x0) / (x1 - x0) * (W - L - R); }
    function Y(y) { return T + (1 - (y - y0) / (y1 - y0)) * (H - T - B); }
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" });
    axisY(s, y0, y1, Y, ind);
    label(s, L, H - B + 16, f(x0, S.x), "start"); label(s, W - R, H - B + 16, f(x1, S.x), "end");
    label(s, (L + W - R) / 2, H - 8, mx.name + (mx.unit ? " (" + mx.unit + ")" : ""));
    rows.forEach(function (r) {
      var hot = r.id === st().area || H_.selected(r.id);
      var c = mark(svg("circle", { cx: X(r.x).toFixed(1), cy: Y(r.v).toFixed(1), r: hot ? 5.5 : 3.2, fill: hot ? HI : ACC, "fill-opacity": hot ? 1 : 0.6, stroke: "#fff", "stroke-width": 0.6, "data-area": r.id }), out.items.length);
      c.appendChild(svg("title", {}, r.name + ": " + f(r.x, S.x) + " / " + f(r.v)));
      s.appendChild(c);
      out.items.push({ label: r.name + ": " + mx.name + " " + f(r.x, S.x) + ", " + my.name + " " + f(r.v), id: r.id, el: c });
      out.rows.push([r.id, r.name, r.x, r.v]);
    });
    s.appendChild(svg("line", { x1: X(x0), x2: X(x1), y1: Y(reg.a + reg.b * x0), y2: Y(reg.a + reg.b * x1), stroke: "#1a1a1a", "stroke-width": 2, "class": "regression" }));
    label(s, W - R, T + 12, "r² = " + A().fmt(reg.r2, 2), "end", "#1a1a1a");
    s.setAttribute("aria-label", out.title + "; Regressionsgerade y = " + A().fmt(reg.a, 3) + " + " + A().fmt(reg.b, 3) + " · x");
    out.svg = s;
    return out;
  }
  function ranking() {
    var ind = st().ind, m = A().indMeta(ind), rows = shown(ind).sort(function (a, b) { return b.v - a.v || (a.id < b.id ? -1 : 1); });
    var out = { title: m.name + ": " + H_.tt("ch_ranking") + ", " + A().periodLabel(st().period), items: [], rows: [], head: [A().t("rank"), "Schluessel", "Name", m.name] };
    if (!rows.length) return out;
    var mean = rows.reduce(function (a, r) { return a + r.v; }, 0) / rows.length;
    var lo = Math.min(0, rows[rows.length - 1].v), hi = Math.max(0, rows[0].v); if (hi === lo) hi = lo + 1;
    function Y(v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); }
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" }), bw = (W - L - R) / rows.length;
    axisY(s, lo, hi, Y, ind);
    bars(s, out, rows, bw, Y, function (r) { return r.v; }, function (r) { return r.id === st().area || H_.selected(r.id) ? HI : ACC; },
      function (r, k) { return (k + 1) + ". " + r.name + ": " + f(r.v); });
    rows.forEach(function (r, k) { out.rows.push([k + 1, r.id, r.name, r.v]); });
    s.appendChild(svg("line", { x1: L, x2: W - R, y1: Y(mean), y2: Y(mean), stroke: "#1a1a1a", "stroke-width": 1.5, "stroke-dasharray": "6 3", "class": "mean" }));
    label(s, W - R, Y(mean) - 5, H_.tt("mean") + ": " + f(mean), "end", "#1a1a1a");
    var sel = rows.map(function (r) { return r.id; }).indexOf(st().area);
    if (sel >= 0) label(s, Math.min(W - R - 60, Math.max(L + 60, L + sel * bw)), H - B + 16, rows[sel].name + ": " + (sel + 1) + ".", "middle", HI);
    s.setAttribute("aria-label", out.title + "; " + H_.tt("mean") + " " + f(mean) + (sel >= 0 ? "; " + rows[sel].name + " auf Rang " + (sel + 1) + " von " + rows.length : ""));
    out.mean = mean; out.svg = s;
    return out;
  }
  function zscores(ind) {
    var vals = H_.valsOf(ind), ok = vals.filter(H_.has);
    if (ok.length < 2) return null;
    var mean = ok.reduce(function (a, b) { return a + b; }, 0) / ok.length;
    var sd = Math.sqrt(ok.reduce(function (a, b) { return a + (b - mean) * (b - mean); }, 0) / ok.length) || 1;
    return { mean: mean, z: vals.map(function (x) { return H_.has(x) ? (x - mean) / sd : null; }), vals: vals };
  }
  function radar() {
    var M = A().meta(), area = st().area, idx = area ? A().areaIndex(st().layer, area) : -1;
    var out = { title: H_.tt("ch_radar"), items: [], rows: [], head: [A().t("indicator"), "z " + A().t("area"), "z " + H_.tt("peer"), A().t("area"), H_.tt("mean")] };
    if (idx < 0) { out.empty = H_.tt("no_area"); return out; }
    var theme = M.themes.filter(function (th) { return th.name === st().theme; })[0];
    var inds = theme.indicators.filter(function (i) { return M.indicators[i].layers[st().layer] && M.indicators[i].kind !== "anzahl"; }).slice(0, 10);
    var peers = (st().compare.length ? st().compare : S.sel).filter(function (a) { return a !== area; }).map(function (a) { return A().areaIndex(st().layer, a); }).filter(function (i) { return i >= 0; });
    var axes = inds.map(function (ind) {
      var z = zscores(ind); if (!z || z.z[idx] === null) return null;
      var pz = peers.map(function (i) { return z.z[i]; }).filter(function (x) { return x !== null; });
      return { ind: ind, z: z.z[idx], pz: pz.length ? pz.reduce(function (a, b) { return a + b; }, 0) / pz.length : null, v: z.vals[idx], mean: z.mean };
    }).filter(Boolean);
    out.title = V().names[idx] + ": " + H_.tt("ch_radar") + " gegen " + (peers.length ? H_.tt("peer") + " (" + peers.length + ")" : H_.tt("peer_city")) + ", z-Werte";
    if (axes.length < 3) { out.empty = H_.tt("too_few"); return out; }
    var cx = W / 2, cy = H / 2 + 4, rad = H / 2 - 34, s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" });
    function P(k, z) { var a = -Math.PI / 2 + k * 2 * Math.PI / axes.length, r = rad * (Math.max(-3, Math.min(3, z)) + 3) / 6; return [cx + r * Math.cos(a), cy + r * Math.sin(a)]; }
    [-2, 0, 2].forEach(function (z) { s.appendChild(svg("circle", { cx: cx, cy: cy, r: rad * (z + 3) / 6, fill: "none", stroke: z ? "#e3e7ec" : "#1a1a1a", "stroke-dasharray": z ? "" : "5 3" })); });
    label(s, cx + 4, cy - rad * 0.5 + 12, "0 = " + H_.tt("peer_city"), "start");
    axes.forEach(function (ax, k) {
      var e = P(k, 3.4), p = P(k, 3);
      s.appendChild(svg("line", { x1: cx, y1: cy, x2: p[0], y2: p[1], stroke: "#e3e7ec" }));
      var txt = mark(svg("text", { x: e[0], y: e[1], "text-anchor": e[0] < cx - 5 ? "end" : e[0] > cx + 5 ? "start" : "middle", "font-size": 11, fill: "#1a1a1a" }, M.indicators[ax.ind].short || M.indicators[ax.ind].name), k);
      s.appendChild(txt);
      out.items.push({ label: M.indicators[ax.ind].name + ": " + f(ax.v, ax.ind) + " (z " + A().fmt(ax.z, 2) + ")" + (ax.pz !== null ? ", " + H_.tt("peer") + " z " + A().fmt(ax.pz, 2) : ""), el: txt });
      out.rows.push([M.indicators[ax.ind].name, ax.z, ax.pz, ax.v, ax.mean]);
    });
    function poly(key, color, width) {
      var pts = axes.map(function (ax, k) { return P(k, ax[key]).map(function (x) { return x.toFixed(1); }).join(","); }).join(" ");
      s.appendChild(svg("polygon", { points: pts, fill: color, "fill-opacity": 0.18, stroke: color, "stroke-width": width }));
    }
    if (axes.every(function (ax) { return ax.pz !== null; }) && peers.length) poly("pz", ACC, 1.5);
    poly("z", HI, 2.5);
    s.setAttribute("aria-label", out.title + ": " + out.items.map(function (it) { return it.label; }).join("; "));
    out.svg = s;
    return out;
  }
  function change() {
    var ind = st().ind, m = A().indMeta(ind), ps = (m.layers[st().layer] || []).filter(function (p) { return p < st().period; });
    if (ps.indexOf(S.p0) < 0) S.p0 = ps.length ? ps[ps.length - 1] : null;
    var out = { title: m.name + ": " + H_.tt("ch_change"), items: [], rows: [], head: ["Schluessel", "Name", A().periodLabel(S.p0 || ""), A().periodLabel(st().period), H_.tt("change")] };
    var d = H_.changeValues();
    if (!d) { out.empty = H_.tt("too_few"); return out; }
    out.title = m.name + ": " + H_.tt("ch_change") + " " + A().periodLabel(S.p0) + " → " + A().periodLabel(st().period);
    var v = V(), a = H_.valsOf(ind, S.p0), b = H_.valsOf(ind, st().period), rows = [];
    d.forEach(function (x, i) { if (x !== null && H_.passes(i)) rows.push({ i: i, id: v.areas[i], name: v.names[i], d: x }); });
    rows.sort(function (p, q) { return q.d - p.d || (p.id < q.id ? -1 : 1); });
    if (!rows.length) { out.empty = H_.tt("too_few"); return out; }
    var lo = Math.min(0, rows[rows.length - 1].d), hi = Math.max(0, rows[0].d); if (hi === lo) { hi += 1; lo -= 1; }
    function Y(x) { return T + (1 - (x - lo) / (hi - lo)) * (H - T - B); }
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" }), bw = (W - L - R) / rows.length;
    axisY(s, lo, hi, Y, ind);
    s.appendChild(svg("line", { x1: L, x2: W - R, y1: Y(0), y2: Y(0), stroke: "#1a1a1a" }));
    bars(s, out, rows, bw, Y, function (r) { return r.d; },
      function (r) { return r.id === st().area || H_.selected(r.id) ? "#1a1a1a" : r.d > 0 ? "#b35806" : r.d < 0 ? "#542788" : "#7f7f7f"; },
      function (r) { return r.name + ": " + (r.d > 0 ? "+" : "") + f(r.d); });
    rows.forEach(function (r) { out.rows.push([r.id, r.name, a[r.i], b[r.i], r.d]); });
    var up = rows.filter(function (r) { return r.d > 0; }).length, down = rows.filter(function (r) { return r.d < 0; }).length;
    label(s, L + 4, T + 12, "▲ " + up + " gestiegen", "start", "#8a4506"); label(s, W - R - 4, H - B - 6, "▼ " + down + " gesunken", "end", "#542788");
    s.setAttribute("aria-label", out.title + ": " + up + " Gebiete gestiegen, " + down + " gesunken, größter Anstieg " + rows[0].name + " " + f(rows[0].d));
    out.svg = s;
    return out;
  }
  var CHARTS = { histogram: histogram, scatter: scatter, ranking: ranking, radar: radar, change: change };

  // ------------------------------------------------------------------ options, keyboard, table
  function options() {
    var el = A().el, box = $("chart-options"), M = A().meta(); box.innerHTML = "";
    function select(id, text, items, value, onchange) {
      var sel = el("select", { id: id }); items.forEach(function (it) { sel.appendChild(el("option", { value: it[0] }, it[1])); });
      sel.value = value || ""; sel.addEventListener("change", function () { onchange(sel.value); });
      var d = el("div", { "class": "frow" }); d.appendChild(el("label", { "for": id }, text)); d.appendChild(sel); box.appendChild(d);
    }
    if (S.chart === "scatter") {
      var inds = H_.layerIndicators().filter(function (i) { return i !== st().ind; });
      if (inds.indexOf(S.x) < 0) S.x = inds[0] || null;
      select("chart-x", H_.tt("x_ind"), inds.map(function (i) { return [i, M.indicators[i].name]; }), S.x, function (v) { S.x = v; A().writeHash(); render(S, H_); });
    }
    if (S.chart === "change") {
      var ps = (M.indicators[st().ind].layers[st().layer] || []).filter(function (p) { return p < st().period; });
      if (ps.indexOf(S.p0) < 0) S.p0 = ps.length ? ps[ps.length - 1] : null;
      select("chart-p0", H_.tt("base_period"), ps.slice().reverse().map(function (p) { return [p, A().periodLabel(p)]; }), S.p0, function (v) { S.p0 = v; H_.apply(true); });
      var cb = el("input", { type: "checkbox", id: "chart-changemap" }); cb.checked = S.changeMap;
      cb.addEventListener("change", function () { S.changeMap = cb.checked; H_.apply(true); });
      var w = el("div", { "class": "cb" }); w.appendChild(cb); w.appendChild(el("label", { "for": "chart-changemap" }, H_.tt("change_map"))); box.appendChild(w);
    }
  }
  function moveCursor(k) {
    if (!last || !last.items.length) return;
    cursor = (k + last.items.length) % last.items.length;
    last.items.forEach(function (it, j) { if (it.el) it.el.setAttribute("class", (it.el.getAttribute("class") || "").replace(/ ?cursor/g, "") + (j === cursor ? " cursor" : "")); });
    var it = last.items[cursor], m = last.svg.querySelector(".cursor-mark");
    if (!it.el && it.x !== undefined) {
      if (!m) { m = A().svg("rect", { "class": "cursor-mark", y: T, height: H - T - B, fill: "none", stroke: "#1a1a1a", "stroke-width": 1.5 }); last.svg.appendChild(m); }
      m.setAttribute("x", (it.x - 1).toFixed(2)); m.setAttribute("width", (it.w + 2).toFixed(2));
    } else if (m) m.remove();
    $("chart-cursor").textContent = last.items[cursor].label;
  }
  function dataTable(out) {
    var el = A().el, det = $("chart-data"), old = det.querySelector("table"); if (old) old.remove();
    var tbl = el("table", { "class": "data", id: "chart-table" }); tbl.appendChild(el("caption", null, out.title));
    var tr = el("tr"); out.head.forEach(function (h) { tr.appendChild(el("th", { scope: "col" }, h)); });
    var th = el("thead"); th.appendChild(tr); tbl.appendChild(th);
    var body = el("tbody");
    out.rows.slice(0, 2000).forEach(function (r) {
      var row = el("tr"); r.forEach(function (c) { row.appendChild(el("td", typeof c === "number" ? { "class": "num" } : null, c === null || c === undefined ? "–" : typeof c === "number" ? A().fmt(c, Math.abs(c) % 1 ? 3 : 0) : String(c))); });
      body.appendChild(row);
    });
    tbl.appendChild(body); det.appendChild(tbl);
  }
  function barAt(e) { // the bar under the pointer of a chart drawn as paths (many bars)
    if (!last || !last.many) return -1;
    var p = last.svg.createSVGPoint(); p.x = e.clientX; p.y = e.clientY;
    var q = p.matrixTransform(last.svg.getScreenCTM().inverse()), k = Math.floor((q.x - L) / last.bw);
    return k >= 0 && k < last.items.length ? k : -1;
  }
  function render(state, helpers) {
    S = state; H_ = helpers;
    document.querySelectorAll("[data-chart]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-chart") === S.chart)); });
    options();
    var out = (CHARTS[S.chart] || histogram)(), box = $("chart-box"), el = A().el;
    last = out; cursor = -1; box.innerHTML = "";
    var fig = el("figure", { "class": "chart", id: "chart-figure", "data-chart": S.chart });
    fig.appendChild(el("figcaption", { id: "chart-title" }, out.title));
    if (out.svg) {
      var frame = el("div", { "class": "chart-frame", tabindex: "0", role: "group", "aria-label": out.title + ". " + H_.tt("chart_keys") });
      frame.appendChild(out.svg); fig.appendChild(frame);
      frame.addEventListener("keydown", function (e) {
        if (e.key === "ArrowRight" || e.key === "ArrowDown") { moveCursor(cursor + 1); e.preventDefault(); }
        else if (e.key === "ArrowLeft" || e.key === "ArrowUp") { moveCursor(cursor - 1); e.preventDefault(); }
        else if (e.key === "Home") { moveCursor(0); e.preventDefault(); }
        else if (e.key === "End") { moveCursor(last.items.length - 1); e.preventDefault(); }
        else if (e.key === "Enter" && cursor >= 0 && last.items[cursor].id) { A().openProfile(last.items[cursor].id); e.preventDefault(); }
      });
      out.svg.addEventListener("mouseover", function (e) { var k = e.target.getAttribute && e.target.getAttribute("data-item"); if (k !== null && k !== undefined && last.items[+k]) moveCursor(+k); });
      out.svg.addEventListener("click", function (e) {
        var id = e.target.getAttribute && e.target.getAttribute("data-area"), k = barAt(e);
        if (!id && k >= 0) id = last.items[k].id;
        if (id) A().openProfile(id);
      });
      if (out.many) out.svg.addEventListener("mousemove", function (e) { var k = barAt(e); if (k >= 0 && k !== cursor) moveCursor(k); });
    } else fig.appendChild(el("p", { "class": "hint" }, out.empty || H_.tt("too_few")));
    box.appendChild(fig);
    $("chart-cursor").textContent = "";
    dataTable(out);
  }

  // ------------------------------------------------------------------ downloads
  function fileBase() { return "diagramm_" + S.chart + "_" + st().ind + "_" + st().layer + "_" + st().period; }
  function svgText() {
    var s = last.svg.cloneNode(true);
    s.setAttribute("xmlns", "http://www.w3.org/2000/svg"); s.setAttribute("width", W); s.setAttribute("height", H);
    s.insertBefore(A().svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#ffffff" }), s.firstChild);
    var title = A().svg("text", { x: 8, y: 12, "font-size": 11, fill: "#1a1a1a" }); title.textContent = last.title; s.appendChild(title);
    s.querySelectorAll("text").forEach(function (t) { t.setAttribute("font-family", "DejaVu Sans, Arial, sans-serif"); });
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(s);
  }
  function downloadSvg() { if (last && last.svg) A().save(fileBase() + ".svg", "image/svg+xml", svgText()); }
  function downloadPng() {
    if (!last || !last.svg) return;
    var img = new Image(), url = URL.createObjectURL(new Blob([svgText()], { type: "image/svg+xml" }));
    img.onload = function () {
      var c = document.createElement("canvas"); c.width = W * 2; c.height = H * 2;
      var g = c.getContext("2d"); g.scale(2, 2); g.drawImage(img, 0, 0, W, H); URL.revokeObjectURL(url);
      c.toBlob(function (b) { A().saveBlob(fileBase() + ".png", b); }, "image/png");
    };
    img.src = url;
  }
  function metaRows() {
    var m = A().indMeta(st().ind), M = A().meta();
    return [["Diagramm", last.title], ["Indikator", m.name], ["ID", st().ind], ["Einheit", m.unit], ["Raumebene", A().layerMeta(st().layer).name],
      ["Zeitraum", A().periodLabel(st().period)], ["Quelle", m.source], ["Filter", location.hash], ["Fassung", M.public ? "öffentlich: kleine Fallzahlen gesperrt (•)" : "intern"], ["Stand", M.generated]];
  }
  function downloadCsv() {
    if (!last) return;
    var q = function (s) { return '"' + String(s).replace(/"/g, '""') + '"'; };
    var lines = metaRows().map(function (r) { return "# " + r[0] + ": " + (r[1] === null || r[1] === undefined ? "" : r[1]); });
    lines.push(last.head.map(q).join(";"));
    last.rows.forEach(function (r) { lines.push(r.map(function (c) { return typeof c === "number" ? A().fmt(c, 6).replace(/\./g, "").replace(/,?0+$/, "") : c === null || c === undefined ? "" : q(c); }).join(";")); });
    A().save(fileBase() + ".csv", "text/csv;charset=utf-8", "\ufeff" + lines.join("\r\n") + "\r\n");
  }
  function downloadXlsx() {
    if (!last) return;
    A().saveBlob(fileBase() + ".xlsx", A().xlsxBlob([["Daten", [last.head].concat(last.rows)], ["Metadaten", metaRows()]]));
  }
  function bind() {
    document.querySelectorAll("[data-chart]").forEach(function (b) {
      b.addEventListener("click", function () { S.chart = b.getAttribute("data-chart"); A().writeHash(); render(S, H_); });
    });
    $("ch-svg").addEventListener("click", downloadSvg); $("ch-png").addEventListener("click", downloadPng);
    $("ch-csv").addEventListener("click", downloadCsv); $("ch-xlsx").addEventListener("click", downloadXlsx);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind); else bind();
  window.planlaborCharts = { render: render, last: function () { return last; }, regression: regression };
})();
