// Shows the link to the consultation page when the server runs one (issue 21). The static
// atlas has no server: the request fails and the link stays hidden.
(function () {
  "use strict";
  var link = document.getElementById("beteiligung-link");
  if (!link || !window.fetch || document.querySelector('meta[name="planlabor-mode"][content="static"]')) return;
  fetch("api/beteiligung", { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (d) { if (d && d.befragungen && d.befragungen.length) link.hidden = false; })
    .catch(function () { /* no server: nothing to show */ });
})();
