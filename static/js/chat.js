// The chat page: Enter to send, copy an answer, the question's length against its limit before it
// is sent, the "Search in" label, keeping the newest answer in view (its text, not its sources),
// saying so when the session has ended, and putting the conversation's address in the location
// bar once its first question created it. Confirming a delete is documents.js's (every page).
// No inline script or style anywhere (CSP): everything is delegated from the document.
(function () {
  "use strict";

  var CLOSE_FORBIDDEN = 4403; // the server closes a socket whose session or membership is gone
  var connected = false;
  var ended = false;

  function alertBox() {
    return document.getElementById("chat-alert");
  }

  function showAlert(nodes) {
    var box = alertBox();
    if (!box) return;
    var p = document.createElement("p");
    p.className = "alert alert-error";
    p.append.apply(p, nodes);
    box.replaceChildren(p);
  }

  // --- The question's length: said as soon as it is typed or pasted, and never sent over the limit.

  function length(text) {
    return Array.from(text).length; // characters, as the server counts them (not UTF-16 units)
  }

  function number(n) {
    return n.toLocaleString("en-US");
  }

  function overBy(input) {
    var max = Number(input.getAttribute("data-max-chars") || 0);
    return max ? length(input.value) - max : 0;
  }

  function updateCount() {
    var input = document.getElementById("chat-input");
    var count = document.getElementById("chat-count");
    if (!input || !count) return;
    var max = Number(input.getAttribute("data-max-chars") || 0);
    var used = length(input.value);
    var over = max && used > max;
    count.hidden = !max || used < max * 0.9;
    count.classList.toggle("over", Boolean(over));
    input.setAttribute("aria-invalid", over ? "true" : "false");
    if (over) {
      count.textContent =
        "This question has " + number(used) + " characters; the limit is " + number(max) +
        ". Shorten it by " + number(used - max) + " to send it.";
    } else {
      count.textContent = number(used) + " of " + number(max) + " characters";
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "chat-input") updateCount();
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (input.id !== "chat-input" || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (input.value.trim()) input.form.requestSubmit();
  });

  // --- Sending: refused here when over the limit or when the session has ended.

  function loginLink() {
    var main = document.querySelector("[data-login-url]");
    var a = document.createElement("a");
    a.href = (main ? main.getAttribute("data-login-url") : "/login/") + "?next=" + encodeURIComponent(window.location.pathname);
    a.textContent = "Sign in again";
    return a;
  }

  function sessionEnded(asked) {
    ended = true;
    showAlert([
      "Your session has ended: you were signed out (perhaps in another tab or on another device), " +
        "or your access to this workspace was removed." + (asked ? " Your question was not sent." : "") + " ",
      loginLink(),
      ".",
    ]);
  }

  // While the socket is down, a question waits in the extension's queue until it reconnects. Ask
  // the server whether we are still signed in: if not, the question is dropped and we say why.
  function checkSession(socket) {
    fetch(window.location.pathname, { credentials: "same-origin", redirect: "manual" }).then(
      function (response) {
        if (response.type === "opaqueredirect" || response.status === 403 || response.status === 404) {
          if (socket && socket.queue) socket.queue.splice(0);
          sessionEnded(true);
        } else if (!connected) {
          showAlert(["The connection was lost. Reconnecting: your question will be sent as soon as it is back."]);
        }
      },
      function () {
        if (!connected) showAlert(["The connection was lost. Reconnecting: your question will be sent as soon as it is back."]);
      },
    );
  }

  document.addEventListener("htmx:wsConfigSend", function (event) {
    var detail = event.detail;
    var refuse = function () {
      event.preventDefault();
      if (detail.triggeringEvent) detail.triggeringEvent.preventDefault(); // no plain form submit either
    };
    if (ended) {
      refuse();
      sessionEnded(true);
      return;
    }
    var input = document.getElementById("chat-input");
    if (detail.parameters.action === "ask" && input && overBy(input) > 0) {
      refuse();
      updateCount();
      input.focus();
      return;
    }
    if (!connected) checkSession(detail.socketWrapper);
  });

  document.addEventListener("htmx:wsOpen", function () {
    connected = true;
  });

  document.addEventListener("htmx:wsClose", function (event) {
    connected = false;
    var close = event.detail && event.detail.event;
    if (close && close.code === CLOSE_FORBIDDEN) sessionEnded();
  });

  // --- Other controls.

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

  // A citation [n] opens its source (they are folded to one line each).
  document.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="#src-"]');
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    var details = target && target.querySelector("details.source");
    if (details) details.open = true;
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    // Choosing another assistant for a new chat reloads the page with it (documents, model).
    if (target.form && target.form.hasAttribute("data-autosubmit")) target.form.submit();
    var picker = target.closest(".doc-picker");
    var label = picker && picker.querySelector(".doc-picker-label");
    if (!label) return;
    var n = picker.querySelectorAll('input[name="documents"]:checked').length;
    label.textContent = n ? n + " document" + (n === 1 ? "" : "s") : "all documents";
  });

  // --- Scrolling: follow the answer as it streams (unless the reader scrolled up), and once it is
  // finished keep its text in view rather than jumping to the sources under it.

  function nearBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  function offsetIn(box, element, edge) {
    return element.getBoundingClientRect()[edge] - box.getBoundingClientRect().top + box.scrollTop;
  }

  function reveal(box, message) {
    var bottom = box.scrollHeight - box.clientHeight;
    var top = offsetIn(box, message, "top") - 8;
    if (bottom <= top) {
      box.scrollTop = bottom; // all of it fits: show it all, actions included
      return;
    }
    var body = message.querySelector(".msg-body") || message;
    box.scrollTop = Math.max(top, offsetIn(box, body, "bottom") + 24 - box.clientHeight);
  }

  var follow = true;
  var streaming = null;
  document.addEventListener("htmx:wsBeforeMessage", function () {
    var box = document.getElementById("messages");
    follow = !box || nearBottom(box) || box.scrollHeight <= box.clientHeight;
    var body = document.querySelector("#messages .msg-body.streaming");
    streaming = body ? body.closest(".msg") : null;
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    var box = document.getElementById("messages");
    if (box && follow) {
      var finished = streaming && document.getElementById(streaming.id);
      if (finished && !finished.querySelector(".streaming")) reveal(box, finished);
      else box.scrollTop = box.scrollHeight;
    }
    var field = document.getElementById("chat-session");
    var url = field && field.getAttribute("data-url");
    if (url && window.location.pathname !== url) window.history.replaceState(null, "", url);
    var input = document.getElementById("chat-input");
    if (input && document.activeElement === document.body) input.focus();
    updateCount();
  });

  document.addEventListener("DOMContentLoaded", function () {
    // On a phone the conversations are one row scrolling sideways: show the open one.
    var current = document.querySelector("#session-list [aria-current]");
    if (current) current.scrollIntoView({ block: "nearest", inline: "nearest" });
    var box = document.getElementById("messages");
    var last = box && box.lastElementChild;
    if (last && last.classList.contains("msg-assistant")) reveal(box, last);
    else if (box) box.scrollTop = box.scrollHeight;
    updateCount();
  });
})();
