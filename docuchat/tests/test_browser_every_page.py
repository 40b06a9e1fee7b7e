"""In real Chromium, at 390 px (a phone) and 1366 px: every page fits the screen, and its main
action is on it without scrolling sideways.

Pages are found from the URL patterns (docuchat/tests/every_page.py), so a page added later is
opened too. Each page marks its main action with `data-main-action` (docs/ui.md); a page without
one fails here until it does.
"""

import os
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings
from django.views import defaults

from docuchat.testing import LiveApp
from docuchat.tests.every_page import Page, html_pages, page_urls, seed

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# Pages whose templates other work owns, until they carry data-main-action themselves.
MAIN_ACTION_FALLBACK = {"chat:index": "#chat-input", "chat:session": "#chat-input"}
# The message box of the chat stays on the first screen.
ON_FIRST_SCREEN = {"chat:index": "#composer", "chat:session": "#composer"}

# Each visible element must end inside the viewport, unless an ancestor below <body> clips or
# scrolls it (a table scrolling inside its card): then that ancestor is what must fit.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const name = (el) => {
    const classes = typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes.map((c) => c && "." + c).join("");
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;  // hidden, or in a closed <details>
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (box.right <= width + 0.5 && box.left >= -0.5) continue;
    if (!clipped(el)) wide.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8)};
}"""


def sign_in(page, app: LiveApp, client: Client | None) -> None:
    page.context.clear_cookies()
    if client is not None and "sessionid" in client.cookies:
        cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": app.url}
        page.context.add_cookies([cookie])


def problems_on(page, name: str, viewport: dict[str, int]) -> list[str]:
    found = []
    fit = page.evaluate(OVERFLOW)
    if fit["scrollWidth"] > fit["width"]:
        found.append(f"the page is {fit['scrollWidth']} px wide")
    found += [f"{w} (wider than {fit['width']} px)" for w in fit["wide"]]
    selector = MAIN_ACTION_FALLBACK.get(name, "[data-main-action]")
    action = page.locator(selector).first
    if not action.count():
        found.append(f"no main action: mark it with data-main-action (looked for {selector})")
    elif not action.is_visible():
        found.append(f"its main action ({selector}) is not visible")
    else:
        box = action.bounding_box()
        if box["x"] < 0 or box["x"] + box["width"] > fit["width"] + 0.5:
            found.append(f"its main action ({selector}) is off-screen sideways at x={box['x']:.0f}")
    if viewport is PHONE and page.locator("#sidebar").count():
        height = page.locator("#sidebar").bounding_box()["height"]
        if height > 72:
            found.append(f"the navigation takes {height:.0f} px of the first screen")
    if name in ON_FIRST_SCREEN:
        box = page.locator(ON_FIRST_SCREEN[name]).bounding_box(timeout=2000)
        if box is None or box["y"] + box["height"] > viewport["height"]:
            found.append(f"{ON_FIRST_SCREEN[name]} is not on the first screen")
    return found


def check(page, app: LiveApp, pages: list[Page], viewport: dict[str, int], who: str) -> list[str]:
    failures = []
    for item in pages:
        page.goto(app.url + item.url)
        page.wait_for_load_state("load")
        shots = os.environ.get("UI_SHOTS")
        if shots:
            stem = f"{viewport['width']}-{who}-{item.name.replace(':', '-')}"
            page.screenshot(path=str(Path(shots) / f"{stem}.png"), full_page=True)
        failures += [
            f"{who} {item.name} {item.url} at {viewport['width']} px: {p}"
            for p in problems_on(page, item.name, viewport)
        ]
    return failures


def error_pages(seeded) -> dict[str, str]:
    """The production (DEBUG off) error pages, rendered by Django's own handlers."""
    cast = seeded.cast
    with override_settings(DEBUG=False):
        member = Client(raise_request_exception=False)
        member.force_login(cast.member)
        owner = Client(raise_request_exception=False)
        owner.force_login(cast.owner)
        anonymous = Client(raise_request_exception=False)
        rendered = {
            "404 signed in": owner.get("/no-such-page/"),
            "404 anonymous": anonymous.get("/no-such-page/"),
            "403": member.get("/t/acme/settings/"),
            "400": anonymous.get("/login/", headers={"host": "not-our-host.example"}),
        }
        statuses = {"404 signed in": 404, "404 anonymous": 404, "403": 403, "400": 400}
        for key, response in rendered.items():
            assert response.status_code == statuses[key], (key, response.status_code)
        pages = {key: response.content.decode() for key, response in rendered.items()}
        pages["500"] = defaults.server_error(RequestFactory().get("/")).content.decode()
    return pages


def test_it_fits_every_page_on_a_phone_and_a_desktop(page, live_app: LiveApp) -> None:
    seeded = seed()
    urls = page_urls(seeded.values)
    owner, member, anonymous = Client(), Client(), Client()
    owner.force_login(seeded.cast.owner)
    member.force_login(seeded.cast.member)
    anonymous.post("/login/", {"email": "visitor@example.test"})  # so that the code page opens
    visits = [
        ("owner", owner, html_pages(owner, urls)),
        ("anonymous", anonymous, html_pages(anonymous, urls)),
    ]
    member_pages = html_pages(
        member,
        [
            (n, u)
            for n, u in urls
            if n in {"tenants:members", "tenants:dashboard", "assistants:conversations", "chat:saved"}
        ],
    )
    visits.append(("member", member, member_pages))
    assert len(visits[0][2]) >= 14 and len(visits[1][2]) >= 3, visits

    errors = error_pages(seeded)
    for key, html in errors.items():
        page.route(
            f"{live_app.url}/__error/{key.replace(' ', '-')}",
            lambda route, _request, html=html: route.fulfill(body=html, content_type="text/html"),
        )
    error_list = [Page(f"error {key}", f"/__error/{key.replace(' ', '-')}", 0) for key in errors]

    failures = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for who, client, pages in visits:
            sign_in(page, live_app, client)
            failures += check(page, live_app, pages, viewport, who)
        sign_in(page, live_app, None)
        failures += check(page, live_app, error_list, viewport, "anyone")
    assert not failures, "\n".join(failures)


def test_it_opens_and_closes_the_menu_on_a_phone(page, live_app: LiveApp) -> None:
    seeded = seed()
    client = Client()
    client.force_login(seeded.cast.owner)
    sign_in(page, live_app, client)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_app.url}/t/acme/documents/")
    nav = page.locator("nav.nav")
    assert not nav.is_visible()
    button = page.locator(".menu-button")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert nav.is_visible() and button.get_attribute("aria-expanded") == "true"
    assert page.locator(".sidebar-foot button:has-text('Log out')").is_visible()
    page.keyboard.press("Escape")
    assert not nav.is_visible() and button.get_attribute("aria-expanded") == "false"
    button.click()
    page.locator("nav.nav a:has-text('Members')").click()
    page.wait_for_url("**/t/acme/members/")
    page.wait_for_selector("h1:has-text('Members')")
    assert not page.locator("nav.nav").is_visible()  # the new page starts with the menu closed

    page.set_viewport_size(DESKTOP)
    assert page.locator("nav.nav").is_visible() and not page.locator(".menu-button").is_visible()


def test_it_styles_a_page_reached_through_the_boosted_menu(page, live_app: LiveApp) -> None:
    """A boosted link swaps the body only: a stylesheet linked from a page's own <head> is lost."""
    seeded = seed()
    client = Client()
    client.force_login(seeded.cast.owner)
    sign_in(page, live_app, client)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_app.url}/t/acme/")
    page.locator("nav.nav a:has-text('Usage')").click()
    page.wait_for_selector("h1:has-text('Usage')")
    assert page.evaluate("() => getComputedStyle(document.querySelector('.legend')).display") == "flex"
