"""In real Chromium, what a newcomer's walk through the app tripped over: cards glued together,
cramped forms, a wrapped badge, no way past the menu by keyboard, an invisible focus in the message
box, quotes squeezed by the browser's margins, and on a phone a chat title cut to one word and a usage
chart that opened on its empty end."""

import pytest
from django.test import Client

from docuchat.testing import LiveApp
from docuchat.tests.every_page import seed
from docuchat.tests.test_browser_every_page import DESKTOP, PHONE, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# The vertical gap between each visible card and the nearest card below it in the same column.
CARD_GAPS = """() => {
  const cards = [...document.querySelectorAll(".card, .dropzone")]
    .filter((e) => e.checkVisibility() && !e.parentElement.closest(".card"));
  const gaps = [];
  for (const a of cards) {
    const ra = a.getBoundingClientRect();
    const below = cards.map((b) => b.getBoundingClientRect())
      .filter((rb) => rb.left < ra.right && rb.right > ra.left && rb.top - ra.bottom > -1)
      .map((rb) => rb.top - ra.bottom);
    if (below.length) gaps.push([a.id || a.className, Math.min(...below)]);
  }
  return gaps;
}"""


def signed_in(page, app: LiveApp):
    """The seeded app (docuchat/tests/every_page.py), its owner signed in to the browser."""
    seeded = seed()
    client = Client()
    client.force_login(seeded.cast.owner)
    sign_in(page, app, client)
    return seeded


def test_it_lays_out_cards_badges_and_forms_on_a_desktop(page, live_app: LiveApp) -> None:
    signed_in(page, live_app)
    page.set_viewport_size(DESKTOP)
    for path in ("documents/", "evaluation/", "api-keys/", "assistants/new/"):
        page.goto(f"{live_app.url}/t/acme/{path}")
        touching = [(card, gap) for card, gap in page.evaluate(CARD_GAPS) if gap < 8]
        assert not touching, (path, touching)

    page.goto(f"{live_app.url}/t/acme/evaluation/")  # two forms side by side, each with room
    for form in ("#eval-add", "#eval-import"):
        assert page.locator(form).bounding_box()["width"] > 400, form

    page.goto(f"{live_app.url}/t/acme/members/")
    badge = page.locator("#team .badge").first
    assert badge.inner_text() == "Owner"
    assert badge.bounding_box()["height"] < 30  # one line, not "Owne / r"


def test_it_skips_the_menu_and_shows_the_focus_in_the_message_box(page, live_app: LiveApp) -> None:
    signed_in(page, live_app)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_app.url}/t/acme/chat/")
    composer = page.locator("#composer")
    unfocused = composer.evaluate("(e) => getComputedStyle(e).borderColor")

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert skip.is_visible() and skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first stop after the menu is the page's own
    assert page.evaluate("() => document.activeElement.closest('#content') !== null")

    page.focus("#chat-input")
    assert composer.evaluate("(e) => getComputedStyle(e).borderColor") != unfocused


def test_it_keeps_the_chat_title_and_the_latest_usage_in_view_on_a_phone(page, live_app: LiveApp) -> None:
    seeded = signed_in(page, live_app)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_app.url}/t/acme/chat/{seeded.values['session_id']}/")
    assert page.locator(".chat-assistant").is_visible()  # two assistants: "Asked of …" is shown
    title = page.locator(".chat-title").bounding_box()
    assert title["width"] > 300, title  # its own line, not squeezed beside the menu

    page.goto(f"{live_app.url}/t/acme/usage/")
    wrap = page.locator(".chart-wrap")
    wrap.scroll_into_view_if_needed()
    box = wrap.bounding_box()
    assert wrap.evaluate("(e) => e.scrollWidth > e.clientWidth")  # it scrolls sideways...
    bars = page.locator(".chart rect.bar").all()
    today = max(bars, key=lambda bar: bar.bounding_box()["x"]).bounding_box()
    assert box["x"] <= today["x"] and today["x"] + today["width"] <= box["x"] + box["width"]  # ...from today


def test_it_quotes_without_wide_margins_in_the_chat_and_the_widget(page, live_app: LiveApp) -> None:
    """Offline answers are quotes: the browser's default margins made each a narrow, airy column."""
    quote = "<blockquote><p>Quoted.</p></blockquote>"
    pages = {
        "widget": f'<link rel="stylesheet" href="/static/css/widget.css"><div class="dc-body">{quote}</div>',
        "chat": f'<link rel="stylesheet" href="/static/css/chat.css"><div class="answer">{quote}</div>',
    }
    for name, html in pages.items():
        page.route(
            f"{live_app.url}/__{name}",
            lambda route, _request, html=html: route.fulfill(body=html, content_type="text/html"),
        )
    page.set_viewport_size(PHONE)

    page.goto(f"{live_app.url}/__widget")
    margins = page.locator("blockquote").evaluate("(e) => getComputedStyle(e).margin")
    assert margins.split()[1] == "0px"  # no 40-pixel indent on either side
    page.goto(f"{live_app.url}/__chat")
    assert page.locator("blockquote p").evaluate("(e) => getComputedStyle(e).margin") == "0px"
