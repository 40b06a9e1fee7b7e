// Documents pages: drag and drop onto the upload card, uploading as soon as files are chosen, a
// size check before anything is sent, upload progress, catching up after a dropped socket, and
// confirmation for plain delete forms.
// Loaded on every app page (boosted navigation loads no page scripts), so it delegates from document.
(function () {
  "use strict";

  let refusedLocally = [];

  function zoneOf(node) {
    return node && node.closest ? node.closest(".dropzone") : null;
  }

  function refusalItem(name, limitMb) {
    const li = document.createElement("li");
    li.className = "outcome outcome-err";
    li.setAttribute("role", "alert");
    const strong = document.createElement("strong");
    strong.textContent = name;
    li.append(strong, `: This file is larger than the ${limitMb} MB limit.`);
    return li;
  }

  function showRefusals(limitMb) {
    const notice = document.getElementById("doc-notice");
    if (!notice || !refusedLocally.length) return;
    let list = notice.querySelector(".outcomes");
    if (!list) {
      list = document.createElement("ul");
      list.className = "outcomes";
      notice.append(list);
    }
    refusedLocally.forEach((name) => list.append(refusalItem(name, limitMb)));
    refusedLocally = [];
  }

  // Leave files over the limit out of the upload (the server would refuse them anyway, but only
  // after receiving them) and report them beside the server's answer for the others.
  function dropTooLarge(form) {
    const input = form.querySelector("input[type=file]");
    const limit = Number(form.dataset.maxBytes || 0);
    if (!input || !limit) return true;
    const keep = new DataTransfer();
    refusedLocally = [];
    Array.from(input.files).forEach((file) => {
      if (file.size > limit) refusedLocally.push(file.name);
      else keep.items.add(file);
    });
    if (!refusedLocally.length) return true;
    input.files = keep.files;
    if (keep.files.length) return true;
    const notice = document.getElementById("doc-notice");
    if (notice) notice.replaceChildren();
    showRefusals(form.dataset.maxMb);
    return false;
  }

  document.addEventListener("dragover", (event) => {
    const zone = zoneOf(event.target);
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("dropzone-over");
  });

  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dropzone-over");
  });

  document.addEventListener("drop", (event) => {
    const zone = zoneOf(event.target);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dropzone-over");
    const input = zone.querySelector("input[type=file]");
    if (!input || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    zone.requestSubmit();
  });

  // Choosing files uploads them, as dropping them does (the Upload button is for pages without JS).
  document.addEventListener("change", (event) => {
    const input = event.target;
    const zone = zoneOf(input);
    if (zone && input.matches("input[type=file]") && input.files.length) zone.requestSubmit();
  });

  // Capturing, so it runs before htmx sends the form.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (form.matches(".dropzone")) {
        if (!dropTooLarge(form)) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      } else if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    },
    true,
  );

  document.addEventListener("htmx:xhr:progress", (event) => {
    const zone = zoneOf(event.target);
    const bar = zone && zone.querySelector(".upload-progress");
    if (!bar || !event.detail.total) return;
    bar.hidden = false;
    bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const zone = zoneOf(event.target);
    if (!zone) return;
    const bar = zone.querySelector(".upload-progress");
    if (bar) bar.hidden = true;
    if (event.detail.successful) zone.reset();
  });

  // An upload larger than the whole request may be (several files at once) is refused with 413
  // before it is read: say so in the notice instead of failing silently.
  document.addEventListener("htmx:responseError", (event) => {
    if (!zoneOf(event.target) || event.detail.xhr.status !== 413) return;
    const notice = document.getElementById("doc-notice");
    if (!notice) return;
    const alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = `${event.detail.xhr.responseText} Upload fewer files at once.`;
    notice.replaceChildren(alert);
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target.id === "doc-notice") showRefusals(document.getElementById("upload-form")?.dataset.maxMb);
  });

  // After a dropped socket reconnects, fetch the list again (as it was: its search, sort and page):
  // updates sent meanwhile were missed.
  document.addEventListener("htmx:wsOpen", (event) => {
    const elt = event.detail.elt;
    if (!elt.dataset.wsOpened) {
      elt.dataset.wsOpened = "1";
      return;
    }
    const refresh = document.getElementById("doc-refresh");
    if (refresh && window.htmx) window.htmx.trigger(refresh, "doc-refresh");
  });
})();
