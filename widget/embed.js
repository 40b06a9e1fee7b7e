/* DocuChat website widget. No dependencies. See docs/widget.md.
 *
 *   <script src="https://<docuchat-host>/embed/<assistant-id>.js" async></script>
 *     a chat bubble in the bottom corner, opening the assistant in an iframe;
 *   <script src="..." data-docuchat-inline="#help" async></script>
 *     the assistant filling the element #help instead.
 *
 * The visitor's token and open conversation are kept in this page's own localStorage (first-party
 * storage of the site, which blocked third-party cookies and partitioned iframe storage do not
 * touch) and handed to the iframe by postMessage, to DocuChat's origin only.
 */
(function () {
  "use strict";
  var config = __DOCUCHAT_CONFIG__;
  var script = document.currentScript;
  var key = "docuchat:" + config.id;
  if (window[key]) return; // the snippet twice on one page: one widget
  window[key] = true;

  function load() {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function save(state) {
    try {
      window.localStorage.setItem(key, JSON.stringify(state));
    } catch (e) {
      /* storage full or refused: the conversation will not survive a reload */
    }
  }

  function css(el, styles) {
    for (var name in styles) el.style[name] = styles[name];
    return el;
  }

  var inlineSelector = script && script.getAttribute("data-docuchat-inline");
  var container = null;
  var frame, panel, bubble;
  var side = config.position === "left" ? "left" : "right";

  function balloon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"); // Feather, MIT
    shape.setAttribute("fill", "none");
    shape.setAttribute("stroke", "currentColor");
    shape.setAttribute("stroke-width", "2");
    shape.setAttribute("stroke-linejoin", "round");
    svg.appendChild(shape);
    return svg;
  }

  function narrow() {
    return window.innerWidth <= 480;
  }

  function layout() {
    if (!panel) return;
    if (narrow()) {
      css(panel, { top: "0", bottom: "0", left: "0", right: "0", width: "100%", height: "100%", borderRadius: "0" });
    } else {
      css(panel, {
        top: "auto", bottom: "88px", left: side === "left" ? "20px" : "auto",
        right: side === "right" ? "20px" : "auto", width: "380px", height: "min(600px, calc(100vh - 110px))",
        borderRadius: "14px",
      });
    }
  }

  function setOpen(open) {
    panel.style.display = open ? "block" : "none";
    bubble.setAttribute("aria-expanded", open ? "true" : "false");
    bubble.style.display = open && narrow() ? "none" : "flex";
    if (open) frame.focus();
  }

  function start() {
    container = inlineSelector ? document.querySelector(inlineSelector) : null;
    var src =
      config.host + config.frame + "?origin=" + encodeURIComponent(window.location.origin) +
      (container ? "&mode=inline" : "");
    frame = document.createElement("iframe");
    frame.src = src;
    frame.title = config.title;
    frame.setAttribute("allow", "clipboard-write");
    css(frame, { border: "0", width: "100%", height: "100%", display: "block", colorScheme: "normal" });

    if (container) {
      css(frame, { minHeight: "420px" });
      container.appendChild(frame);
    } else {
      panel = css(document.createElement("div"), {
        position: "fixed", zIndex: "2147483646", display: "none", overflow: "hidden",
        boxShadow: "0 12px 40px rgba(0,0,0,.25)", background: config.theme === "dark" ? "#111827" : "#fff",
      });
      panel.setAttribute("data-docuchat", "panel");
      panel.appendChild(frame);
      bubble = css(document.createElement("button"), {
        position: "fixed", zIndex: "2147483647", bottom: "20px", width: "56px", height: "56px",
        borderRadius: "50%", border: "0", cursor: "pointer", background: config.accent, color: "#fff",
        boxShadow: "0 6px 20px rgba(0,0,0,.25)", display: "none", alignItems: "center",
        justifyContent: "center", font: "600 24px/1 system-ui, sans-serif", padding: "0",
      });
      bubble.style[side] = "20px";
      bubble.type = "button";
      bubble.appendChild(balloon());
      bubble.setAttribute("aria-label", "Open chat: " + config.title);
      bubble.setAttribute("aria-expanded", "false");
      bubble.setAttribute("data-docuchat", "bubble");
      bubble.addEventListener("click", function () {
        setOpen(panel.style.display === "none");
      });
      layout();
      window.addEventListener("resize", layout);
      document.body.appendChild(panel);
      document.body.appendChild(bubble);
    }
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== config.host || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.docuchat === "ready") {
      // The iframe loaded: this site is allowed. Show the bubble and hand over the visitor.
      if (bubble) bubble.style.display = "flex";
      var state = load();
      frame.contentWindow.postMessage(
        { docuchat: "state", visitor: state.visitor || "", conversation: state.conversation || "" },
        config.host
      );
    } else if (data.docuchat === "save") {
      save({ visitor: String(data.visitor || ""), conversation: String(data.conversation || "") });
    } else if (data.docuchat === "close" && panel) {
      setOpen(false);
      bubble.focus();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
