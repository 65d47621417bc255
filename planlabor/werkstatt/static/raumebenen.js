// Werkstatt, Raumebenen: map preview of an uploaded geometry file (MapLibre, no basemap: no
// network at run time). Loaded only on that page; no inline script (CSP script-src 'self').
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("preview-map");
  if (!box || typeof maplibregl === "undefined") return;
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((data) => {
      const map = new maplibregl.Map({
        container: box,
        style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f4f0" } }] },
        bounds: data.bbox,
        fitBoundsOptions: { padding: 20 },
        attributionControl: false,
      });
      map.on("load", () => {
        map.addSource("preview", { type: "geojson", data: data });
        map.addLayer({ id: "fill", type: "fill", source: "preview", paint: { "fill-color": "#1f5f99", "fill-opacity": 0.25 } });
        map.addLayer({ id: "line", type: "line", source: "preview", paint: { "line-color": "#123a5e", "line-width": 1 } });
        box.dataset.ready = String(data.features.length);
      });
    })
    .catch(() => {
      box.textContent = "Die Kartenvorschau ist nicht verfügbar.";
    });
});
