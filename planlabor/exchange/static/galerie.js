/* Volltextsuche und Filter der Galerie, ohne Netz: der Suchindex liegt in suche.js. */
(function () {
  "use strict";
  var index = window.planlaborSuche || [];
  var q = document.getElementById("q");
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-facet]"));
  var status = document.getElementById("treffer");
  if (!q || !status) { return; }
  function norm(s) {
    return s.toLowerCase().replace(/ä/g, "ae").replace(/ö/g, "oe").replace(/ü/g, "ue").replace(/ß/g, "ss");
  }
  index.forEach(function (e) { e.norm = norm(e.text); });
  function apply() {
    var words = norm(q.value).split(/\s+/).filter(function (w) { return w.length > 0; });
    var n = 0;
    index.forEach(function (e) {
      var ok = words.every(function (w) { return e.norm.indexOf(w) >= 0; });
      selects.forEach(function (s) {
        if (s.value && (e.facets[s.dataset.facet] || []).indexOf(s.value) < 0) { ok = false; }
      });
      var card = document.getElementById("karte-" + e.id);
      if (card) { card.hidden = !ok; }
      if (ok) { n += 1; }
    });
    status.textContent = n === 1 ? "1 Dossier" : n + " Dossiers";
  }
  q.addEventListener("input", apply);
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  document.querySelector("form.suche").addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
  var params = new URLSearchParams(window.location.search);
  if (params.get("q")) { q.value = params.get("q"); }
  apply();
}());
