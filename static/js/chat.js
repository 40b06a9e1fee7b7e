// The chat page: Enter to send, copy an answer, confirm deleting, keep the newest message in view,
// and put the conversation's address in the location bar once its first question created it.
// No inline script or style anywhere (CSP): everything is delegated from the document.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (input.id !== "chat-input" || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (input.value.trim()) input.form.requestSubmit();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.innerText.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Choosing another assistant for a new chat reloads the page with it (documents, model).
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosubmit")) form.submit();
  });

  function nearBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  var follow = true;
  document.addEventListener("htmx:wsBeforeMessage", function () {
    var box = document.getElementById("messages");
    follow = !box || nearBottom(box) || box.scrollHeight <= box.clientHeight;
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    var box = document.getElementById("messages");
    if (box && follow) box.scrollTop = box.scrollHeight;
    var field = document.getElementById("chat-session");
    var url = field && field.getAttribute("data-url");
    if (url && window.location.pathname !== url) window.history.replaceState(null, "", url);
    var input = document.getElementById("chat-input");
    if (input && document.activeElement === document.body) input.focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("messages");
    if (box) box.scrollTop = box.scrollHeight;
  });
})();
