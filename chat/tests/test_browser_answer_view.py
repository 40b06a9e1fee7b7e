"""In Chromium, on a phone: a finished answer stays in view with its sources folded to one line each
(a citation or a click opens one), and deleting a conversation asks once."""

from pathlib import Path

import pytest
from django.test import Client

from chat.models import ChatSession
from chat.tests.factories import make_document
from docuchat.testing import Cast, LiveApp, make_cast, start_live_app, stop_live_app

PHONE = {"width": 390, "height": 844}
FILLER = " ".join(f"Section {i} of the handbook explains one more warehouse rule." for i in range(30))
PAGES = [f"Refund policy, part {i}: customers may return any product in 30 days. {FILLER}" for i in range(8)]


@pytest.fixture
def offline_app(transactional_db: None, settings, tmp_path: Path) -> tuple[Cast, LiveApp]:
    """The app with no language model (extractive answers quoting the sources) and 8 refund pages."""
    settings.OPENAI_API_KEY = ""
    cast = make_cast()
    make_document(cast.acme, "Customer handbook", PAGES)
    app = start_live_app(tmp_path, extra_env={"OPENAI_API_KEY": "", "DATA_DIR": str(tmp_path)})
    yield cast, app
    stop_live_app(app)


def signed_in(page, app: LiveApp, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": app.url}
    page.context.add_cookies([cookie])


IN_VIEW = """([selector, edge]) => {
  const box = document.getElementById("messages").getBoundingClientRect();
  const y = document.querySelector(selector).getBoundingClientRect()[edge];
  return y >= box.top - 1 && y <= box.bottom + 1;
}"""


def test_it_keeps_the_answer_in_view_with_its_sources_folded_to_one_line_each(
    offline_app: tuple[Cast, LiveApp], page
) -> None:
    cast, app = offline_app
    page.set_viewport_size(PHONE)
    signed_in(page, app, cast.member)
    page.goto(f"{app.url}/t/acme/chat/")
    page.fill("#chat-input", "What is the refund policy for customers?")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Send").wait_for()
    sources = page.locator(".msg-assistant .sources li")
    sources.first.wait_for()

    assert sources.count() == 6
    assert page.locator(".sources > summary").inner_text() == "6 sources"
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.sources li')).lineHeight)")
    for i in range(6):  # one line each: title and pages, the snippet folded away
        assert sources.nth(i).bounding_box()["height"] < 1.6 * line
        assert not sources.nth(i).locator(".snippet").is_visible()
    # The answer and its sources are taller than the screen: the view stays on the answer's text.
    answer_height = page.locator(".msg-assistant").bounding_box()["height"]
    assert answer_height > page.locator("#messages").bounding_box()["height"]
    assert page.evaluate(IN_VIEW, [".msg-assistant .msg-body", "bottom"])
    assert not page.evaluate(IN_VIEW, [".msg-actions", "top"])

    sources.nth(1).locator(".muted").click()  # the line (not its link) opens the snippet
    assert sources.nth(1).locator(".snippet").is_visible()
    assert "30 days" in sources.nth(1).locator(".snippet").inner_text()
    page.locator('.answer a[href$="-1"]').first.click()  # a citation [1] opens source 1
    assert sources.nth(0).locator(".snippet").is_visible()


def test_it_asks_once_before_deleting_a_conversation(offline_app: tuple[Cast, LiveApp], page) -> None:
    cast, app = offline_app
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Refunds")
    signed_in(page, app, cast.member)
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.goto(f"{app.url}/t/acme/chat/{chat.public_id}/")
    page.get_by_text("Rename or delete").click()
    page.get_by_role("button", name="Delete conversation").click()
    page.wait_for_url(f"{app.url}/t/acme/chat/")

    assert asked == ["Delete this conversation and all its messages?"]
    assert not ChatSession.objects.filter(pk=chat.pk).exists()
