// Werkstatt of planlabor: drag and drop onto the file field; buttons say that work is running.
// No inline script anywhere (Content-Security-Policy script-src 'self').
"use strict";

function setUpDrop(zone) {
  const input = zone.querySelector("input[type=file]");
  const hint = zone.querySelector(".hint");
  if (!input) return;
  ["dragenter", "dragover"].forEach((type) =>
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    }),
  );
  ["dragleave", "drop"].forEach((type) =>
    zone.addEventListener(type, () => zone.classList.remove("over")),
  );
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      if (hint) hint.textContent = "Gewählt: " + input.files[0].name;
    }
  });
  input.addEventListener("change", () => {
    if (hint && input.files.length) hint.textContent = "Gewählt: " + input.files[0].name;
  });
}

function setUpBusy(form) {
  form.addEventListener("submit", () => {
    const note = document.createElement("p");
    note.className = "busy";
    note.setAttribute("role", "status");
    note.textContent = form.dataset.busy || "Bitte warten …";
    form.appendChild(note);
    // disabled after the submit event: the pressed button's formaction still counts
    setTimeout(() => form.querySelectorAll("button").forEach((b) => (b.disabled = true)), 0);
  });
}

// Katalog: live validation of the indicator form against the data (JSON from the server)
function germanNumber(value) {
  return value === null ? "gesperrt" : value.toLocaleString("de-DE", { maximumFractionDigits: 2 });
}

function germanDate(period) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period || "");
  return m ? m[3] + "." + m[2] + "." + m[1] : period;
}

function showCheck(form, result) {
  form.querySelectorAll(".msg").forEach((el) => (el.textContent = ""));
  Object.entries(result.errors || {}).forEach(([field, text]) => {
    const el = form.querySelector("#k-" + field + "-msg");
    if (el) el.textContent = text;
  });
  const box = form.querySelector("#check-result");
  box.textContent = "";
  const lines = [];
  if (result.exists) lines.push("Die ID gibt es schon: Speichern ersetzt den Indikator.");
  if (result.variables && result.variables.length) {
    lines.push("Variablen auf " + result.layer + ": " + result.variables
      .map((v) => v.id + (v.present ? " ✓" : " fehlt")).join(", "));
  }
  if (result.periods && result.periods.length) {
    lines.push("Zeiträume: " + result.periods.map(germanDate).join(", "));
  }
  if (result.preview) {
    const p = result.preview;
    lines.push(p.areas + " Gebiete am " + germanDate(p.period) + ", davon " + p.suppressed +
      " gesperrt (Mindestfallzahl " + p.min_count + "). Erste Werte: " +
      p.values.map((v) => v.area_id + " " + germanNumber(v.value)).join("; "));
  }
  lines.forEach((text) => {
    const para = document.createElement("p");
    para.textContent = text;
    box.appendChild(para);
  });
  box.classList.toggle("ok", Boolean(result.ok));
}

function setUpCheck(form) {
  let timer = 0;
  const run = () => {
    const params = new URLSearchParams();
    new FormData(form).forEach((value, key) => {
      if (key !== "csrf") params.append(key, String(value));
    });
    fetch(form.dataset.check + "?" + params.toString(), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((result) => result && showCheck(form, result))
      .catch(() => {});
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 300);
  });
  if (form.querySelector("#k-num").value) run();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-drop]").forEach(setUpDrop);
  document.querySelectorAll("form[data-busy]").forEach(setUpBusy);
  document.querySelectorAll("form[data-check]").forEach(setUpCheck);
});

// The page of a running job: ask for its state (step, total, label) and reload when it is done.
function followJob(box) {
  const id = box.dataset.job;
  const bar = box.querySelector("progress");
  const label = box.querySelector(".job-label");
  const step = box.querySelector(".job-step");
  const state = box.querySelector(".job-state");
  function poll() {
    fetch("/werkstatt/auftrag/" + id + "/stand", { credentials: "same-origin", cache: "no-store" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((job) => {
        if (job.state !== "wartet" && job.state !== "läuft") {
          window.location.reload();
          return;
        }
        if (state) state.textContent = job.state;
        if (label && job.label) label.textContent = job.label;
        if (job.total) {
          bar.max = job.total;
          bar.value = job.step;
          if (step) step.textContent = "(Schritt " + job.step + " von " + job.total + ")";
        }
        setTimeout(poll, 700);
      })
      .catch(() => setTimeout(poll, 3000));
  }
  setTimeout(poll, 500);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-job]").forEach(followJob);
});
