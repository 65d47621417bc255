// The consultation page of the public atlas (issue 21): load the running consultations, let
// people pick an area (list or map, keyboard first), categories and a short text; before
// sending, solve the server's proof-of-work task (SHA-256, see planlabor/participation/antispam.py).
(function () {
  "use strict";
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  var W = new Uint32Array(64);

  // SHA-256 of an ASCII string; returns the first word of the digest and the second (enough to
  // count leading zero bits up to 64).
  function sha256(text) {
    var n = text.length, blocks = ((n + 9 + 63) >> 6), words = new Uint32Array(blocks * 16), i;
    for (i = 0; i < n; i++) words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i & 3) * 8);
    words[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
    words[blocks * 16 - 1] = n * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
      h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var b = 0; b < blocks; b++) {
      for (i = 0; i < 16; i++) W[i] = words[b * 16 + i];
      for (i = 16; i < 64; i++) {
        var x = W[i - 15], y = W[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7, bb = h1;
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + bb) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0 >>> 0, h1 >>> 0];
  }

  function zeroBits(words) {
    if (words[0] !== 0) return Math.clz32(words[0]);
    return 32 + Math.clz32(words[1]);
  }

  // Search the nonce in slices so the page stays responsive.
  function solve(challenge, bits, done) {
    var n = 0;
    (function slice() {
      for (var end = n + 20000; n < end; n++) {
        if (zeroBits(sha256(challenge + ":" + n)) >= bits) { done(n); return; }
      }
      setTimeout(slice, 0);
    })();
  }
  window.planlaborPow = { sha256: sha256, solve: solve };

  var $ = function (id) { return document.getElementById(id); };
  var state = { list: [], current: null, map: null };

  function status(text, kind) {
    var el = $("b-status");
    el.textContent = text;
    el.className = kind || "";
  }

  function json(url, opts) {
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) throw new Error(d.detail || ("Fehler " + r.status));
        return d;
      });
    });
  }

  function option(value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }

  function show(c) {
    state.current = c;
    $("b-title").textContent = c.titel;
    $("b-question").textContent = c.frage;
    var ende = c.ende.split("-").reverse().join(".");
    $("b-target").textContent = (c.zielgruppe ? "Für: " + c.zielgruppe + " · " : "") + "Antworten bis " + ende;
    var area = $("b-area");
    area.length = 1;
    c.gebiete.forEach(function (g) { area.appendChild(option(g.id, g.name)); });
    var box = $("b-cats");
    Array.prototype.slice.call(box.querySelectorAll(".cat")).forEach(function (el) { el.remove(); });
    c.kategorien.forEach(function (k) {
      var row = document.createElement("div");
      row.className = "cat";
      var input = document.createElement("input");
      input.type = "checkbox";
      input.id = "cat-" + k.id;
      input.value = k.id;
      var label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = k.name;
      row.appendChild(input);
      row.appendChild(label);
      box.appendChild(row);
    });
    $("b-max").textContent = c.max_text;
    $("b-text").maxLength = c.max_text;
    counter();
    drawMap(c);
    voices(c);
  }

  function counter() {
    var c = state.current, n = $("b-text").value.length;
    $("b-count").textContent = n + " von " + (c ? c.max_text : 500) + " Zeichen";
  }

  function drawMap(c) {
    var el = $("b-map");
    if (!window.maplibregl || !window.fetch) { el.hidden = true; return; }
    json("api/atlas/geo/" + encodeURIComponent(c.ebene)).then(function (geo) {
      if (state.map) state.map.remove();
      var map = state.map = new maplibregl.Map({
        container: el, attributionControl: false,
        style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f6f8" } }] },
        bounds: bounds(geo), fitBoundsOptions: { padding: 10 }
      });
      map.on("load", function () {
        map.addSource("areas", { type: "geojson", data: geo, promoteId: "id" });
        map.addLayer({ id: "fill", type: "fill", source: "areas", paint: {
          "fill-color": ["case", ["boolean", ["feature-state", "picked"], false], "#0b5cad", "#c9d6e3"],
          "fill-opacity": 0.7 } });
        map.addLayer({ id: "line", type: "line", source: "areas", paint: { "line-color": "#506070", "line-width": 0.6 } });
        map.on("click", "fill", function (e) {
          var id = e.features[0].properties.id || e.features[0].id;
          $("b-area").value = String(id);
          pick(String(id));
        });
      });
    }).catch(function () { el.hidden = true; $("b-map-hint").hidden = true; });
  }

  function pick(id) {
    var map = state.map;
    if (!map || !map.getSource("areas")) return;
    if (state.picked) map.setFeatureState({ source: "areas", id: state.picked }, { picked: false });
    state.picked = id || null;
    if (id) map.setFeatureState({ source: "areas", id: id }, { picked: true });
    var name = $("b-area").selectedOptions[0];
    status(id && name ? "Gewählt: " + name.textContent : "", "");
  }

  function bounds(geo) {
    var b = [180, 90, -180, -90];
    function walk(c) {
      if (typeof c[0] === "number") {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else c.forEach(walk);
    }
    geo.features.forEach(function (f) { if (f.geometry) walk(f.geometry.coordinates); });
    return b[0] <= b[2] ? [[b[0], b[1]], [b[2], b[3]]] : [[5, 47], [15, 55]];
  }

  function voices(c) {
    json("api/beteiligung/" + c.id + "/stimmen").then(function (d) {
      var ul = $("b-voices");
      ul.textContent = "";
      d.stimmen.forEach(function (s) {
        var li = document.createElement("li");
        li.textContent = s.gebiet + ": „" + s.text + "“";
        ul.appendChild(li);
      });
      $("b-voices-wrap").hidden = !d.stimmen.length;
    }).catch(function () { /* nothing approved yet */ });
  }

  function send(ev) {
    ev.preventDefault();
    var c = state.current;
    var area = $("b-area").value;
    var cats = Array.prototype.slice.call($("b-cats").querySelectorAll("input:checked")).map(function (i) { return i.value; });
    if (!area) { status("Bitte wählen Sie ein Gebiet.", "err"); $("b-area").focus(); return; }
    if (!cats.length) { status("Bitte wählen Sie mindestens eine Antwort bei „Was fehlt hier?“.", "err"); return; }
    var button = $("b-send");
    button.disabled = true;
    status("Wird gesendet … (Ihr Browser löst dafür eine kleine Sicherheitsaufgabe)", "");
    json("api/beteiligung/" + c.id + "/aufgabe").then(function (task) {
      return new Promise(function (resolve) { solve(task.challenge, task.bits, resolve); }).then(function (n) {
        return json("api/beteiligung/" + c.id + "/antwort", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ gebiet: area, kategorien: cats, text: $("b-text").value,
            webseite: $("b-web").value, aufgabe: task.challenge, loesung: n })
        });
      });
    }).then(function (d) {
      status(d.meldung, "ok");
      $("b-text").value = "";
      counter();
      Array.prototype.slice.call($("b-cats").querySelectorAll("input:checked")).forEach(function (i) { i.checked = false; });
    }).catch(function (e) { status(e.message, "err"); })
      .then(function () { button.disabled = false; });
  }

  function start() {
    $("b-form").addEventListener("submit", send);
    $("b-text").addEventListener("input", counter);
    $("b-area").addEventListener("change", function () { pick($("b-area").value); });
    $("b-choose").addEventListener("change", function () {
      show(state.list.filter(function (c) { return c.id === $("b-choose").value; })[0]);
    });
    json("api/beteiligung").then(function (d) {
      $("b-privacy").textContent = d.datenschutz;
      state.list = d.befragungen;
      if (!d.befragungen.length) { $("b-none").hidden = false; return; }
      if (d.befragungen.length > 1) {
        d.befragungen.forEach(function (c) { $("b-choose").appendChild(option(c.id, c.titel)); });
        $("b-choose-wrap").hidden = false;
      }
      $("b-form").hidden = false;
      show(d.befragungen[0]);
    }).catch(function (e) { $("b-none").hidden = false; $("b-none").textContent = e.message; });
  }
  start();
})();
