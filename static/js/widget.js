/* The widget's iframe (widget/templates/widget/frame.html). No dependencies.
 *
 * Talks to DocuChat over one WebSocket (widget/consumers.py) and to the host page by postMessage
 * (widget/embed.js): the host page keeps the visitor's token and the open conversation in its own
 * storage, so both survive a reload even where this iframe's storage or cookies are blocked.
 * Everything but the server-rendered (sanitized) answer is inserted as text, never as markup.
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dc-config").textContent);
  var log = document.getElementById("dc-log");
  var intro = document.getElementById("dc-intro");
  var notice = document.getElementById("dc-notice");
  var form = document.getElementById("dc-composer");
  var input = document.getElementById("dc-input");
  var send = document.getElementById("dc-send");
  var stopButton = document.getElementById("dc-stop");
  var storageKey = "docuchat:" + config.assistant;
  var embedded = window.parent !== window;
  var state = { visitor: "", conversation: "" };
  var socket = null;
  var streaming = null; // the answer's body element while it streams
  var refused = false;
  var retries = 0;

  document.documentElement.style.setProperty("--dc-accent", config.accent);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function setBusy(busy) {
    send.hidden = busy;
    stopButton.hidden = !busy;
    input.disabled = refused;
    send.disabled = refused;
  }

  // Where the visitor is remembered: the host page (always), and this frame's storage if allowed.
  function remember() {
    if (embedded) {
      window.parent.postMessage({ docuchat: "save", visitor: state.visitor, conversation: state.conversation }, config.origin);
    }
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(state));
    } catch (e) {
      /* blocked third-party storage: the host page keeps it */
    }
  }

  function recalled() {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function userMessage(text) {
    var item = el("div", "dc-msg dc-user");
    item.appendChild(el("div", "dc-body", text));
    log.appendChild(item);
    return item;
  }

  function sourceList(answer) {
    var list = el("ol", "dc-sources");
    answer.sources.forEach(function (source) {
      var item = el("li");
      item.id = "src-" + answer.id + "-" + source.n;
      var head = el("div", "dc-source-head");
      var label = source.title + ", " + source.pages;
      if (source.url) {
        var link = el("a", "dc-source-link", label);
        link.href = source.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        head.appendChild(link);
      } else {
        head.appendChild(el("span", "dc-source-title", label));
      }
      item.appendChild(head);
      item.appendChild(el("blockquote", "dc-snippet", source.snippet));
      list.appendChild(item);
    });
    return list;
  }

  // Thumbs as inline SVG (Feather's icons, MIT): emoji are missing from many systems' fonts.
  var THUMBS = {
    up: "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
    down: "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17",
  };

  function icon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    svg.appendChild(shape);
    return svg;
  }

  function feedbackButtons(answer) {
    var bar = el("div", "dc-feedback");
    [["up", "Helpful"], ["down", "Not helpful"]].forEach(function (choice) {
      var button = el("button", "dc-thumb");
      button.appendChild(icon(THUMBS[choice[0]]));
      button.type = "button";
      button.title = choice[1];
      button.setAttribute("aria-label", choice[1]);
      button.dataset.value = choice[0];
      button.setAttribute("aria-pressed", answer.feedback === choice[0] ? "true" : "false");
      button.addEventListener("click", function () {
        var value = button.getAttribute("aria-pressed") === "true" ? "" : choice[0];
        sendJson({ action: "feedback", answer: answer.id, value: value });
      });
      bar.appendChild(button);
    });
    bar.dataset.answer = answer.id;
    return bar;
  }

  function answerMessage(answer) {
    var item = el("div", "dc-msg dc-bot");
    item.id = "dc-answer-" + answer.id;
    fillAnswer(item, answer);
    log.appendChild(item);
    return item;
  }

  function fillAnswer(item, answer) {
    item.textContent = "";
    var body = el("div", "dc-body dc-answer");
    // Rendered on the server from Markdown with HTML off, then sanitized (chat/markdown.py).
    body.innerHTML = answer.html;
    item.appendChild(body);
    if (answer.status === "failed" && answer.error) item.appendChild(el("p", "dc-error", answer.error));
    if (answer.sources && answer.sources.length) item.appendChild(sourceList(answer));
    if (answer.status === "complete") item.appendChild(feedbackButtons(answer));
  }

  function showHistory(messages) {
    Array.prototype.slice.call(log.querySelectorAll(".dc-msg")).forEach(function (node) {
      if (!intro.contains(node)) node.remove();
    });
    messages.forEach(function (message) {
      if (message.role === "user") userMessage(message.text);
      else answerMessage(message);
    });
    scrollDown();
  }

  function sendJson(payload) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(payload));
      return true;
    }
    say("Connecting… try again in a moment.");
    return false;
  }

  function handle(message) {
    if (message.type === "hello") {
      state.visitor = message.visitor;
      state.conversation = message.conversation;
      remember();
      showHistory(message.messages || []);
      intro.hidden = (message.messages || []).length > 0;
      retries = 0;
      setBusy(false);
    } else if (message.type === "started") {
      say("");
      state.conversation = message.conversation;
      remember();
      var item = el("div", "dc-msg dc-bot");
      item.id = "dc-answer-" + message.answer.id;
      streaming = el("div", "dc-body dc-answer dc-streaming");
      item.appendChild(streaming);
      log.appendChild(item);
      scrollDown();
    } else if (message.type === "delta") {
      if (streaming) streaming.appendChild(document.createTextNode(message.text));
      scrollDown();
    } else if (message.type === "done" || message.type === "failed") {
      streaming = null;
      if (message.answer) {
        var node = document.getElementById("dc-answer-" + message.answer.id);
        if (node) fillAnswer(node, message.answer);
        else answerMessage(message.answer);
      }
      if (message.type === "failed") {
        say(message.message);
        if (!message.answer) {
          var last = log.querySelector(".dc-user.dc-pending");
          if (last) last.remove();
        }
      }
      Array.prototype.slice.call(log.querySelectorAll(".dc-pending")).forEach(function (node) {
        node.classList.remove("dc-pending");
      });
      if (message.code === "forbidden") refused = true;
      setBusy(false);
      scrollDown();
    } else if (message.type === "feedback") {
      var bar = log.querySelector('.dc-feedback[data-answer="' + message.answer + '"]');
      if (bar) {
        Array.prototype.slice.call(bar.querySelectorAll("button")).forEach(function (button) {
          button.setAttribute("aria-pressed", button.dataset.value === message.value ? "true" : "false");
        });
      }
    } else if (message.type === "error") {
      say(message.message);
      setBusy(false);
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + config.socket + "?embed=" + encodeURIComponent(config.embed);
    socket = new WebSocket(url);
    socket.addEventListener("open", function () {
      sendJson({ action: "hello", visitor: state.visitor, conversation: state.conversation });
    });
    socket.addEventListener("message", function (event) {
      handle(JSON.parse(event.data));
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4403 || refused) {
        refused = true;
        say("This chat is not available right now.");
        setBusy(false);
        return;
      }
      if (streaming) streaming = null;
      setBusy(false);
      retries += 1;
      if (retries > 8) {
        say("Cannot reach the chat. Reload the page to try again.");
        return;
      }
      window.setTimeout(connect, Math.min(500 * retries, 5000));
    });
  }

  function ask(text) {
    text = text.trim();
    if (!text || refused) return;
    if (!sendJson({ action: "ask", message: text, conversation: state.conversation })) return;
    intro.hidden = true;
    userMessage(text).classList.add("dc-pending");
    input.value = "";
    setBusy(true);
    scrollDown();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(input.value);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value);
    }
  });
  stopButton.addEventListener("click", function () {
    sendJson({ action: "stop" });
  });
  Array.prototype.slice.call(document.querySelectorAll(".dc-suggestion")).forEach(function (button) {
    button.addEventListener("click", function () {
      ask(button.textContent);
    });
  });
  document.getElementById("dc-new").addEventListener("click", function () {
    if (streaming) sendJson({ action: "stop" });
    state.conversation = "";
    remember();
    showHistory([]);
    intro.hidden = false;
    say("");
    input.focus();
  });
  var close = document.getElementById("dc-close");
  if (close) {
    close.addEventListener("click", function () {
      window.parent.postMessage({ docuchat: "close" }, config.origin);
    });
  }

  // Start: ask the host page for the visitor it remembers (a short wait, then this frame's own).
  var started = false;
  function begin(remembered) {
    if (started) return;
    started = true;
    state.visitor = String(remembered.visitor || "");
    state.conversation = String(remembered.conversation || "");
    if (state.conversation) intro.hidden = true;
    connect();
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== config.origin) return;
    var data = event.data || {};
    if (data.docuchat === "state") {
      var own = recalled();
      begin({ visitor: data.visitor || own.visitor, conversation: data.visitor ? data.conversation : own.conversation });
    }
  });
  setBusy(false);
  if (embedded) {
    window.parent.postMessage({ docuchat: "ready" }, config.origin);
    window.setTimeout(function () {
      begin(recalled());
    }, 1500);
  } else {
    begin(recalled());
  }
})();
