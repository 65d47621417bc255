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

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-drop]").forEach(setUpDrop);
  document.querySelectorAll("form[data-busy]").forEach(setUpBusy);
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
