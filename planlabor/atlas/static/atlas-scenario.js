/* planlabor Sozialatlas, internal view: a planned facility on the map and the change of coverage
   per area (issue 19, point 4). Calls the network API of the internal view (POST api/netz/szenario
   and api/netz/isochrone with the session's CSRF token); shown only to a signed-in user when the
   workspace has a street network. The site is set by a click on the map or typed as coordinates. */
(function () {
  "use strict";
  var TEXTS = {
    de: { scenario: "Szenario: geplante Einrichtung", sc_type: "Art der Einrichtung", sc_demand: "Nachfrage (Variable)",
      sc_period: "Stichtag der Nachfrage", sc_profile: "Weg", sc_minutes: "Einzugsbereich (Minuten)", sc_metres: "Einzugsbereich (Meter, Luftlinie)",
      sc_places: "Plätze", sc_lon: "Länge (WGS 84)", sc_lat: "Breite (WGS 84)", sc_pick: "Standort auf der Karte setzen",
      sc_pick_on: "Klicken Sie in die Karte …", sc_run: "Szenario berechnen", sc_clear: "Szenario entfernen",
      sc_busy: "Berechne …", sc_changed: "{n} Gebiete ändern sich", sc_area: "Gebiet", sc_before: "vorher", sc_after: "nachher",
      sc_change: "Änderung", sc_none: "Keine Änderung in Reichweite.", sc_need_point: "Setzen Sie zuerst einen Standort.",
      p_fuss: "zu Fuß", p_rad: "Rad", p_auto: "Auto", p_rollstuhl: "Rollstuhl", p_luft: "Luftlinie" },
    en: { scenario: "Scenario: planned facility", sc_type: "Facility type", sc_demand: "Demand (variable)",
      sc_period: "Date of demand", sc_profile: "Mode", sc_minutes: "Catchment (minutes)", sc_metres: "Catchment (metres, straight line)",
      sc_places: "Places", sc_lon: "Longitude (WGS 84)", sc_lat: "Latitude (WGS 84)", sc_pick: "Set the site on the map",
      sc_pick_on: "Click on the map …", sc_run: "Compute scenario", sc_clear: "Remove scenario",
      sc_busy: "Computing …", sc_changed: "{n} areas change", sc_area: "Area", sc_before: "before", sc_after: "after",
      sc_change: "Change", sc_none: "No change within reach.", sc_need_point: "Set a site first.",
      p_fuss: "on foot", p_rad: "bicycle", p_auto: "car", p_rollstuhl: "wheelchair", p_luft: "straight line" }
  };
  var session = null, net = null, picking = false, built = false, result = null;
  function A() { return window.planlaborAtlas; }
  function $(id) { return document.getElementById(id); }
  function tt(k, vars) { var s = A().t(k); Object.keys(vars || {}).forEach(function (v) { s = s.replace("{" + v + "}", vars[v]); }); return s; }

  function onSession(s) {
    session = s;
    fetch("api/netz", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) { net = info; if (A().meta()) build(); }).catch(function () { net = null; });
  }
  function field(id, label, control) {
    var d = A().el("div", { "class": "frow" }); d.appendChild(A().el("label", { "for": id }, label)); d.appendChild(control); return d;
  }
  function build() {
    if (!session || !net || built || !A().meta()) return;
    var el = A().el, form = $("scen-form"), types = A().meta().facility_types || [];
    if (!types.length) return;
    built = true; $("scenario").hidden = false;
    var ty = el("select", { id: "sc-type" }); types.forEach(function (x) { ty.appendChild(el("option", { value: x.id }, x.name)); });
    form.appendChild(field("sc-type", tt("sc_type"), ty));
    form.appendChild(field("sc-demand", tt("sc_demand"), el("input", { id: "sc-demand", type: "text", value: "", autocomplete: "off" })));
    form.appendChild(field("sc-period", tt("sc_period"), el("input", { id: "sc-period", type: "text", value: A().state.period || "" })));
    var pr = el("select", { id: "sc-profile" });
    (net.profiles || []).map(function (p) { return p.id; }).concat(["luft"]).forEach(function (p) { pr.appendChild(el("option", { value: p }, tt("p_" + p))); });
    form.appendChild(field("sc-profile", tt("sc_profile"), pr));
    form.appendChild(field("sc-reach", tt("sc_minutes"), el("input", { id: "sc-reach", type: "number", min: "1", step: "any", value: "10" })));
    form.appendChild(field("sc-places", tt("sc_places"), el("input", { id: "sc-places", type: "number", min: "1", step: "1", value: "50" })));
    var two = el("div", { "class": "two-inputs" });
    two.appendChild(field("sc-lon", tt("sc_lon"), el("input", { id: "sc-lon", type: "number", step: "any" })));
    two.appendChild(field("sc-lat", tt("sc_lat"), el("input", { id: "sc-lat", type: "number", step: "any" })));
    form.appendChild(two);
    var pick = el("button", { type: "button", id: "sc-pick", "aria-pressed": "false" }, tt("sc_pick"));
    pick.addEventListener("click", function () { picking = !picking; pick.setAttribute("aria-pressed", String(picking)); $("scen-status").textContent = picking ? tt("sc_pick_on") : ""; });
    var run = el("button", { type: "button", id: "sc-run" }, tt("sc_run")); run.addEventListener("click", compute);
    var clr = el("button", { type: "button", id: "sc-clear" }, tt("sc_clear")); clr.addEventListener("click", clear);
    pr.addEventListener("change", function () { $("sc-reach").previousSibling.textContent = pr.value === "luft" ? tt("sc_metres") : tt("sc_minutes"); $("sc-reach").value = pr.value === "luft" ? "500" : "10"; });
    [pick, run, clr].forEach(function (b) { form.appendChild(b); });
  }
  function onMapClick(lngLat) {
    if (!picking) return false;
    picking = false; $("sc-pick").setAttribute("aria-pressed", "false");
    $("sc-lon").value = lngLat.lng.toFixed(6); $("sc-lat").value = lngLat.lat.toFixed(6);
    $("scen-status").textContent = tt("sc_lon") + " " + lngLat.lng.toFixed(5) + ", " + tt("sc_lat") + " " + lngLat.lat.toFixed(5);
    draw("plan-site", { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [lngLat.lng, lngLat.lat] } }] });
    return true;
  }
  function post(path, body) {
    return fetch(path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.detail || ("HTTP " + r.status)); return j; }); });
  }
  function compute() {
    var lon = parseFloat($("sc-lon").value), lat = parseFloat($("sc-lat").value), prof = $("sc-profile").value;
    if (isNaN(lon) || isNaN(lat)) { $("scen-status").textContent = tt("sc_need_point"); return; }
    var reach = parseFloat($("sc-reach").value), body = { raumebene: A().state.layer, typ: $("sc-type").value, nachfrage: $("sc-demand").value.trim(),
      stichtag: $("sc-period").value.trim(), einrichtungen: [{ lon: lon, lat: lat, plaetze: parseFloat($("sc-places").value) || 1 }],
      profil: prof === "luft" ? null : prof, einheit: prof === "luft" ? "m" : "min", einzugsbereich: reach };
    $("scen-status").textContent = tt("sc_busy");
    var iso = prof === "luft" ? Promise.resolve(null) : post("api/netz/isochrone", { lon: lon, lat: lat, profil: prof, minuten: reach });
    Promise.all([post("api/netz/szenario", body), iso]).then(function (res) {
      result = res[0]; show(result);
      if (res[1]) draw("plan-iso", { type: "FeatureCollection", features: [res[1]] });
    }).catch(function (e) { $("scen-status").textContent = e.message; });
  }
  function show(fc) {
    var el = A().el, box = $("scen-result"), sum = fc.zusammenfassung || {}; box.innerHTML = "";
    var changed = fc.features.filter(function (f) { return Math.abs(f.properties.sfca_change || 0) > 1e-9; })
      .sort(function (a, b) { return b.properties.sfca_change - a.properties.sfca_change; });
    $("scen-status").textContent = tt("sc_changed", { n: changed.length });
    if (!changed.length) { box.appendChild(el("p", null, tt("sc_none"))); }
    else {
      var tbl = el("table", { "class": "data", id: "scen-table" }); tbl.appendChild(el("caption", null, tt("sc_change") + " (2SFCA, " + (sum.netz || tt("p_luft")) + ")"));
      var tr = el("tr"); [tt("sc_area"), tt("sc_before"), tt("sc_after"), tt("sc_change")].forEach(function (h) { tr.appendChild(el("th", { scope: "col" }, h)); });
      var th = el("thead"); th.appendChild(tr); tbl.appendChild(th);
      var tb = el("tbody");
      changed.forEach(function (f) {
        var p = f.properties, row = el("tr", { "data-area": p.area_id });
        row.appendChild(el("th", { scope: "row" }, p.name || p.area_id));
        [p.sfca_before, p.sfca_after, p.sfca_change].forEach(function (v, k) { row.appendChild(el("td", { "class": "num" }, (k === 2 && v > 0 ? "+" : "") + A().fmt(v, 4))); });
        tb.appendChild(row);
      });
      tbl.appendChild(tb); box.appendChild(tbl);
    }
    draw("plan-areas", { type: "FeatureCollection", features: changed.filter(function (f) { return f.geometry; }) });
    window.__atlasScenario = { changed: changed.map(function (f) { return f.properties.area_id; }), summary: sum };
  }
  function draw(id, data) {
    var map = A().map(); if (!map || !A().mapLoaded()) return;
    if (map.getSource(id)) { map.getSource(id).setData(data); return; }
    map.addSource(id, { type: "geojson", data: data });
    if (id === "plan-areas") map.addLayer({ id: id, type: "line", source: id, paint: { "line-color": "#1b7837", "line-width": 3 } });
    else if (id === "plan-iso") map.addLayer({ id: id, type: "line", source: id, paint: { "line-color": "#b34700", "line-width": 2, "line-dasharray": [2, 1] } });
    else map.addLayer({ id: id, type: "circle", source: id, paint: { "circle-color": "#b34700", "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  }
  function clear() {
    var empty = { type: "FeatureCollection", features: [] };
    ["plan-site", "plan-iso", "plan-areas"].forEach(function (id) { var m = A().map(); if (m && m.getSource(id)) m.getSource(id).setData(empty); });
    $("scen-result").innerHTML = ""; $("scen-status").textContent = ""; result = null; window.__atlasScenario = null;
  }
  window.planlaborScenario = { onSession: onSession, afterRender: build, onMapClick: onMapClick,
    text: function (key, lang) { return (TEXTS[lang] || TEXTS.de)[key] || TEXTS.de[key] || null; } };
})();
