"""In Chromium: a page on another site embeds the snippet; a visitor opens the bubble, asks about
an ingested PDF, sees the answer stream and its citations, reloads and finds the conversation
again, at desktop width and at 390 pixels. The same page on a site that is not allowed gets no
working widget, even when it claims an allowed origin. No cookie is ever set."""

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistants.models import Assistant
from chat.models import Message
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast, free_port, start_live_app, stop_live_app

SNIPPET_PAGE = """<!doctype html><html><head>
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title>
<link rel="icon" href="data:,"></head><body><h1>Our shop</h1><p>Welcome.</p>
<script src="{app}/embed/{assistant}.js" async></script></body></html>"""
INLINE_PAGE = """<!doctype html><html><head><link rel="icon" href="data:,"></head><body><h1>Help</h1>
<div id="help" style="height: 560px; max-width: 600px"></div>
<script src="{app}/embed/{assistant}.js" data-docuchat-inline="#help" async></script></body></html>"""
# A page that frames the widget itself, claiming to be on the allowed site.
LIAR_PAGE = """<!doctype html><html><head><link rel="icon" href="data:,"></head><body><h1>Not the shop</h1>
<iframe id="stolen" src="{app}/widget/{assistant}/?origin={allowed}" width="380" height="600"></iframe>
</body></html>"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def host_site(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    """Two static sites on other origins than DocuChat's: http://localhost:<allowed> and :<other>."""
    root = tmp_path / "site"
    root.mkdir()
    servers = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield root, servers[0].server_address[1], servers[1].server_address[1]
    for server in servers:
        server.shutdown()
        server.server_close()


def test_it_answers_visitors_on_an_allowed_site_only(
    handbook: Cast,
    page,
    fake_llm: FakeLLM,
    settings,
    tmp_path: Path,
    host_site,
) -> None:
    root, allowed_port, other_port = host_site
    allowed = f"http://localhost:{allowed_port}"
    assistant = Assistant.objects.get(tenant=handbook.acme, is_default=True)
    assistant.allowed_origins = [allowed]
    assistant.greeting, assistant.suggestions = (
        "Hi! Ask me about our handbook.",
        ["What is the refund policy?"],
    )
    assistant.title = "Acme help"
    assistant.save()
    app = start_live_app(
        tmp_path,
        extra_env={"OPENAI_API_KEY": settings.OPENAI_API_KEY, "OPENAI_BASE_URL": fake_llm.url,
                   "DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    try:
        (root / "index.html").write_text(SNIPPET_PAGE.format(app=app.url, assistant=assistant.public_id))
        (root / "liar.html").write_text(
            LIAR_PAGE.format(app=app.url, assistant=assistant.public_id, allowed=allowed)
        )
        (root / "inline.html").write_text(INLINE_PAGE.format(app=app.url, assistant=assistant.public_id))
        ask_and_reload(page, f"{allowed}/", "First question")
        inline(page, f"{allowed}/inline.html")
        assert Message.objects.filter(role="assistant", status="complete").count() == 1
        page.set_viewport_size({"width": 390, "height": 844})
        page.evaluate("localStorage.clear()")  # a new visitor, on a phone
        ask_and_reload(page, f"{allowed}/", "Phone question", phone=True)
        no_widget(page, f"http://localhost:{other_port}/")
        no_widget(page, f"http://localhost:{other_port}/liar.html")
        assert page.context.cookies() == []  # nothing depends on (third-party) cookies
    finally:
        stop_live_app(app)


def ask_and_reload(page, url: str, label: str, *, phone: bool = False) -> None:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    bubble = page.locator('[data-docuchat="bubble"]')
    bubble.click()  # shown once the iframe has loaded: the site is allowed
    panel = page.locator('[data-docuchat="panel"]')
    panel.wait_for()
    if phone:
        box = panel.bounding_box()
        assert box["width"] == 390 and box["x"] == 0  # the whole screen
    frame = page.frame_locator('[data-docuchat="panel"] iframe')
    frame.get_by_text("Hi! Ask me about our handbook.").wait_for()
    frame.get_by_role("button", name="What is the refund policy?").click()  # a suggested question

    frame.locator(".dc-user", has_text="What is the refund policy?").wait_for()
    frame.locator(".dc-streaming", has_text="Customers may return").wait_for()  # streams...
    assert frame.locator(".dc-sources").count() == 0  # ...before the citations
    sources = frame.locator(".dc-sources li")
    sources.first.wait_for()
    assert "Customer handbook" in sources.first.inner_text() and "page 2" in sources.first.inner_text()
    assert frame.locator(".dc-answer strong").first.inner_text() == "30 days"
    assert frame.locator('.dc-answer a[href^="#src-"]').count() == 1  # [1] links to its source
    frame.get_by_role("button", name="Helpful", exact=True).click()
    frame.locator('.dc-thumb[aria-pressed="true"]').wait_for()
    if phone:
        width = frame.locator("html").evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert width[0] <= width[1] <= 390, width  # nothing wider than the phone
    stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('docuchat:'))")
    assert len(stored) == 1  # the host page's own storage keeps the visitor

    page.reload()
    page.locator('[data-docuchat="bubble"]').click()
    frame = page.frame_locator('[data-docuchat="panel"] iframe')
    frame.locator(".dc-user", has_text="What is the refund policy?").wait_for()  # still there
    frame.locator(".dc-sources li").first.wait_for()
    assert frame.locator('.dc-thumb[aria-pressed="true"]').count() == 1
    frame.get_by_role("button", name="New conversation").click()
    assert frame.locator(".dc-user").count() == 0
    assert not problems, (label, problems)


def no_widget(page, url: str) -> None:
    page.goto(url)
    page.wait_for_timeout(2500)  # time for the iframe to load, were it allowed
    assert page.locator('[data-docuchat="bubble"]').is_hidden()
    for frame in page.frames[1:]:
        assert frame.locator("#dc-composer").count() == 0, frame.url


def inline(page, url: str) -> None:
    """data-docuchat-inline: the assistant fills the element, with no bubble and no close button."""
    page.goto(url)
    frame = page.frame_locator("#help iframe")
    frame.get_by_text("Hi! Ask me about our handbook.").wait_for()
    frame.locator("#dc-input").wait_for()
    assert page.locator('[data-docuchat="bubble"]').count() == 0
    assert frame.locator("#dc-close").count() == 0
    box = page.locator("#help iframe").bounding_box()
    assert box["height"] == 560 and box["width"] == 600
