// Workspace pages: the live character count of the assistant instructions, and letting htmx show
// refusals (403, 409, 429, ...) inside panels marked data-swap-errors. Loaded once from app_base;
// everything is delegated from the document, so content swapped in later by htmx works too.
(function () {
  "use strict";

  function updateCount(textarea) {
    var counter = document.querySelector('[data-charcount-for="' + textarea.id + '"]');
    if (!counter) return;
    var max = parseInt(textarea.getAttribute("data-charcount"), 10);
    var used = textarea.value.length;
    counter.textContent = used + " / " + max + " characters";
    counter.classList.toggle("charcount-over", used > max);
  }

  function updateAll(root) {
    (root || document).querySelectorAll("textarea[data-charcount]").forEach(updateCount);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-charcount]")) updateCount(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () { updateAll(document); });
  document.addEventListener("htmx:load", function (event) { updateAll(event.detail.elt); });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (status >= 400 && status < 500 && target && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
