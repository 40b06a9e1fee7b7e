// Assistants, Conversations and Saved pages: the embed snippet's Copy button, and a confirmation
// before a delete. Loaded once from app_base and delegated from the document, so content that htmx
// swaps in later works too. (The chat page has its own data-copy and data-confirm in chat.js.)
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-snippet]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy-snippet"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm-delete");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
