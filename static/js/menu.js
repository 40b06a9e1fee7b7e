// The phone layout's Menu button: opens and closes the sidebar's links (a top bar on narrow
// screens; css/app.css hides the button on wide ones). Delegated from the document, so the menu
// of a page swapped in by boosted navigation works too. Escape or a tap outside closes it.
(function () {
  "use strict";

  function setOpen(sidebar, open) {
    sidebar.classList.toggle("menu-open", open);
    var button = sidebar.querySelector(".menu-button");
    if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    var sidebar = document.getElementById("sidebar");
    if (!sidebar) return;
    var button = event.target.closest(".menu-button");
    if (button) {
      setOpen(sidebar, !sidebar.classList.contains("menu-open"));
    } else if (sidebar.classList.contains("menu-open") && !sidebar.contains(event.target)) {
      setOpen(sidebar, false);
    }
  });

  document.addEventListener("keydown", function (event) {
    var sidebar = document.getElementById("sidebar");
    if (event.key !== "Escape" || !sidebar || !sidebar.classList.contains("menu-open")) return;
    setOpen(sidebar, false);
    var button = sidebar.querySelector(".menu-button");
    if (button) button.focus();
  });
})();
